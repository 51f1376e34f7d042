"""The main desk: header, the six panels and the log, laid out for 120×40 and 80×24.

Wide terminals get three columns; below ``NARROW_WIDTH`` the grid folds to two columns
and the whole desk scrolls, so every panel stays reachable on a small terminal.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Grid
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer

from ats.brain.state import BrainSnapshot
from ats.tui.widgets.equity import EquityPanel
from ats.tui.widgets.graph import GraphPanel
from ats.tui.widgets.header import DeskHeader, HeaderInfo
from ats.tui.widgets.journal_log import JournalLog
from ats.tui.widgets.panel import SnapshotPanel
from ats.tui.widgets.positions import PositionsPanel
from ats.tui.widgets.regime import RegimePanel
from ats.tui.widgets.risk import RiskPanel
from ats.tui.widgets.strategies import StrategiesPanel

NARROW_WIDTH = 110


class DeskScreen(Screen[None]):
    # The log lines, not the filter Input, start focused, so "?" opens help from the start.
    AUTO_FOCUS = "#log-lines"
    _header_info: HeaderInfo | None = None

    def compose(self) -> ComposeResult:
        yield DeskHeader(id="header")
        with Grid(id="desk"):
            yield RegimePanel(id="regime", classes="panel")
            yield StrategiesPanel(id="strategies", classes="panel")
            yield RiskPanel(id="risk", classes="panel")
            yield GraphPanel(id="graph", classes="panel")
            yield PositionsPanel(id="positions", classes="panel")
            yield EquityPanel(id="equity", classes="panel")
            yield JournalLog(id="log", classes="panel")
        yield Footer(compact=True)

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width < NARROW_WIDTH, "narrow")

    def apply(self, snapshot: BrainSnapshot) -> None:
        """Hand one snapshot to every panel (each one repaints only if it changed)."""
        if not self.is_mounted:
            return
        for panel in self.query(SnapshotPanel):
            panel.show(snapshot)

    def set_header(self, info: HeaderInfo) -> None:
        self._header_info = info
        if self.is_mounted:
            self.query_one(DeskHeader).info = info

    def on_mount(self) -> None:
        if self._header_info is not None:
            self.query_one(DeskHeader).info = self._header_info
        events = getattr(self.app, "events", None)
        if events:
            self.log_panel.set_events(events)

    @property
    def log_panel(self) -> JournalLog:
        return self.query_one(JournalLog)
