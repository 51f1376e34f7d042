"""volatility_expansion_15m: ATR% burst on top-quintile volume, trailing and time exits."""

from __future__ import annotations

import numpy as np
import pytest
from strat_bars import make_bars, position_at, wiggle

from ats.domain import Regime, Side
from ats.strategies import StrategyContext, VolatilityExpansion15MStrategy
from ats.strategies.volatility_expansion_15m import last_rank


def burst(move: float, volume: float, n: int = 200):
    closes = wiggle(n, amp=0.5)
    last = closes[-1] + move
    open_ = np.concatenate(([closes[0]], closes[:-1], [closes[-1]]))
    closes = np.append(closes, last)
    vol = np.append(np.full(n, 100.0), volume)
    return make_bars(closes, "15m", open_=open_, volume=vol)


def run(bars, **ctx):
    return VolatilityExpansion15MStrategy().generate(StrategyContext(bars.symbol, bars, **ctx))


def test_up_burst_on_heavy_volume_goes_long():
    bars = burst(+8.0, 1000.0)
    (sig,) = run(bars, regime=Regime.TREND_UP)
    assert sig.side is Side.BUY and not sig.is_exit
    assert sig.stop_hint < sig.entry and sig.take_hint is None
    assert "volume at the 100% rank" in sig.reason
    assert sig.meta == {"trail_atr": 1.5, "max_bars": 16}


def test_down_burst_goes_short():
    (sig,) = run(burst(-8.0, 1000.0))
    assert sig.side is Side.SELL and sig.stop_hint > sig.entry


@pytest.mark.parametrize(
    ("move", "volume", "regime"),
    [
        (+8.0, 100.0, None),  # ordinary volume: not a real expansion
        (+0.3, 1000.0, None),  # heavy volume but no range expansion
        (+8.0, 1000.0, Regime.RANGE_LOWVOL),  # not a regime it trades
    ],
)
def test_no_entry_without_every_condition(move, volume, regime):
    assert run(burst(move, volume), regime=regime) == []


def test_too_few_bars_is_silent():
    assert run(burst(+8.0, 1000.0, n=50)) == []


def test_time_stop_after_max_bars():
    bars = make_bars(100.0 + 0.5 * np.arange(200), "15m")  # a steady climb: no trailing hit
    assert run(bars, position=position_at(bars, len(bars) - 15, 1.0)) == []
    (sig,) = run(bars, position=position_at(bars, len(bars) - 16, 1.0))
    assert sig.is_exit and sig.side is Side.SELL and "time stop: 16 bars" in sig.reason


def test_trailing_stop_follows_the_best_price():
    closes = np.concatenate((wiggle(150), 101.0 + 2.0 * np.arange(1, 6)))
    bars = make_bars(np.append(closes, closes[-1] - 8.0), "15m")
    pos = position_at(bars, 150, 1.0)
    (sig,) = run(bars, position=pos)
    assert sig.is_exit and "trailing stop" in sig.reason
    # Before the drop the close sat at the high: no exit.
    assert run(bars.slice(0, len(bars) - 1), position=pos) == []
    short = position_at(bars, 150, -1.0)
    assert run(bars.slice(0, len(bars) - 1), position=short)[0].side is Side.BUY


def test_last_rank_is_the_mid_rank():
    assert last_rank(np.array([1.0, 2.0, 3.0])) == 1.0
    assert last_rank(np.array([3.0, 2.0, 1.0])) == 0.0
    assert last_rank(np.array([2.0, 2.0, 2.0])) == 0.5
