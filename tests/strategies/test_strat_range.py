"""range_reversion_5m: band + RSI fades in range_lowvol only, exits at the middle band."""

from __future__ import annotations

import numpy as np
from strat_bars import make_bars, position_at, wiggle

from ats.domain import Regime, Side
from ats.indicators import bollinger, rsi
from ats.strategies import RangeReversion5MStrategy, StrategyContext

LOW = Regime.RANGE_LOWVOL


def flush(direction: float):
    closes = wiggle(150)
    return make_bars(np.append(closes, closes[-1] + direction * np.cumsum([1.5, 1.5, 2.0])), "5m")


def run(bars, **ctx):
    return RangeReversion5MStrategy().generate(StrategyContext(bars.symbol, bars, **ctx))


def test_oversold_below_lower_band_goes_long_to_the_middle():
    bars = flush(-1.0)
    upper, middle, lower = bollinger(bars.close, 20, 2.0)
    assert bars.close[-1] < lower[-1] and rsi(bars.close, 14)[-1] < 30  # the setup is real
    (sig,) = run(bars, regime=LOW)
    assert sig.side is Side.BUY and sig.take_hint == middle[-1]
    assert sig.stop_hint < sig.entry
    assert "below the 20/2 Bollinger band" in sig.reason


def test_overbought_above_upper_band_goes_short():
    (sig,) = run(flush(+1.0), regime=LOW)
    assert sig.side is Side.SELL and sig.take_hint < sig.entry < sig.stop_hint


def test_only_in_range_lowvol():
    bars = flush(-1.0)
    assert run(bars) == []  # unknown regime does not qualify
    for regime in (Regime.TREND_UP, Regime.RANGE_HIGHVOL, Regime.PANIC):
        assert run(bars, regime=regime) == []


def test_no_entry_inside_the_bands():
    assert run(make_bars(wiggle(200), "5m"), regime=LOW) == []


def test_exit_at_middle_band_on_regime_change_and_on_time():
    bars = make_bars(wiggle(200), "5m")
    mid = bollinger(bars.close, 20, 2.0)[1][-1]
    long_pos = position_at(bars, len(bars) - 3, 1.0)
    below = bars.close[-1] < mid
    sigs = run(bars, regime=LOW, position=long_pos)
    assert bool(sigs) == (not below)
    short_pos = position_at(bars, len(bars) - 3, -1.0)
    assert bool(run(bars, regime=LOW, position=short_pos)) == below
    flushed = flush(-1.0)
    pos = position_at(flushed, len(flushed) - 2, 1.0)
    (sig,) = run(flushed, regime=Regime.TREND_DOWN, position=pos)
    assert sig.is_exit and "regime is trend_down, no longer range_lowvol" in sig.reason
    assert run(flushed, regime="trend_down", position=pos) == [sig]  # plain strings work too
    old = position_at(flushed, len(flushed) - 40, 1.0)
    (sig,) = run(flushed, regime=LOW, position=old)
    assert "time stop: 40 bars" in sig.reason
    assert run(flushed, regime=LOW, position=pos) == []
