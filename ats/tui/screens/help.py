"""Help: every key of the desk with what it does (also reachable from the command palette)."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ats.i18n import t
from ats.tui.keys import DESK_KEYS, key_label


def help_table() -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for k in DESK_KEYS:
        table.add_row(key_label(k.key), t(k.help_key))
    table.add_row("?", t("tui.keyhelp.help"))
    table.add_row("Ctrl+Q", t("tui.keyhelp.quit"))
    table.add_row("Ctrl+P", t("tui.keyhelp.palette"))
    table.add_row("Enter", t("tui.keyhelp.enter"))
    table.add_row("Esc", t("tui.keyhelp.escape"))
    table.add_row("PageDown / PageUp", t("desk2.keyhelp.page"))
    table.add_row("Ctrl+P", t("desk2.keyhelp.actions"))
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,f1,question_mark", "dismiss", t("tui.key.close")),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="help-dialog") as box:  # 80×24: scrolls
            box.border_title = t("tui.help.title")
            yield Static(help_table(), id="help-keys")
            yield Static(t("tui.help.footer"), classes="dialog-hint")
