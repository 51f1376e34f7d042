"""Volatility: true range, ATR (Wilder), ATR %, Bollinger bands, historical volatility."""

from __future__ import annotations

import numpy as np

from ats.indicators._core import (
    FloatArray,
    as_f64,
    check_period,
    first_valid,
    nan_array,
    recursion,
    rolling_mean_var,
    same_length,
    seq_sum,
    true_range_into,
)


def true_range(high: FloatArray, low: FloatArray, close: FloatArray) -> FloatArray:
    """``max(high-low, |high-prev_close|, |low-prev_close|)``; NaN on the first bar (no
    previous close), as TA-Lib ``TRANGE``."""
    high, low, close = as_f64(high, "high"), as_f64(low, "low"), as_f64(close, "close")
    n = same_length(("high", high), ("low", low), ("close", close))
    out = np.empty(n)
    if n:
        out[0] = np.nan
    if n > 1:
        true_range_into(high, low, close, out[1:], np.empty(n - 1))
    return out


def atr(high: FloatArray, low: FloatArray, close: FloatArray, period: int = 14) -> FloatArray:
    """Average true range (TA-Lib ``ATR``): Wilder's average of the true range, seeded with
    the mean of the first ``period`` true ranges; first value at bar ``period``."""
    period = check_period(period, minimum=1)
    high, low, close = as_f64(high, "high"), as_f64(low, "low"), as_f64(close, "close")
    out = true_range(high, low, close)
    start = first_valid(high, low, close)
    if period == 1:
        out[: start + 1] = np.nan
        return out
    first = start + period  # the seed bar
    if first >= len(out):
        out[:] = np.nan
        return out
    seed = seq_sum(out[start + 1 : first + 1]) / period
    rest = recursion(out[first + 1 :], (period - 1) / period, 1.0 / period, seed)
    out[:first] = np.nan
    out[first] = seed
    out[first + 1 :] = rest
    return out


def atr_pct(high: FloatArray, low: FloatArray, close: FloatArray, period: int = 14) -> FloatArray:
    """ATR as a percentage of the close, ``atr / close * 100`` (TA-Lib ``NATR``).

    Makes volatility comparable across instruments and price levels (EURUSD vs BTC). A zero
    close gives 0, as in TA-Lib.
    """
    out = atr(high, low, close, period)
    c = as_f64(close, "close")
    zero = c == 0.0
    defined_at_zero = zero & ~np.isnan(out) if zero.any() else None
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(out, c, out=out)
    out *= 100.0
    if defined_at_zero is not None:
        out[defined_at_zero] = 0.0
    return out


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
    upper, middle, lower = nan_array(n), nan_array(n), nan_array(n)
    start = first_valid(close)
    if n - start >= period:
        mean, var = rolling_mean_var(close[start:], period)
        band = np.sqrt(var) * k
        s = slice(start + period - 1, None)
        middle[s] = mean
        upper[s] = mean + band
        lower[s] = mean - band
    return upper, middle, lower


def stddev(x: FloatArray, period: int) -> FloatArray:
    """Rolling population standard deviation (TA-Lib ``STDDEV`` with ``nbdev=1``)."""
    x = as_f64(x, "x")
    period = check_period(period)
    out = nan_array(len(x))
    start = first_valid(x)
    if len(x) - start >= period:
        out[start + period - 1 :] = np.sqrt(rolling_mean_var(x[start:], period)[1])
    return out


def log_returns(close: FloatArray) -> FloatArray:
    """``ln(close[t] / close[t-1])``; NaN on the first bar."""
    close = as_f64(close, "close")
    out = nan_array(len(close))
    if len(close) > 1:
        with np.errstate(divide="ignore", invalid="ignore"):
            out[1:] = np.log(close[1:] / close[:-1])
    return out


def hist_volatility(close: FloatArray, period: int = 20, annualization: float = 1.0) -> FloatArray:
    """Historical volatility: population standard deviation of the last ``period`` log returns.

    Not annualized by default (``annualization=1.0``): the value is per bar, because an
    indicator does not know how many bars a year holds for this venue (24/7 crypto vs a
    five-day FX week). Pass ``annualization=sqrt(bars_per_year)`` to annualize, e.g.
    ``sqrt(365 * 6)`` for 4h crypto bars. Population, not sample, deviation — the same
    definition as TA-Lib ``STDDEV`` over the log returns. First value at bar ``period``.
    """
    return stddev(log_returns(close), period) * annualization
