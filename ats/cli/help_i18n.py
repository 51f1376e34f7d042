"""``--help`` in the chosen language, chosen at run time (``--lang ru`` or ``ATS_LANG=ru``).

Click help texts are evaluated when the commands are defined — before ``--lang`` is read —
so the tree is localized afterwards: every command's and option's help that is a catalogue
text (in either language) is replaced by that message in the current language. Click's own
words ("Usage:", "Options", "Show this message and exit.") go through the same catalogue
(``desk2.click.*``) by replacing click's ``gettext`` hook. A help text that is in no
catalogue stays as written — the Russian ``--help`` test lists any such text as a failure.
"""

from __future__ import annotations

from functools import lru_cache

import click

from ats.i18n import LANGS, catalogue, t

# click's own strings (its gettext msgids) -> catalogue key
CLICK_KEYS: dict[str, str] = {
    "Usage:": "desk2.click.usage",
    "Options": "desk2.click.options",
    "Commands": "desk2.click.commands",
    "Positional arguments": "desk2.click.arguments",
    "Show this message and exit.": "desk2.click.help",
    "Show the version and exit.": "desk2.click.version",
    "default: {default}": "desk2.click.default",
    "env var: {var}": "desk2.click.envvar",
    "(dynamic)": "desk2.click.dynamic",
    "required": "desk2.click.required",
    "Missing command.": "desk2.click.missing_command",
    "Aborted!": "desk2.click.aborted",
    "%(prog)s, version %(version)s": "desk2.click.version_line",
}


@lru_cache(maxsize=1)
def _reverse() -> dict[str, str]:
    """Every catalogue text (en and ru, whitespace-normalized) -> its key."""
    out: dict[str, str] = {}
    for key, texts in catalogue().items():
        for lang in LANGS:
            out.setdefault(" ".join(texts[lang].split()), key)
    return out


def translate(text: str | None) -> str | None:
    """``text`` in the current language if it is a catalogue text, else unchanged."""
    if not text:
        return text
    key = _reverse().get(" ".join(text.split()))
    return t(key) if key is not None else text


def _click_gettext(message: str) -> str:
    key = CLICK_KEYS.get(message)
    return t(key) if key is not None else message


def install_click_gettext() -> None:
    """Route click's own words through the catalogue (idempotent)."""
    import click.core
    import click.decorators
    import click.formatting

    for module in (click.core, click.formatting, click.decorators):
        module._ = _click_gettext  # type: ignore[attr-defined]


class LocalizedGroup(click.Group):
    """Reads ``ATS_LANG`` before any eager option, so ``ATS_LANG=ru ats --help`` is Russian
    (``--help`` would otherwise be handled before the ``--lang`` option's environment value)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        import os

        from ats.i18n import set_language

        env = os.environ.get("ATS_LANG")
        if env in LANGS and "--lang" not in args:
            set_language(env)
        # always: the tree is shared by every invocation in a process (tests, the CLI runner)
        install_click_gettext()
        localize(self)
        return super().parse_args(ctx, args)


def localize(command: click.Command) -> None:
    """Translate the help of ``command``, its options and (for groups) its subcommands."""
    for attr in ("help", "short_help", "epilog"):
        value = getattr(command, attr, None)
        if isinstance(value, str):
            setattr(command, attr, translate(value))
    params = list(command.params)
    cached = getattr(command, "_help_option", None)  # click builds --help once per command
    if cached is not None:
        params.append(cached)
    for param in params:
        if isinstance(param, click.Option) and param.help:
            param.help = translate(param.help)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            localize(sub)
