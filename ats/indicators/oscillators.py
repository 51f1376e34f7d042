"""RSI (Wilder), as TA-Lib ``RSI`` computes it by default."""

from __future__ import annotations

from ats.indicators._core import FloatArray, as_f64, check_period, first_valid
from ats.indicators._kernels import rsi_kernel


def rsi(close: FloatArray, period: int = 14) -> FloatArray:
    """Relative strength index, 0..100; first value at bar ``period``.

    Wilder's averages of gains and losses, seeded with the plain mean of the first ``period``
    changes. Where both averages are exactly 0 (a constant series) TA-Lib (>= 0.7, which dropped
    its absolute 1e-14 guard) reports 0, and so do we; a long flat stretch after movement
    keeps the last ratio, as the decaying averages do.
    """
    close = as_f64(close, "close")
    period = check_period(period)
    return rsi_kernel(close, first_valid(close), period)
