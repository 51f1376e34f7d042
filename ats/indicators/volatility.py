"""Volatility: true range, ATR (Wilder), ATR %, Bollinger bands, historical volatility."""

from __future__ import annotations

import numpy as np

from ats.indicators._core import (
    FloatArray,
    as_f64,
    check_period,
    first_valid,
    nan_array,
    same_length,
)
from ats.indicators._jit import ro
from ats.indicators._kernels import atr_kernel, sma_kernel, true_range_kernel
from ats.indicators._window_kernels import BANDS, STDDEV, variance_kernel

_EMPTY = np.empty(0)


def _hlc(high: FloatArray, low: FloatArray, close: FloatArray) -> tuple[FloatArray, ...]:
    high, low, close = as_f64(high, "high"), as_f64(low, "low"), as_f64(close, "close")
    same_length(("high", high), ("low", low), ("close", close))
    return high, low, close


def true_range(high: FloatArray, low: FloatArray, close: FloatArray) -> FloatArray:
    """``max(high-low, |high-prev_close|, |low-prev_close|)``; NaN on the first bar (no
    previous close), as TA-Lib ``TRANGE``."""
    high, low, close = _hlc(high, low, close)
    return true_range_kernel(high, low, close, first_valid(high, low, close))


def atr(high: FloatArray, low: FloatArray, close: FloatArray, period: int = 14) -> FloatArray:
    """Average true range (TA-Lib ``ATR``): Wilder's average of the true range, seeded with
    the mean of the first ``period`` true ranges; first value at bar ``period``."""
    period = check_period(period, minimum=1)
    high, low, close = _hlc(high, low, close)
    return atr_kernel(high, low, close, first_valid(high, low, close), period, False)


def atr_pct(high: FloatArray, low: FloatArray, close: FloatArray, period: int = 14) -> FloatArray:
    """ATR as a percentage of the close, ``atr / close * 100`` (TA-Lib ``NATR``).

    Makes volatility comparable across instruments and price levels (EURUSD vs BTC). A zero
    close gives 0, as in TA-Lib.
    """
    period = check_period(period, minimum=1)
    high, low, close = _hlc(high, low, close)
    return atr_kernel(high, low, close, first_valid(high, low, close), period, True)


def bollinger(
    close: FloatArray, period: int = 20, k: float = 2.0
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Bollinger bands (TA-Lib ``BBANDS`` with an SMA middle): ``(upper, middle, lower)``.

    ``middle`` is the SMA; the bands are ``middle ± k * sigma`` with the *population* standard
    deviation of the window (TA-Lib's choice, not the sample one). First value at
    ``period-1``.
    """
    close = as_f64(close, "close")
    period = check_period(period)
    n = len(close)
    start = first_valid(close)
    middle = sma_kernel(close, start, period)
    upper, lower = np.empty(n), np.empty(n)
    variance_kernel(close, start, period, BANDS, float(k), middle, upper, lower)
    return upper, middle, lower


def stddev(x: FloatArray, period: int, nbdev: float = 1.0) -> FloatArray:
    """Rolling population standard deviation times ``nbdev`` (TA-Lib ``STDDEV``)."""
    x = as_f64(x, "x")
    period = check_period(period)
    out = np.empty(len(x))
    variance_kernel(x, first_valid(x), period, STDDEV, float(nbdev), _EMPTY, out, _EMPTY)
    return out


def log_returns(close: FloatArray) -> FloatArray:
    """``ln(close[t] / close[t-1])``; NaN on the first bar."""
    close = as_f64(close, "close")
    out = nan_array(len(close))
    if len(close) > 1:
        with np.errstate(divide="ignore", invalid="ignore"):
            np.divide(close[1:], close[:-1], out=out[1:])
            np.log(out[1:], out=out[1:])
    return out


def hist_volatility(close: FloatArray, period: int = 20, annualization: float = 1.0) -> FloatArray:
    """Historical volatility: population standard deviation of the last ``period`` log returns.

    Not annualized by default (``annualization=1.0``): the value is per bar, because an
    indicator does not know how many bars a year holds for this venue (24/7 crypto vs a
    five-day FX week). Pass ``annualization=sqrt(bars_per_year)`` to annualize, e.g.
    ``sqrt(365 * 6)`` for 4h crypto bars. Population, not sample, deviation — the same
    definition as TA-Lib ``STDDEV`` over the log returns. First value at bar ``period``.
    """
    period = check_period(period)
    returns = ro(log_returns(close))
    out = np.empty(len(returns))
    start = first_valid(returns)
    variance_kernel(returns, start, period, STDDEV, float(annualization), _EMPTY, out, _EMPTY)
    return out
