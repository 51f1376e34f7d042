"""The ``ats`` click group. Each command lives in its own module and is added here."""

from __future__ import annotations

import click

from ats import __version__
from ats.cli.config_cmd import config_group
from ats.cli.tui_cmd import tui_command
from ats.i18n import set_language, t


@click.group(help=t("cli.help"))
@click.version_option(__version__, prog_name="ats")
@click.option(
    "--lang", type=click.Choice(["en", "ru"]), default=None, envvar="ATS_LANG",
    help="Language of messages (en, ru).",
)
def main(lang: str | None) -> None:
    if lang:
        set_language(lang)


main.add_command(config_group)
# Commands added by other areas register below, one line each.
main.add_command(tui_command)
