"""Kill switch confirmation: engaging stops all new risk, so it asks for a reason first."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from ats.i18n import t


class KillSwitchDialog(ModalScreen[str | None]):
    """Dismisses with the trimmed reason when confirmed, ``None`` when cancelled."""

    BINDINGS = [Binding("escape", "cancel", t("tui.key.cancel"))]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="kill-dialog") as box:
            box.border_title = t("tui.kill.title")
            yield Static(t("tui.kill.warning"), id="kill-warning")
            yield Input(placeholder=t("tui.kill.reason_placeholder"), id="kill-reason")
            yield Static("", id="kill-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("tui.kill.engage"), variant="error", id="kill-engage")
                yield Button(t("tui.kill.cancel"), variant="default", id="kill-cancel")

    def on_mount(self) -> None:
        self.query_one("#kill-reason", Input).focus()

    def _confirm(self) -> None:
        reason = self.query_one("#kill-reason", Input).value.strip()
        if not reason:
            self.query_one("#kill-error", Static).update(t("tui.kill.reason_required"))
            return
        self.dismiss(reason)

    @on(Input.Submitted, "#kill-reason")
    def _submitted(self) -> None:
        self._confirm()

    @on(Button.Pressed, "#kill-engage")
    def _engage(self) -> None:
        self._confirm()

    @on(Button.Pressed, "#kill-cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
