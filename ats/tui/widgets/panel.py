"""The base of every desk panel: a pure "snapshot → view" function behind a safety net.

A panel keeps the latest ``BrainSnapshot`` and renders it on demand, at the width it has.
If the view function raises (a bug, an unexpected value), the panel shows the error in its
own box and the rest of the desk keeps working — a trader never loses the whole screen to
one broken gauge.
"""

from __future__ import annotations

import logging

from rich.console import RenderableType
from rich.text import Text
from textual.widget import Widget

from ats.brain.state import BrainSnapshot
from ats.i18n import t

log = logging.getLogger(__name__)


class SnapshotPanel(Widget):
    """Subclasses implement ``view(snapshot, width)``; ``show`` hands them a new snapshot."""

    DEFAULT_CSS = """
    SnapshotPanel { height: auto; }
    """
    TITLE_KEY = ""
    FIXED_HEIGHT = False  # True where the grid fixes the height: repaint without relayout

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.snapshot: BrainSnapshot | None = None
        self.last_error: str = ""
        if self.TITLE_KEY:
            self.border_title = t(self.TITLE_KEY)

    def show(self, snapshot: BrainSnapshot) -> None:
        """Take a new snapshot; repaint only if it is a different object."""
        if snapshot is self.snapshot:
            return
        self.snapshot = snapshot
        self.refresh(layout=not self.FIXED_HEIGHT)

    def view(self, snapshot: BrainSnapshot, width: int) -> RenderableType:
        raise TypeError(f"{type(self).__name__} must define view()")

    def render(self) -> RenderableType:
        if self.snapshot is None:
            return Text(t("tui.panel.waiting"), style="dim")
        try:
            result = self.view(self.snapshot, max(10, self.content_size.width))
        except Exception as exc:  # noqa: BLE001 - a broken panel must not kill the desk
            error = f"{type(exc).__name__}: {exc}"
            if error != self.last_error:  # once per distinct failure, not on every repaint
                log.exception("panel %s failed to render", self.id)
            self.last_error = error
            return Text(t("tui.panel.error", error=self.last_error), style="bold red")
        self.last_error = ""
        return result
