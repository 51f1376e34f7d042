"""Symbol focus picker: the chosen symbol is highlighted across the desk's panels."""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ats.i18n import t


class FocusScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", t("tui.key.cancel"))]

    def __init__(self, symbols: Sequence[str], current: str | None) -> None:
        super().__init__()
        self.symbols = tuple(symbols)
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="focus-dialog") as box:
            box.border_title = t("tui.focus.title")
            if not self.symbols:
                yield Static(t("tui.focus.none"))
                return
            options = OptionList(*(Option(s, id=s) for s in self.symbols), id="focus-symbols")
            if self.current in self.symbols:
                options.highlighted = self.symbols.index(self.current)
            yield options

    def on_mount(self) -> None:
        if self.symbols:
            self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
