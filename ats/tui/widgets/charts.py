"""Charts a trader reads: the focused symbol's candles and the account's equity with drawdown.

Both are plotext plots (through ``textual-plotext``) with real axes and scales. Building a
plotext figure costs some 20 ms, so a chart rebuilds only when its data or its size
changed, never on a plain repaint, and at most once per ``min_interval`` (2 s on the live
desk, which refreshes its panels five times a second; 0 in tests, so every shot is exact).

The price chart draws the last bars of the brain's own window (what the strategies saw),
the open position's entry (blue), stop (red) and take (green) as horizontal lines, and the
fills of this run as ▲ (buy) / ▼ (sell) at their price and bar.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot

from ats.brain.state import BrainSnapshot
from ats.domain import Bars
from ats.domain.clock import ms_to_datetime
from ats.i18n import t


@dataclass(frozen=True, slots=True)
class FillMark:
    ts: int
    symbol: str
    side: str  # buy | sell
    price: float


MIN_SPAN = 0.005  # the equity axis spans at least 0.5 % of equity
MIN_DD = -0.005  # the drawdown axis reaches at least -0.5 %


def _hm(ms: int) -> str:
    return ms_to_datetime(ms).strftime("%H:%M")


def _ticks(ts: Sequence[int], n: int) -> tuple[list[int], list[str]]:
    """About ``n`` evenly spaced x positions (bar indices) with their HH:MM labels."""
    if not ts:
        return [], []
    step = max(1, len(ts) // max(1, n))
    idx = list(range(0, len(ts), step))
    return [i + 1 for i in idx], [_hm(int(ts[i])) for i in idx]


class CachedPlot(PlotextPlot):
    """A plotext plot rebuilt only when ``key`` (data identity) or the size changes."""

    DEFAULT_CSS = """
    CachedPlot { height: 1fr; width: 1fr; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._key: object = None
        self._cache: tuple[object, Text] | None = None
        self.builds = 0  # how often the figure was actually rebuilt (tests, the benchmark)
        self.min_interval = 0.0  # seconds between rebuilds for new data (set by the desk)
        self._built_at = 0.0
        self._pending = False

    def set_key(self, key: object) -> None:
        if key == self._key:
            return
        self._key = key
        wait = self._built_at + self.min_interval - time.monotonic()
        if wait <= 0 or self._cache is None:
            self.refresh()
        elif not self._pending:
            self._pending = True
            self.set_timer(wait, self._catch_up)

    def set_title(self, title: str) -> None:
        """Set the border title only when it changed (each set repaints the whole plot)."""
        if title != self.border_title:
            self.border_title = title

    def _catch_up(self) -> None:
        self._pending = False
        self.refresh()

    def draw(self) -> None:
        """Fill ``self.plt`` for the current data (subclasses)."""

    def render(self) -> RenderResult:
        full = (self._key, self.size.width, self.size.height, self.app.theme)
        if self._cache is not None and self._cache[0] == full:
            return self._cache[1]
        plt = self.plt
        plt.clear_figure()
        self.draw()
        text = super().render()
        assert isinstance(text, Text)
        self._cache = (full, text)
        self.builds += 1
        self._built_at = time.monotonic()
        return text


class PriceChart(CachedPlot):
    """Candles of the focused symbol with the position's lines and the run's fills."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.symbol: str | None = None
        self.bars: Bars | None = None
        self.snapshot: BrainSnapshot | None = None
        self.fills: tuple[FillMark, ...] = ()
        self.border_title = t("desk2.chart.price")

    def show(self, symbol: str | None, bars: Bars | None, snapshot: BrainSnapshot,
             fills: Sequence[FillMark]) -> None:
        self.symbol, self.bars, self.snapshot = symbol, bars, snapshot
        mine = tuple(f for f in fills if f.symbol == symbol)
        self.fills = mine
        pos = next((p for p in snapshot.positions if p.symbol == symbol), None)
        last_ts = int(bars.ts[-1]) if bars is not None and len(bars) else None
        self.set_title(t("desk2.chart.price_of", symbol=symbol) if symbol else
                       t("desk2.chart.price"))
        self.set_key((symbol, last_ts, len(bars) if bars is not None else 0,
                      (pos.entry_price, pos.stop, pos.take) if pos else None, mine))

    def draw(self) -> None:
        plt = self.plt
        bars, snap = self.bars, self.snapshot
        if bars is None or not len(bars) or snap is None:
            plt.title(t("desk2.chart.no_bars"))
            return
        n = max(10, min(len(bars), (self.size.width - 10) // 2))
        o, h, lo, c = (list(map(float, a[-n:])) for a in (bars.open, bars.high, bars.low,
                                                           bars.close))
        ts = [int(x) for x in bars.ts[-n:]]
        xs = list(range(1, len(ts) + 1))
        plt.candlestick(xs, {"Open": o, "Close": c, "High": h, "Low": lo})
        pos = next((p for p in snap.positions if p.symbol == self.symbol), None)
        if pos is not None:
            plt.hline(float(pos.entry_price), "blue")
            if pos.stop is not None:
                plt.hline(float(pos.stop), "red")
            if pos.take is not None:
                plt.hline(float(pos.take), "green")
        for side in ("buy", "sell"):
            fx, fy = [], []
            for f in self.fills:
                if f.side != side or f.ts < ts[0]:
                    continue
                fx.append(max(1, bisect.bisect_right(ts, f.ts)))
                fy.append(f.price)
            if fx:
                plt.scatter(fx, fy, marker="▲" if side == "buy" else "▼",
                            color="green" if side == "buy" else "red")
        ticks, labels = _ticks(ts, max(2, self.size.width // 14))
        plt.xticks(ticks, labels)
        plt.xlim(0, len(ts) + 1)


class EquityChart(CachedPlot):
    """Equity (left axis, account currency) and drawdown (right axis, %) over time."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.snapshot: BrainSnapshot | None = None
        self.border_title = t("desk2.chart.equity")
        self.border_subtitle = t("desk2.chart.equity_axes")

    def show(self, snapshot: BrainSnapshot) -> None:
        self.snapshot = snapshot
        hist = snapshot.equity_history
        self.set_title(t("desk2.chart.equity_of", equity=f"{snapshot.equity:,.2f}",
                         pnl=f"{snapshot.pnl_total:+,.2f}",
                         dd=f"{snapshot.drawdown * 100:+.2f}%"))
        self.set_key((len(hist), hist[-1] if hist else None))

    def draw(self) -> None:
        plt = self.plt
        snap = self.snapshot
        hist = snap.equity_history if snap is not None else ()
        if len(hist) < 2:
            plt.title(t("tui.equity.collecting"))
            return
        xs = list(range(1, len(hist) + 1))
        plt.plot(xs, [p.equity for p in hist], color="green")
        plt.plot(xs, [p.drawdown * 100 for p in hist], color="red", yside="right")
        ticks, labels = _ticks([p.ts for p in hist], max(2, self.size.width // 14))
        plt.xticks(ticks, labels)
        # Scales never shrink below MIN_SPAN of equity / MIN_DD: a 0.04 % dip stays a small
        # step instead of being stretched over the whole panel.
        lo, hi = min(p.equity for p in hist), max(p.equity for p in hist)
        span = max(hi - lo, MIN_SPAN * hi)
        mid = (hi + lo) / 2
        plt.ylim(mid - span / 2, mid + span / 2)
        low = min(p.drawdown for p in hist) * 100
        plt.ylim(min(low * 1.2, MIN_DD * 100), 0, yside="right")
