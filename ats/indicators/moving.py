"""Moving averages: SMA, EMA and the EMA slope the regime agent reads."""

from __future__ import annotations

import numpy as np

from ats.indicators._core import (
    FloatArray,
    as_f64,
    check_period,
    first_valid,
    nan_array,
    recursion,
    seq_sum,
    window_sums,
)


def sma(x: FloatArray, period: int) -> FloatArray:
    """Simple moving average (TA-Lib ``SMA``): first value at bar ``period-1``.

    Window sums are tree-shaped (see ``_core.window_sums``): as fast as a running total in
    numpy and at least as accurate; they agree with TA-Lib's running total to ~1e-15.
    """
    x = as_f64(x, "x")
    period = check_period(period)
    out = nan_array(len(x))
    start = first_valid(x)
    if len(x) - start >= period:
        out[start + period - 1 :] = window_sums(x[start:], period) / period
    return out


def ema(x: FloatArray, period: int) -> FloatArray:
    """Exponential moving average (TA-Lib ``EMA``, default compatibility).

    ``k = 2/(period+1)``; the first value, at bar ``period-1``, is the SMA of the first
    ``period`` values (TA-Lib's seed), then ``ema = ema_prev + k*(x - ema_prev)``.
    """
    x = as_f64(x, "x")
    period = check_period(period)
    out = nan_array(len(x))
    start = first_valid(x)
    xs = x[start:]
    if len(xs) < period:
        return out
    k = 2.0 / (period + 1)
    seed = seq_sum(xs[:period]) / period
    out[start + period - 1] = seed
    out[start + period :] = recursion(xs[period:], 1.0 - k, k, seed)
    return out


def ema_slope(close: FloatArray, period: int = 200, lookback: int = 10) -> FloatArray:
    """Relative change of the EMA over ``lookback`` bars: ``ema[t] / ema[t-lookback] - 1``.

    A dimensionless trend measure (0.01 = the EMA rose 1 % over the lookback), comparable
    across instruments of any price level. First value at bar ``period-1+lookback``.
    """
    lookback = check_period(lookback, "lookback", minimum=1)
    e = ema(close, period)
    out = nan_array(len(e))
    if len(e) > lookback:
        with np.errstate(divide="ignore", invalid="ignore"):
            out[lookback:] = e[lookback:] / e[:-lookback] - 1.0
    return out
