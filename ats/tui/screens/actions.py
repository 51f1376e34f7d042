"""The trader's action dialogs: pick a target, then confirm with a reason.

``PickScreen`` lists the choices (a position, a strategy) with what each is; ``ConfirmAction``
says exactly what will happen, asks for the reason that goes to the journal and, for the
kill switch, whether to flatten every position too. Nothing happens without "Confirm".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, OptionList, Static
from textual.widgets.option_list import Option

from ats.i18n import t


@dataclass(frozen=True, slots=True)
class Confirmed:
    reason: str
    flatten: bool = False


class PickScreen(ModalScreen[str | None]):
    """Choose one target; dismisses with its id, or None."""

    BINDINGS = [Binding("escape", "cancel", t("tui.key.cancel"))]

    def __init__(self, title: str, choices: Sequence[tuple[str, str]], empty: str) -> None:
        super().__init__()
        self.title_text = title
        self.choices = tuple(choices)
        self.empty = empty

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="pick-dialog") as box:
            box.border_title = self.title_text
            if not self.choices:
                yield Static(self.empty)
                yield Static(t("desk2.action.esc"), classes="dialog-hint")
                return
            yield OptionList(*(Option(label, id=cid) for cid, label in self.choices),
                             id="pick-list")

    def on_mount(self) -> None:
        if self.choices:
            self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmAction(ModalScreen[Confirmed | None]):
    """States the action; needs a reason when ``reason_required``; Esc cancels."""

    BINDINGS = [Binding("escape", "cancel", t("tui.key.cancel"))]

    def __init__(self, title: str, what: str, *, reason_required: bool = False,
                 offer_flatten: bool = False, danger: bool = True) -> None:
        super().__init__()
        self.title_text = title
        self.what = what
        self.reason_required = reason_required
        self.offer_flatten = offer_flatten
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="confirm-dialog") as box:
            box.border_title = self.title_text
            yield Static(self.what, id="confirm-what")
            yield Input(placeholder=t("desk2.action.reason"), id="confirm-reason")
            if self.offer_flatten:
                yield Checkbox(t("desk2.action.also_flatten"), id="confirm-flatten")
            yield Static("", id="confirm-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("desk2.action.confirm"),
                             variant="error" if self.danger else "primary", id="confirm-ok")
                yield Button(t("tui.kill.cancel"), variant="default", id="confirm-cancel")

    def on_mount(self) -> None:
        self.query_one("#confirm-reason", Input).focus()

    def _confirm(self) -> None:
        reason = self.query_one("#confirm-reason", Input).value.strip()
        if self.reason_required and not reason:
            self.query_one("#confirm-error", Static).update(t("tui.kill.reason_required"))
            return
        flatten = self.offer_flatten and self.query_one("#confirm-flatten", Checkbox).value
        self.dismiss(Confirmed(reason or t("desk2.action.no_reason"), flatten))

    @on(Input.Submitted, "#confirm-reason")
    def _submitted(self) -> None:
        self._confirm()

    @on(Button.Pressed, "#confirm-ok")
    def _ok(self) -> None:
        self._confirm()

    @on(Button.Pressed, "#confirm-cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class VenueErrorScreen(ModalScreen[None]):
    """The venue could not be reached: the full error and what to do about it."""

    BINDINGS = [Binding("escape,enter", "dismiss", t("tui.key.close"))]

    def __init__(self, venue: str, error: str, retry_s: float | None) -> None:
        super().__init__()
        self.venue = venue
        self.error = error
        self.retry_s = retry_s

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="venue-dialog") as box:
            box.border_title = t("desk2.venue.title", venue=self.venue)
            yield Static(self.error, id="venue-error")
            yield Static(venue_hint(self.venue), id="venue-hint")
            if self.retry_s is not None:
                yield Static(t("desk2.venue.retry", s=f"{self.retry_s:g}"),
                             classes="dialog-hint")
            yield Static(t("desk2.venue.close"), classes="dialog-hint")


def venue_hint(venue: str) -> str:
    key = f"desk2.venue.hint.{venue}"
    text = t(key)
    return t("desk2.venue.hint.other") if text == key else text
