"""Rolling percentile rank (the regime agent's "volatility quantile")."""

from __future__ import annotations

from ats.indicators._core import FloatArray, as_f64, check_period
from ats.indicators._window_kernels import rank_kernel


def vol_quantile(x: FloatArray, window: int) -> FloatArray:
    """Percentile rank, 0..1, of each value within the last ``window`` values (itself included).

    ``(count below + (count equal - 1) / 2) / (window - 1)``: 0 when the latest value is the
    window's lowest, 1 when it is the highest, 0.5 when every value is equal — the average
    (mid) rank, so ties do not bias the rank up or down. Equals pandas'
    ``rolling(window).rank(pct=False)`` mapped from ``1..window`` onto ``0..1``. Uses only the
    current and earlier values; a window holding a NaN gives NaN (e.g. while the input
    indicator warms up).
    """
    x = as_f64(x, "x")
    window = check_period(window, "window")
    return rank_kernel(x, window)
