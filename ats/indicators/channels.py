"""Donchian channel: rolling highest high / lowest low (TA-Lib ``MAX`` / ``MIN``)."""

from __future__ import annotations

from ats.indicators._core import (
    FloatArray,
    as_f64,
    check_period,
    first_valid,
    nan_array,
    same_length,
    window_max,
    window_min,
)


def donchian(high: FloatArray, low: FloatArray, period: int) -> tuple[FloatArray, FloatArray]:
    """``(upper, lower)``: highest high and lowest low of the last ``period`` bars, *including*
    the current one; first value at bar ``period-1``.

    Because the current bar is inside the window, a close can never exceed ``upper`` on the
    same bar: a breakout rule compares the close with the *previous* bar's channel.
    """
    high, low = as_f64(high, "high"), as_f64(low, "low")
    n = same_length(("high", high), ("low", low))
    period = check_period(period, minimum=1)
    upper, lower = nan_array(n), nan_array(n)
    start = first_valid(high, low)
    if n - start >= period:
        upper[start + period - 1 :] = window_max(high[start:], period)
        lower[start + period - 1 :] = window_min(low[start:], period)
    return upper, lower
