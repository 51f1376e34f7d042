"""Shared kernels: input checks, TA-Lib's running window sums, first-order recursions.

Two choices here decide how close the indicators come to TA-Lib and how fast they are:

* TA-Lib keeps a *running* total (add the new value, read, subtract the trailing one). Its
  Bollinger bands and standard deviations subtract two such totals (``E[x^2] - E[x]^2``), so
  the rounding noise of that running total is part of TA-Lib's numbers — in a flat stretch
  TA-Lib reports a deviation of ~1e-6, not 0. To match it we reproduce the *same* sequence
  of floating-point operations: ``np.cumsum`` (a strictly sequential accumulate) over the
  interleaved stream ``x0 .. x[p-2], +x[p-1], -x0, +x[p], -x1, ...``. That is bit-exact.
* Wilder smoothing and EMAs are first-order linear recursions. ``scipy.signal.lfilter`` runs
  them in C; its rounding differs from TA-Lib's loop by a few ulps, which the recursion damps.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

FloatArray = np.ndarray


def as_f64(x: object, name: str) -> FloatArray:
    """A 1-D float64 view/copy of ``x``; rejects other shapes with a message naming ``name``."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {arr.shape}")
    return arr


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

    A NaN *after* that point is not skipped: it poisons what follows, as it does in TA-Lib.
    """
    start = 0
    for arr in arrays:
        if len(arr) and np.isnan(arr[0]):
            finite = np.flatnonzero(~np.isnan(arr))
            start = max(start, int(finite[0]) if len(finite) else len(arr))
    return start


def nan_array(n: int) -> FloatArray:
    return np.full(n, np.nan)


def true_range_into(
    high: FloatArray, low: FloatArray, close: FloatArray, out: FloatArray, tmp: FloatArray
) -> None:
    """Write bars ``1..n-1``'s true range into ``out`` (length ``n-1``), using ``tmp`` (same
    length) as scratch: big temporaries cost page faults, so the kernels reuse buffers."""
    prev = close[:-1]
    np.subtract(high[1:], low[1:], out=out)
    np.subtract(high[1:], prev, out=tmp)
    np.abs(tmp, out=tmp)
    np.maximum(out, tmp, out=out)
    np.subtract(low[1:], prev, out=tmp)
    np.abs(tmp, out=tmp)
    np.maximum(out, tmp, out=out)


def running_sums(x: FloatArray, period: int) -> FloatArray:
    """TA-Lib's running window totals, bit for bit: ``out[j]`` = sum of ``x[j : j+period]``.

    ``len(out) == len(x) - period + 1``; ``x`` must hold at least ``period`` values. The
    incremental form keeps the same running total, so this is its exact batch twin.
    """
    m = len(x) - period + 1
    seq = np.empty(period + 2 * m - 2)
    seq[: period - 1] = x[: period - 1]
    seq[period - 1 :: 2] = x[period - 1 :]
    np.negative(x[: m - 1], out=seq[period::2])
    return np.cumsum(seq)[period - 1 :: 2]


def _doubling(x: FloatArray, period: int, op: np.ufunc) -> FloatArray:
    """``op``-reduction of every window of ``period`` values (ends ``period-1 .. n-1``).

    Windows of 1, 2, 4, ... values are built by combining two halves, then ``period`` is
    assembled from its binary digits: ~log2(period) vectorized passes instead of a
    ``period``-long loop, and sums are tree-shaped (more accurate than a running total).
    """
    n = len(x)
    levels = {1: x}
    size = 1
    cur = x
    while size * 2 <= period:
        cur = op(cur[size:], cur[: len(cur) - size])
        size *= 2
        levels[size] = cur
    # Assemble: the window ending at t is [t-period+1, t]; take the largest block at the end,
    # then blocks further back.
    # The top level is a fresh array (unless it is ``x`` itself): reuse it as the output.
    top = levels[size]
    out = top[period - size :] if size > 1 else top.copy()
    covered = size
    rest = period - size
    while rest:
        blk = 1 << (rest.bit_length() - 1)
        arr = levels[blk]
        first_end = period - 1 - covered  # end index (in x) of the block for t = period-1
        op(out, arr[first_end - (blk - 1) : n - covered - (blk - 1)], out=out)
        covered += blk
        rest -= blk
    return out


def window_sums(x: FloatArray, period: int) -> FloatArray:
    """Sum of every window of ``period`` values (ends ``period-1 .. n-1``)."""
    return _doubling(x, period, np.add)


def window_max(x: FloatArray, period: int) -> FloatArray:
    """Maximum of every window of ``period`` values (ends ``period-1 .. n-1``)."""
    return _doubling(x, period, np.maximum)


def window_min(x: FloatArray, period: int) -> FloatArray:
    """Minimum of every window of ``period`` values (ends ``period-1 .. n-1``)."""
    return _doubling(x, period, np.minimum)


def rolling_mean_var(x: FloatArray, period: int, block: int = 512) -> tuple[FloatArray, FloatArray]:
    """Rolling mean and population variance without cancellation, for the windows ending at
    bars ``period-1 .. n-1`` (``x`` must hold at least ``period`` values).

    ``E[x^2] - E[x]^2`` on raw prices loses everything to cancellation (a flat stretch shows a
    deviation of 1e-6). TA-Lib >= 0.7 computes the variance on data shifted by a reference
    near the window, and so do we, vectorized: ``x`` is cut into overlapping rows (``block``
    window ends each, plus the ``period-1`` bars before them), each row is shifted by one of
    its own values, and window sums are differences of the row's cumulative sums — so every
    sum stays at the scale of a few hundred bars' deviations and every window lies inside one
    row.
    """
    n = len(x)
    b = max(block, 4 * period)
    nb = -(-n // b)
    width = b + period - 1
    padded = np.empty(nb * b + period - 1)
    padded[: period - 1] = x[0]
    padded[period - 1 : period - 1 + n] = x
    padded[period - 1 + n :] = x[-1]
    rows = np.lib.stride_tricks.sliding_window_view(padded, width)[::b]
    ref = rows[:, period - 1]
    dev = np.empty((nb, width + 1))
    dev[:, 0] = 0.0
    np.subtract(rows, ref[:, None], out=dev[:, 1:])
    c1 = np.cumsum(dev, axis=1)
    np.multiply(dev, dev, out=dev)
    c2 = np.cumsum(dev, axis=1)
    s1 = np.subtract(c1[:, period:], c1[:, :b]).ravel()[period - 1 : n]
    s2 = np.subtract(c2[:, period:], c2[:, :b]).ravel()[period - 1 : n]
    s1 /= period
    s2 /= period
    # The mean from the shifted sums would carry the row's rounding (relative to the row's
    # range, not the window's); the tree-shaped window sum is exact to the window's own
    # rounding and makes the Bollinger middle band identical to ``sma``.
    mean = window_sums(x, period)
    mean /= period
    var = s2 - s1 * s1
    # The sums' rounding is relative to the row's running sum of squares at the window end;
    # where the variance is not far above that (a flat or nearly flat window) too few digits
    # survive: redo those windows two-pass, on deviations from the window's first value —
    # exact 0 for a flat window, full precision otherwise.
    level = c2[:, period:].ravel()[period - 1 : n]
    suspect = np.flatnonzero(var <= (1e-6 / period) * level)
    if len(suspect):
        windows = np.lib.stride_tricks.sliding_window_view(x, period)
        step = max(1, (1 << 16) // period)
        for lo in range(0, len(suspect), step):
            idx = suspect[lo : lo + step]
            d = windows[idx]
            d = d - d[:, :1]
            d -= d.mean(axis=1, keepdims=True)
            var[idx] = np.mean(d * d, axis=1)
    np.maximum(var, 0.0, out=var)
    return mean, var


def recursion(x: FloatArray, a: float, b: float, y0: float) -> FloatArray:
    """``y[t] = a*y[t-1] + b*x[t]`` for every ``x[t]``, starting from ``y[-1] = y0``."""
    if len(x) == 0:
        return np.empty(0)
    y, _ = lfilter(np.array([b]), np.array([1.0, -a]), x, zi=np.array([a * y0]))
    return y


def seq_sum(x: FloatArray) -> float:
    """Left-to-right sum, as TA-Lib's seeding loops add (``np.sum`` is pairwise)."""
    return float(np.cumsum(x)[-1]) if len(x) else 0.0
