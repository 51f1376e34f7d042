"""Rolling percentile rank (the regime agent's "volatility quantile")."""

from __future__ import annotations

import numpy as np

from ats.indicators._core import FloatArray, as_f64, check_period, nan_array

_CHUNK = 1 << 15


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
    n = len(x)
    out = nan_array(n)
    if n < window:
        return out
    isnan = np.isnan(x)
    nan_runs = np.concatenate(([0], np.cumsum(isnan)))
    has_nan = (nan_runs[window:] - nan_runs[: n - window + 1]) > 0
    views = np.lib.stride_tricks.sliding_window_view(x, window)
    res = np.empty(n - window + 1)
    for lo in range(0, len(views), _CHUNK):
        w = views[lo : lo + _CHUNK]
        last = w[:, -1:]
        below = np.count_nonzero(w < last, axis=1)
        equal = np.count_nonzero(w == last, axis=1)
        res[lo : lo + _CHUNK] = (below + (equal - 1) * 0.5) / (window - 1)
    res[has_nan] = np.nan
    out[window - 1 :] = res
    return out
