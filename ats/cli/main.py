"""The ``ats`` click group. Each command lives in its own module and is added here."""

from __future__ import annotations

import click

from ats import __version__
from ats.cli.account_cmd import account_group
from ats.cli.audit_cmd import audit_command
from ats.cli.config_cmd import config_group
from ats.cli.db_cmd import db_group, search_cmd
from ats.cli.doctor_cmd import doctor_command
from ats.cli.errors import AtsGroup, configure_logging, set_debug
from ats.cli.help_i18n import LocalizedGroup, install_click_gettext, localize
from ats.cli.report_cmd import report_command
from ats.cli.research_cmd import backtest_command, research_group
from ats.cli.run_cmd import run_command
from ats.cli.runs_cmd import runs_command
from ats.cli.sync_cmd import sync_command
from ats.cli.tui_cmd import tui_command
from ats.cli.unlock_cmd import unlock_command
from ats.i18n import set_language, t

install_click_gettext()  # click's own words ("Usage:", "Options") from the catalogue


def _choose_language(ctx: click.Context, param: click.Parameter, lang: str | None) -> str | None:
    """Eager, so ``ats --lang ru --help`` and every subcommand's help are already Russian."""
    if lang:
        set_language(lang)
    install_click_gettext()
    localize(ctx.command)
    return lang


class RootGroup(LocalizedGroup, AtsGroup):
    """Help in the chosen language (``LocalizedGroup``) and one error path (``AtsGroup``)."""


@click.group(cls=RootGroup, help=t("cli.help"), epilog=t("hostile.exit_codes"))
@click.version_option(__version__, prog_name="ats")
@click.option(
    "--lang", type=click.Choice(["en", "ru"]), default=None, envvar="ATS_LANG",
    help="Language of messages (en, ru).", is_eager=True, callback=_choose_language,
)
@click.option("--debug", is_flag=True, default=False, help=t("hostile.opt_debug"))
def main(lang: str | None, debug: bool) -> None:
    if lang:
        set_language(lang)
    set_debug(debug)
    configure_logging()


main.add_command(config_group)
# Commands added by other areas register below, one line each.
main.add_command(tui_command)
main.add_command(sync_command)
main.add_command(db_group)
main.add_command(search_cmd)
main.add_command(run_command)
main.add_command(unlock_command)
main.add_command(report_command)
main.add_command(research_group)
main.add_command(backtest_command)
main.add_command(account_group)
main.add_command(audit_command)
main.add_command(doctor_command)
main.add_command(runs_command)
