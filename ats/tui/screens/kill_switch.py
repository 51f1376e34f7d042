"""Kill switch confirmation: engaging stops all new risk, so it asks for a reason first.

It says that the switch persists (across restarts, until ``ats unlock --kill-switch``),
that resting orders are cancelled, and offers to flatten every position as well.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Static

from ats.i18n import t
from ats.tui.screens.actions import Confirmed


class KillSwitchDialog(ModalScreen[Confirmed | None]):
    """Dismisses with the reason (and the flatten choice) when confirmed, else ``None``."""

    BINDINGS = [Binding("escape", "cancel", t("tui.key.cancel"))]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="kill-dialog") as box:
            box.border_title = t("tui.kill.title")
            yield Static(t("tui.kill.warning"), id="kill-warning")
            yield Static(t("desk2.kill.persists"), id="kill-persists")
            yield Input(placeholder=t("tui.kill.reason_placeholder"), id="kill-reason")
            yield Checkbox(t("desk2.action.also_flatten"), id="kill-flatten")
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
        self.dismiss(Confirmed(reason, self.query_one("#kill-flatten", Checkbox).value))

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
