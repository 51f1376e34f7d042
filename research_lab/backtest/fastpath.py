"""Loop-free backtest for strategies without stops, takes or time exits.

Without protective exits the position after each bar's close is a pure function of the
signals (last entry, and whether an exit of that side came after it), and with no
size-dependent market impact every trade's return is a fraction of equity independent of the
equity level — so compounding is a cumulative product. Same fill semantics as
``engine.run_backtest`` (tested equal on random signals); this path just never loops.
"""

from __future__ import annotations

import numpy as np

from ats.domain import Bars
from research_lab.dsl.evaluate import SignalArrays


def _last_index(mask: np.ndarray, arange: np.ndarray) -> np.ndarray:
    """``out[t]`` = largest index ``<= t`` where ``mask`` is true, -1 if none."""
    idx = np.where(mask, arange, -1)
    return np.maximum.accumulate(idx, out=idx)


def held_position(sig: SignalArrays) -> np.ndarray:
    """Side (+1/-1/0) held during each bar (decided at the previous bar's close)."""
    n = len(sig.long_entry)
    le = sig.long_entry & ~sig.short_entry
    se = sig.short_entry & ~sig.long_entry
    lx = sig.long_exit & ~sig.long_entry
    sx = sig.short_exit & ~sig.short_entry
    # int32 indices halve the memory traffic of the accumulates on long histories
    arange = np.arange(n, dtype=np.int32 if n < 2**31 - 1 else np.int64)
    last_entry = _last_index(le | se, arange)
    side = np.where(le[np.maximum(last_entry, 0)], 1, -1).astype(np.int8)
    side[last_entry < 0] = 0
    # an exit only matters where it comes after the last entry; skip absent exit kinds
    if lx.any():
        side[(side > 0) & (_last_index(lx, arange) > last_entry)] = 0
    if sx.any():
        side[(side < 0) & (_last_index(sx, arange) > last_entry)] = 0
    held = np.zeros(n, dtype=np.int64)
    held[1:] = side[:-1]
    return held


def fast_trades(bars: Bars, sig: SignalArrays, slip_base: float, vol_impact: float
                ) -> tuple[np.ndarray, ...]:
    """Trade columns: side, entry_bar, exit_bar, entry_px, exit_px, is_end."""
    o, h, lo, c = bars.open, bars.high, bars.low, bars.close
    n = len(c)
    held = held_position(sig)
    change = np.flatnonzero(held[1:] != held[:-1]) + 1  # bars whose open fills something
    starts = change[held[change] != 0]
    if len(starts) == 0:
        e = np.zeros(0, dtype=np.int64)
        f = np.zeros(0)
        return e, e, e, f, f, np.zeros(0, dtype=bool)
    pos = np.searchsorted(change, starts, side="right")
    exits = np.where(pos < len(change), change[np.minimum(pos, len(change) - 1)], n - 1)
    is_end = pos >= len(change)
    side = held[starts]

    def rng_bps(i: np.ndarray) -> np.ndarray:  # signal-bar range, only where a fill happens
        ci = c[i]
        return np.where(ci > 0, (h[i] - lo[i]) / np.where(ci > 0, ci, 1.0) * 1e4, 0.0)

    slip_in = (slip_base + vol_impact * rng_bps(starts - 1)) / 1e4
    entry = (o[starts] + side * bars.spread[starts] / 2.0) * (1.0 + side * slip_in)
    slip_out = (slip_base + vol_impact * rng_bps(exits - 1)) / 1e4
    exit_mkt = (o[exits] - side * bars.spread[exits] / 2.0) * (1.0 - side * slip_out)
    exit_px = np.where(is_end, c[n - 1], exit_mkt)
    return side, starts, exits, entry, exit_px, is_end
