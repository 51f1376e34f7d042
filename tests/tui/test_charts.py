"""The charts have axes and a scale, and a tiny dip stays tiny: the price chart shows the
focused symbol's candles, the position's lines and its fills; the equity chart shows the
equity and the drawdown against a real scale (no solid red panel for −0.04 %)."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
from textual.app import App, ComposeResult

from ats.brain.state import EquityPoint
from ats.domain import Bars
from ats.tui.widgets.charts import EquityChart, FillMark, PriceChart
from tests.tui.fakes import T0, sample_snapshot


class ChartApp(App[None]):
    def compose(self) -> ComposeResult:
        yield PriceChart(id="price")
        yield EquityChart(id="eq")


def bars(n: int = 60) -> Bars:
    ts = np.array([T0 + i * 60_000 for i in range(n)], dtype=np.int64)
    close = 43_000 + 200 * np.sin(np.arange(n) / 6)
    return Bars("BTC/USDT:USDT", "1m", ts, close - 20, close + 60, close - 60, close,
                np.full(n, 10.0))


def plain(widget: PriceChart | EquityChart) -> str:
    return widget.render().plain  # type: ignore[union-attr]


async def test_price_chart_has_axes_lines_and_fills() -> None:
    app = ChartApp()
    async with app.run_test(size=(100, 40)) as pilot:
        chart = app.query_one(PriceChart)
        b = bars()
        fill = FillMark(int(b.ts[30]), "BTC/USDT:USDT", "buy", 43_000.0)
        chart.show("BTC/USDT:USDT", b, sample_snapshot(), [fill])
        await pilot.pause()
        text = plain(chart)
        assert "▲" in text  # the fill, at its bar and price
        assert re.search(r"\b\d\d:\d\d\b", text)  # time axis
        assert re.search(r"4[2-5]\d{3}", text)  # price scale (stop 42,000, take 45,000)
        assert "BTC/USDT:USDT" in str(chart.border_title)
        builds = chart.builds
        chart.show("BTC/USDT:USDT", b, sample_snapshot(), [fill])  # same data: no rebuild
        chart.render()
        assert chart.builds == builds


async def test_a_small_dip_is_not_a_solid_red_panel() -> None:
    app = ChartApp()
    async with app.run_test(size=(100, 40)) as pilot:
        chart = app.query_one(EquityChart)
        hist = tuple(EquityPoint(T0 + i * 60_000, 10_000.0 - (4.0 if i > 30 else 0.0),
                                 -0.0004 if i > 30 else 0.0) for i in range(60))
        chart.show(replace(sample_snapshot(), equity_history=hist, drawdown=-0.0004))
        await pilot.pause()
        text = plain(chart)
        assert text.count("█") < 10  # lines, not a filled panel
        assert "-0.04%" in str(chart.border_title)
        # the scales: equity over at least 0.5 % of equity, drawdown down to at least -0.5 %
        left = [float(m) for m in re.findall(r"^\s*(\d{4,}\.\d+)┤", text, re.M)]
        assert left and max(left) - min(left) >= 0.004 * 10_000
        right = [float(m) for m in re.findall(r"├(-?\d+\.\d+)\s*$", text, re.M)]
        assert right and min(right) <= -0.45 and max(right) == 0.0
