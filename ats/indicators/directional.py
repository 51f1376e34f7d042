"""Wilder's directional movement: +DI, -DI and ADX (TA-Lib ``PLUS_DI``, ``MINUS_DI``, ``ADX``).

One pass computes all three (``dmi``): the regime agent wants them together, and the true
range and directional movements they share are the expensive part. The single-output
functions run the same kernel and allocate only the array they return.
"""

from __future__ import annotations

from ats.indicators._core import FloatArray, as_f64, check_period, first_valid, same_length
from ats.indicators._kernels import dmi_kernel


def _dmi(
    high: FloatArray, low: FloatArray, close: FloatArray, period: int, which: str
) -> tuple[FloatArray, FloatArray, FloatArray]:
    high, low, close = as_f64(high, "high"), as_f64(low, "low"), as_f64(close, "close")
    same_length(("high", high), ("low", low), ("close", close))
    period = check_period(period)
    start = first_valid(high, low, close)
    return dmi_kernel(high, low, close, start, period, "+" in which, "-" in which, "a" in which)


def dmi(
    high: FloatArray, low: FloatArray, close: FloatArray, period: int = 14
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(+DI, -DI, ADX)`` in one pass; +DI/-DI from bar ``period``, ADX from ``2*period-1``."""
    return _dmi(high, low, close, period, "+-a")


def plus_di(high: FloatArray, low: FloatArray, close: FloatArray, period: int = 14) -> FloatArray:
    """+DI (TA-Lib ``PLUS_DI``): 100 x Wilder-smoothed +DM / Wilder-smoothed true range."""
    return _dmi(high, low, close, period, "+")[0]


def minus_di(high: FloatArray, low: FloatArray, close: FloatArray, period: int = 14) -> FloatArray:
    """-DI (TA-Lib ``MINUS_DI``): 100 x Wilder-smoothed -DM / Wilder-smoothed true range."""
    return _dmi(high, low, close, period, "-")[1]


def adx(high: FloatArray, low: FloatArray, close: FloatArray, period: int = 14) -> FloatArray:
    """Average directional index (TA-Lib ``ADX``): Wilder's average of DX."""
    return _dmi(high, low, close, period, "a")[2]
