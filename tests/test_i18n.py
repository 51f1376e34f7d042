from __future__ import annotations

import pytest

from ats import i18n


def test_every_key_has_both_languages() -> None:
    cat = i18n.catalogue()
    assert cat, "catalogue is empty"
    for key, texts in cat.items():
        assert texts["en"].strip() and texts["ru"].strip(), key


def test_translate_and_format() -> None:
    assert i18n.t("config.check.failed", n=2) == "2 configuration file(s) invalid."
    assert i18n.t("config.check.failed", lang="ru", n=2).endswith("2.")
    i18n.set_language("ru")
    assert i18n.t("config.check.ok") == "OK"
    assert i18n.language() == "ru"
    assert i18n.t("no.such.key") == "no.such.key"
    with pytest.raises(ValueError):
        i18n.set_language("de")


def test_placeholders_match_between_languages() -> None:
    import string

    fmt = string.Formatter()
    for key, texts in i18n.catalogue().items():
        names = {lang: {f for _, f, _, _ in fmt.parse(texts[lang]) if f} for lang in i18n.LANGS}
        assert names["en"] == names["ru"] or key == "live.refused", key
