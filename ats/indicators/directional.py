"""Wilder's directional movement: +DI, -DI and ADX (TA-Lib ``PLUS_DI``, ``MINUS_DI``, ``ADX``).

One pass computes all three (``dmi``): the regime agent wants them together, and the true
range and directional movements they share are the expensive part.
"""

from __future__ import annotations

import numpy as np

from ats.indicators._core import (
    FloatArray,
    as_f64,
    check_period,
    first_valid,
    nan_array,
    recursion,
    same_length,
    seq_sum,
    true_range_into,
)


def _wilder_sum(values: FloatArray, period: int) -> FloatArray:
    """TA-Lib's Wilder *sum* (not average) over ``values[1:]``: the sum of bars
    ``1..period-1``, then ``s = s - s/period + v`` from bar ``period`` on (output from there)."""
    seed = seq_sum(values[1:period])
    return recursion(values[period:], 1.0 - 1.0 / period, 1.0, seed)


def _directional(
    high: FloatArray, low: FloatArray, close: FloatArray, period: int, which: str = "+-"
) -> tuple[FloatArray | None, FloatArray | None]:
    """+DI and/or -DI (``which``) from bar ``period`` on (arrays of length ``n - period``)."""
    n = len(high)
    # Buffers are reused: on 1M bars each fresh temporary costs more (page faults) than
    # the arithmetic done in it.
    tr = np.empty(n)
    tr[0] = 0.0
    scratch = np.empty(n - 1)
    true_range_into(high, low, close, tr[1:], scratch)
    s_tr = _wilder_sum(tr, period)
    live = s_tr != 0.0
    np.divide(100.0, s_tr, out=s_tr, where=live)
    s_tr[~live] = 0.0
    scale = s_tr
    diff_p = np.subtract(high[1:], high[:-1])
    diff_m = np.subtract(low[:-1], low[1:])
    dm = tr  # the true range is smoothed already: its buffer takes the directional move
    result: list[FloatArray | None] = []
    for sign in "+-":
        if sign not in which:
            result.append(None)
            continue
        # +DM: an up-move larger than the down-move; -DM the mirror; ties count for neither.
        move, other = (diff_p, diff_m) if sign == "+" else (diff_m, diff_p)
        np.greater(move, other, out=scratch)
        np.maximum(move, 0.0, out=dm[1:])
        dm[1:] *= scratch
        di = _wilder_sum(dm, period)
        di *= scale
        result.append(di)
    return result[0], result[1]


def _adx_from_di(pdi: FloatArray, mdi: FloatArray, period: int) -> FloatArray:
    """ADX from the DI series (which start at bar ``period``); output from bar ``2*period-1``.

    TA-Lib seeds with the mean of the first ``period`` DX values (an undefined DX — a true
    range sum or DI sum of exactly 0 — counts as 0 there), then
    ``adx = (adx*(period-1) + dx)/period``; a bar with an undefined DX leaves the ADX
    unchanged rather than pulling it towards 0.
    """
    total = pdi + mdi
    valid = total != 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        dx = np.where(valid, 100.0 * (np.abs(mdi - pdi) / total), 0.0)
    out = np.full(len(dx), np.nan)
    if len(dx) < period:
        return out
    seed = seq_sum(dx[:period]) / period
    out[period - 1] = seed
    rest_valid = valid[period:]
    steps = recursion(dx[period:][rest_valid], (period - 1) / period, 1.0 / period, seed)
    # Carry the last defined value across undefined bars: index into [seed, steps...].
    carried = np.concatenate(([seed], steps))
    out[period:] = carried[np.cumsum(rest_valid)]
    return out


def dmi(
    high: FloatArray, low: FloatArray, close: FloatArray, period: int = 14
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(+DI, -DI, ADX)`` in one pass; +DI/-DI from bar ``period``, ADX from ``2*period-1``."""
    return _dmi(high, low, close, period, "+-")


def _dmi(
    high: FloatArray, low: FloatArray, close: FloatArray, period: int, which: str
) -> tuple[FloatArray, FloatArray, FloatArray]:
    high, low, close = as_f64(high, "high"), as_f64(low, "low"), as_f64(close, "close")
    n = same_length(("high", high), ("low", low), ("close", close))
    period = check_period(period)
    plus_out, minus_out, adx_out = nan_array(n), nan_array(n), nan_array(n)
    start = first_valid(high, low, close)
    if n - start <= period:
        return plus_out, minus_out, adx_out
    pdi, mdi = _directional(high[start:], low[start:], close[start:], period, which)
    if pdi is not None:
        plus_out[start + period :] = pdi
    if mdi is not None:
        minus_out[start + period :] = mdi
    if pdi is not None and mdi is not None:
        adx_out[start + period :] = _adx_from_di(pdi, mdi, period)
    return plus_out, minus_out, adx_out


def plus_di(high: FloatArray, low: FloatArray, close: FloatArray, period: int = 14) -> FloatArray:
    """+DI (TA-Lib ``PLUS_DI``): 100 x Wilder-smoothed +DM / Wilder-smoothed true range."""
    return _dmi(high, low, close, period, "+")[0]


def minus_di(high: FloatArray, low: FloatArray, close: FloatArray, period: int = 14) -> FloatArray:
    """-DI (TA-Lib ``MINUS_DI``): 100 x Wilder-smoothed -DM / Wilder-smoothed true range."""
    return _dmi(high, low, close, period, "-")[1]


def adx(high: FloatArray, low: FloatArray, close: FloatArray, period: int = 14) -> FloatArray:
    """Average directional index (TA-Lib ``ADX``): Wilder's average of DX."""
    return _dmi(high, low, close, period, "+-")[2]
