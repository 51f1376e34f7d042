"""RSI (Wilder), as TA-Lib ``RSI`` computes it by default."""

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
)


def rsi(close: FloatArray, period: int = 14) -> FloatArray:
    """Relative strength index, 0..100; first value at bar ``period``.

    Wilder's averages of gains and losses, seeded with the plain mean of the first ``period``
    changes. Where both averages are exactly 0 (a constant series) TA-Lib (>= 0.7, which dropped
    its absolute 1e-14 guard) reports 0, and so do we; a long flat stretch after movement
    keeps the last ratio, as the decaying averages do.
    """
    close = as_f64(close, "close")
    period = check_period(period)
    out = nan_array(len(close))
    start = first_valid(close)
    c = close[start:]
    if len(c) <= period:
        return out
    d = np.diff(c)
    gain = np.maximum(d, 0.0)
    np.minimum(d, 0.0, out=d)
    loss = np.negative(d, out=d)
    a, b = (period - 1) / period, 1.0 / period
    g0 = seq_sum(gain[:period]) / period
    l0 = seq_sum(loss[:period]) / period
    res = out[start + period :]
    res[0] = g0
    res[1:] = recursion(gain[period:], a, b, g0)  # the average gain, then RSI in place
    total = gain[period - 1 :]  # reuse: the average loss, then gain + loss
    total[0] = l0
    total[1:] = recursion(loss[period:], a, b, l0)
    total += res
    live = total != 0.0
    np.divide(res, total, out=res, where=live)
    res *= 100.0
    res[~live] = 0.0
    return out
