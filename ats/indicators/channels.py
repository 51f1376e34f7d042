"""Donchian channel: rolling highest high / lowest low (TA-Lib ``MAX`` / ``MIN``)."""

from __future__ import annotations

import numpy as np

from ats.indicators._core import FloatArray, as_f64, check_period, first_valid, same_length
from ats.indicators._window_kernels import extreme_into


def donchian(high: FloatArray, low: FloatArray, period: int) -> tuple[FloatArray, FloatArray]:
    """``(upper, lower)``: highest high and lowest low of the last ``period`` bars, *including*
    the current one; first value at bar ``period-1``.

    Because the current bar is inside the window, a close can never exceed ``upper`` on the
    same bar: a breakout rule compares the close with the *previous* bar's channel.
    """
    high, low = as_f64(high, "high"), as_f64(low, "low")
    n = same_length(("high", high), ("low", low))
    period = check_period(period, minimum=1)
    start = first_valid(high, low)
    upper, lower = np.empty(n), np.empty(n)
    # Two kernel calls from here, not one kernel calling the other: numba compiles a nested
    # call of this loop several times slower.
    extreme_into(high, start, period, upper, 1.0)
    extreme_into(low, start, period, lower, -1.0)
    return upper, lower
