"""Shared plumbing: input checks, leading-NaN handling, and the window kernels' array forms.

The arithmetic lives in compiled kernels (``_kernels``, ``_window_kernels``); this module
turns whatever the caller passed into the one array type every kernel is compiled for
(1-D, C-contiguous, float64, read-only view), and names bad input.
"""

from __future__ import annotations

import numpy as np

from ats.indicators._jit import ro
from ats.indicators._kernels import sma_kernel, window_sum_into
from ats.indicators._window_kernels import VARIANCE, extreme_into, variance_kernel

FloatArray = np.ndarray


def as_f64(x: object, name: str) -> FloatArray:
    """A 1-D C-contiguous float64 read-only view/copy of ``x``; other shapes are refused
    with a message naming ``name``."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {arr.shape}")
    return ro(np.ascontiguousarray(arr))


def check_period(period: int, name: str = "period", minimum: int = 2) -> int:
    """Periods are whole bars; TA-Lib refuses periods below 2 for these functions."""
    if isinstance(period, bool) or int(period) != period or period < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {period!r}")
    return int(period)


def same_length(*arrays: tuple[str, FloatArray]) -> int:
    n = len(arrays[0][1])
    for name, arr in arrays[1:]:
        if len(arr) != n:
            raise ValueError(
                f"{name} has {len(arr)} values but {arrays[0][0]} has {n}; pass aligned columns"
            )
    return n


def first_valid(*arrays: FloatArray) -> int:
    """Index of the first bar where every input is non-NaN (TA-Lib's wrapper skips leading NaNs).

    A NaN *after* that point is not skipped: it goes into the computation as it does in
    TA-Lib's loop (a recursion stays NaN from there on).
    """
    start = 0
    for arr in arrays:
        if len(arr) and np.isnan(arr[0]):
            finite = np.flatnonzero(~np.isnan(arr))
            start = max(start, int(finite[0]) if len(finite) else len(arr))
    return start


def nan_array(n: int) -> FloatArray:
    return np.full(n, np.nan)


def window_sums(x: FloatArray, period: int) -> FloatArray:
    """Sum of every window of ``period`` values (ends ``period-1 .. n-1``), each summed
    afresh left to right (see ``_kernels.window_sum_into``)."""
    x = as_f64(x, "x")
    out = np.empty(len(x))
    window_sum_into(x, 0, int(period), out, False)
    return out[period - 1 :]


def window_max(x: FloatArray, period: int) -> FloatArray:
    """Maximum of every window of ``period`` values (ends ``period-1 .. n-1``)."""
    x = as_f64(x, "x")
    out = np.empty(len(x))
    extreme_into(x, 0, int(period), out, 1.0)
    return out[period - 1 :]


def window_min(x: FloatArray, period: int) -> FloatArray:
    """Minimum of every window of ``period`` values (ends ``period-1 .. n-1``)."""
    x = as_f64(x, "x")
    out = np.empty(len(x))
    extreme_into(x, 0, int(period), out, -1.0)
    return out[period - 1 :]


def rolling_mean_var(x: FloatArray, period: int) -> tuple[FloatArray, FloatArray]:
    """Rolling mean (``sma``'s) and population variance (TA-Lib's cancellation-free
    ``VAR``) of the windows ending at bars ``period-1 .. n-1``."""
    x = as_f64(x, "x")
    mean, var = sma_kernel(x, 0, int(period)), np.empty(len(x))
    variance_kernel(x, 0, int(period), VARIANCE, 1.0, mean, var, np.empty(0))
    return mean[period - 1 :], var[period - 1 :]
