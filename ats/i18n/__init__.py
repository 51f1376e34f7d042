"""The one message catalogue for user-facing CLI and TUI text, in English and Russian.

The catalogue is split into one YAML file per area under ``messages/`` (so that areas can be
edited independently), merged at first use; a key defined twice is an error, and every key
must have both ``en`` and ``ru``. ``t("key", name=...)`` formats with ``str.format``.
"""

from __future__ import annotations

import os
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

LANGS = ("en", "ru")
_lang = os.environ.get("ATS_LANG", "en") if os.environ.get("ATS_LANG") in LANGS else "en"


class CatalogueError(Exception):
    """The message catalogue itself is broken (a duplicate or a missing translation)."""


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    root = resources.files("ats.i18n") / "messages"
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".yaml"):
            continue
        data = yaml.safe_load(entry.read_text(encoding="utf-8")) or {}
        for key, texts in data.items():
            if key in merged:
                raise CatalogueError(f"message key {key!r} defined twice (in {entry.name})")
            if not isinstance(texts, dict) or any(lang not in texts for lang in LANGS):
                raise CatalogueError(f"message {key!r} in {entry.name} needs both en and ru")
            merged[key] = {lang: str(texts[lang]) for lang in LANGS}
    return merged


def set_language(lang: str) -> None:
    global _lang
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGS)}")
    _lang = lang


def language() -> str:
    return _lang


def t(key: str, /, lang: str | None = None, **kwargs: Any) -> str:
    """The text for ``key`` in the current (or given) language, formatted with ``kwargs``.

    An unknown key returns the key itself so a missing message is visible, never a crash.
    """
    texts = catalogue().get(key)
    if texts is None:
        return key
    text = texts[lang or _lang]
    return text.format(**kwargs) if kwargs else text
