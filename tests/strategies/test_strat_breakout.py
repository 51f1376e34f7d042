"""breakout_4h: fires on an ADX-confirmed 55-bar breakout, manages 1R/2R partials and exits."""

from __future__ import annotations

import numpy as np
from strat_bars import make_bars, position_at, wiggle

from ats.domain import Regime, Side
from ats.indicators import atr, dmi
from ats.strategies import Breakout4HStrategy, StrategyContext, signals_over_history


def rally(n_range=120, n_up=40, step=1.5, then=()):
    """A quiet range, a steady rally, then optional further closes."""
    up = wiggle(n_range)[-1] + step * np.arange(1, n_up + 1)
    return np.concatenate((wiggle(n_range), up, np.asarray(then, dtype=float)))


def test_long_entry_on_confirmed_breakout():
    bars = make_bars(rally(), "4h")
    strat = Breakout4HStrategy()
    sigs = signals_over_history(strat, bars, track_positions=False)
    entries = [s for s in sigs if not s.is_exit]
    assert entries and all(s.side is Side.BUY for s in entries)
    first = entries[0]
    k = int(np.searchsorted(bars.ts, first.ts - 4 * 3_600_000))  # the signal bar
    tail = bars.slice(max(0, k + 1 - strat.bars_needed), k + 1)
    h, lo, c = tail.high, tail.low, tail.close
    pdi, mdi, adx = (v[-1] for v in dmi(h, lo, c, 14))
    assert c[-1] > h[-56:-1].max() and adx >= 20.0 and pdi > mdi
    risk = 2.0 * atr(h, lo, c, 14)[-1]
    assert first.entry == c[-1] and first.stop_hint == c[-1] - risk
    assert first.take_hint is None
    assert [t["price"] for t in first.meta["partial_takes"]] == [c[-1] + risk, c[-1] + 2 * risk]
    assert "broke above the 55-bar channel" in first.reason
    assert 0.5 <= first.confidence <= 1.0
    # The bar before it did not qualify (else the signal would have come then).
    prev = bars.slice(max(0, k - strat.bars_needed), k)
    assert strat.generate(StrategyContext(bars.symbol, prev)) == []


def test_short_entry_mirrors_the_long():
    bars = make_bars(400.0 - rally(), "4h")
    entries = [s for s in signals_over_history(Breakout4HStrategy(), bars, track_positions=False)]
    assert entries and all(s.side is Side.SELL and not s.is_exit for s in entries)
    assert entries[0].stop_hint > entries[0].entry


def test_no_entry_without_trend_strength_breakout_or_regime():
    bars = make_bars(rally(), "4h")
    assert signals_over_history(Breakout4HStrategy(adx_min=99.0), bars) == []
    assert signals_over_history(Breakout4HStrategy(), make_bars(wiggle(300), "4h")) == []
    assert signals_over_history(Breakout4HStrategy(), bars, regime=Regime.RANGE_LOWVOL) == []
    assert signals_over_history(Breakout4HStrategy(), bars.slice(0, 60)) == []  # warming up


def test_partials_fire_once_each_then_channel_exit():
    fall = rally()[-1] + 1.5 * np.arange(1, 30)  # keep rallying (reach 1R and 2R) ...
    fall = np.concatenate((fall, fall[-1] - 3.0 * np.arange(1, 25)))  # ... then break down
    closes = rally(then=fall)
    bars = make_bars(closes, "4h")
    sigs = signals_over_history(Breakout4HStrategy(), bars)[:4]  # later: a new short
    kinds = [(s.is_exit, s.meta.get("r_multiple"), s.meta.get("qty_fraction")) for s in sigs]
    assert kinds == [(False, None, None), (True, 1.0, 0.5), (True, 2.0, 0.5), (True, None, 1.0)]
    entry, one_r, _, final = sigs
    assert all(s.side is Side.SELL for s in sigs[1:])
    target = entry.entry + entry.meta["r"]
    j = int(np.searchsorted(bars.ts, one_r.ts - 4 * 3_600_000))
    first_bar = int(np.searchsorted(bars.ts, entry.ts))  # the fill bar
    assert bars.high[j] >= target - 1e-9 * target
    assert not np.any(bars.high[first_bar:j] >= target + 1e-9 * target)
    assert "20-bar exit channel" in final.reason


def test_initial_stop_breach_is_a_full_exit():
    closes = rally()
    bars = make_bars(closes, "4h")
    pos = position_at(bars, len(bars) - 5, 1.0, price=float(closes[-1]) + 50.0)
    (sig,) = Breakout4HStrategy().generate(
        StrategyContext(bars.symbol, bars.tail(200), position=pos)
    )
    assert sig.is_exit and sig.side is Side.SELL and sig.meta["qty_fraction"] == 1.0
    assert "initial stop" in sig.reason


def test_short_position_exits_on_upper_channel():
    closes = np.concatenate((400.0 - rally(), 400.0 - rally()[-1] + 3.0 * np.arange(1, 12)))
    bars = make_bars(closes, "4h")
    pos = position_at(bars, len(bars) - 15, -1.0, price=float(closes[-15]))
    sigs = Breakout4HStrategy(stop_atr=50.0).generate(
        StrategyContext(bars.symbol, bars, position=pos)
    )
    assert [s.side for s in sigs] == [Side.BUY]
    assert sigs[0].is_exit and "above the 20-bar exit channel" in sigs[0].reason


def test_no_partials_for_an_entry_older_than_the_window():
    closes = rally(then=rally()[-1] + 1.5 * np.arange(1, 30))
    bars = make_bars(closes, "4h")
    strat = Breakout4HStrategy()
    tail = bars.tail(strat.bars_needed)
    risk = 2.0 * atr(tail.high, tail.low, tail.close, 14)[-1]
    # 1R lies between the last two highs: "first reached" on the last bar of the window...
    entry = (tail.high[-2] + tail.high[-1]) / 2.0 - risk
    pos = position_at(bars, 0, 1.0, price=float(entry))
    assert strat.generate(StrategyContext(bars.symbol, tail, position=pos)) == []
    # ...while the same position entered inside the window does get its 1R partial.
    inside = position_at(bars, len(bars) - 20, 1.0, price=float(entry))
    sigs = strat.generate(StrategyContext(bars.symbol, tail, position=inside))
    assert [s.meta.get("r_multiple") for s in sigs] == [1.0]
