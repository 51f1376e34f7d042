"""The main desk: header, lock banner, panels, charts, the event log and the key bar.

Wide terminals (≥ ``NARROW_WIDTH``) get three columns and everything on one screen. Below
that the grid folds to two columns (one below ``SINGLE_WIDTH``) and the desk scrolls: every
panel stays reachable with PageDown/PageUp (or the mouse wheel), and the key bar stays put.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.events import Resize
from textual.screen import Screen

from ats.brain.state import BrainSnapshot
from ats.domain import Bars
from ats.tui.widgets.banner import LockBanner
from ats.tui.widgets.charts import CachedPlot, EquityChart, FillMark, PriceChart
from ats.tui.widgets.graph import GraphPanel
from ats.tui.widgets.header import DeskHeader, HeaderInfo, audit_segment
from ats.tui.widgets.journal_log import JournalLog
from ats.tui.widgets.keybar import KeyBar
from ats.tui.widgets.panel import SnapshotPanel
from ats.tui.widgets.positions import PositionsPanel
from ats.tui.widgets.regime import RegimePanel
from ats.tui.widgets.risk import RiskPanel
from ats.tui.widgets.strategies import StrategiesPanel

NARROW_WIDTH = 110
SINGLE_WIDTH = 70
CHART_INTERVAL = 2.0  # seconds between chart rebuilds on the live desk (CPU budget)


class DeskScreen(Screen[None]):
    # The log lines, not the filter Input, start focused, so "?" opens help from the start.
    AUTO_FOCUS = "#log-lines"
    BINDINGS = [
        Binding("pagedown", "page(1)", show=False, priority=True),
        Binding("pageup", "page(-1)", show=False, priority=True),
    ]
    _header_info: HeaderInfo | None = None

    def compose(self) -> ComposeResult:
        yield DeskHeader(id="header")
        yield LockBanner(id="banner")
        with VerticalScroll(id="desk"):
            yield RegimePanel(id="regime", classes="panel")
            yield StrategiesPanel(id="strategies", classes="panel")
            yield RiskPanel(id="risk", classes="panel")
            yield PriceChart(id="price", classes="panel")
            yield EquityChart(id="equity-chart", classes="panel")
            yield PositionsPanel(id="positions", classes="panel")
            yield GraphPanel(id="graph", classes="panel")
            yield JournalLog(id="log", classes="panel")
        yield KeyBar(id="keys")

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width < NARROW_WIDTH, "narrow")
        self.set_class(event.size.width < SINGLE_WIDTH, "single")

    def action_page(self, direction: int) -> None:
        desk = self.query_one("#desk", VerticalScroll)
        if direction > 0:
            desk.scroll_page_down(animate=False)
        else:
            desk.scroll_page_up(animate=False)

    def apply(self, snapshot: BrainSnapshot, *, symbol: str | None = None,
              bars: Bars | None = None, fills: Sequence[FillMark] = ()) -> None:
        """Hand one snapshot to every panel (each one repaints only if it changed)."""
        if not self.is_mounted:
            return
        for panel in self.query(SnapshotPanel):
            panel.show(snapshot)
        self.query_one(PriceChart).show(symbol, bars, snapshot, fills)
        self.query_one(EquityChart).show(snapshot)

    def set_header(self, info: HeaderInfo) -> None:
        self._header_info = info
        if self.is_mounted:
            self.query_one(DeskHeader).info = info
            self._show_audit(info)

    def _show_audit(self, info: HeaderInfo) -> None:
        """The last audit's verdict in the risk panel's bottom border (no row of its own)."""
        panel = self.query_one(RiskPanel)
        if info.audit is None:
            panel.border_subtitle = None
            return
        seg = audit_segment(*info.audit)
        panel.border_subtitle = seg.markup

    def on_mount(self) -> None:
        live = getattr(self.app, "refresh_interval", None) is not None
        for chart in self.query(CachedPlot):
            chart.min_interval = CHART_INTERVAL if live else 0.0
        if self._header_info is not None:
            self.query_one(DeskHeader).info = self._header_info
            self._show_audit(self._header_info)
        events = getattr(self.app, "events", None)
        if events:
            self.log_panel.set_events(events)

    @property
    def log_panel(self) -> JournalLog:
        return self.query_one(JournalLog)

    @property
    def banner(self) -> LockBanner:
        return self.query_one(LockBanner)
