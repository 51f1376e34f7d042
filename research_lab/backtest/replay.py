"""Backtest any registry strategy: replay ``generate()`` bar by bar, turn its signals into the
backtester's arrays.

A signal's ``ts`` is the close time of the bar it was computed on, which fixes its bar
index; entries become long/short entries with the stop (and take) hint as a distance from
the signal's entry price; exits (side SELL closes a long, BUY closes a short) become exits.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ats.domain import Bars, Side, StrategySignal
from ats.domain.types import timeframe_ms
from research_lab.dsl.evaluate import SignalArrays


def signals_to_arrays(signals: Iterable[StrategySignal], bars: Bars) -> SignalArrays:
    n = len(bars)
    le, lx, se, sx = (np.zeros(n, dtype=bool) for _ in range(4))
    stop, take = np.full(n, np.nan), np.full(n, np.nan)
    tf = timeframe_ms(bars.timeframe)
    index = {int(t) + tf: i for i, t in enumerate(bars.ts)}
    for s in signals:
        i = index.get(int(s.ts))
        if i is None:
            continue
        if s.is_exit:
            (lx if s.side is Side.SELL else sx)[i] = True
            continue
        (le if s.side is Side.BUY else se)[i] = True
        if s.stop_hint is not None and np.isfinite(s.stop_hint):
            stop[i] = abs(s.entry - s.stop_hint)
        if s.take_hint is not None and np.isfinite(s.take_hint):
            take[i] = abs(s.take_hint - s.entry)
    return SignalArrays(le, lx, se, sx, stop, take)


def strategy_arrays(strategy: Any, bars: Bars, **kwargs: Any) -> SignalArrays:
    """Signal arrays of a ``TradingStrategy`` replayed over ``bars`` (no lookahead possible:
    each call sees only the bars up to the one it signals on)."""
    from ats.strategies import signals_over_history

    return signals_to_arrays(signals_over_history(strategy, bars, **kwargs), bars)
