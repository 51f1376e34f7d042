"""Compiled kernels over sliding windows: variance (Bollinger, STDDEV), max/min, rank.

The variance follows TA-Lib >= 0.7 (``VAR``, ``STDDEV``, ``BBANDS``) operation for
operation. ``E[x^2] - E[x]^2`` on raw prices loses every digit to cancellation (a flat
stretch shows a deviation of ~1e-6), so the running sums are kept on deviations from a
*shift* near the window, and the sums are rebuilt two-pass around the window mean when

* the variance falls below 1e-6 of the mean squared deviation it is extracted from (too
  few digits survive the subtraction),
* the value leaving the window squared dwarfs what stays (an outlier's rounding would
  otherwise remain in the sum after it left), or
* ``32 * period`` bars have passed (drift stays bounded whatever the length).

A flat window therefore reads exactly 0, and the results equal TA-Lib bit for bit.
"""

from __future__ import annotations

import math

import numpy as np

from ats.indicators._jit import kernel

NAN = np.nan

#: What ``variance_kernel`` writes into ``dev``.
VARIANCE, STDDEV, BANDS = 0, 1, 2


@kernel
def variance_kernel(x: np.ndarray, start: int, period: int, mode: int, k: float,
                    mean: np.ndarray, dev: np.ndarray, lower: np.ndarray) -> None:  # fmt: skip
    """Windows ending at ``start+period-1 .. n-1``; NaN before.

    ``dev`` gets the variance (``VARIANCE``), ``sqrt(var)*k`` (``STDDEV``; 0 where the
    variance is <= 0), or with ``BANDS`` the upper band ``mean + sqrt(var)*k`` while
    ``lower`` gets the lower one; ``mean`` is then the SMA (the middle band), read only.
    """
    n = len(x)
    first = start + period - 1
    for i in range(min(first, n)):
        dev[i] = NAN
        if len(lower):
            lower[i] = NAN
    if first >= n:
        return
    inv = 1.0 / period
    shift = x[start]
    s1 = 0.0
    s2 = 0.0
    for j in range(start, first):
        d = x[j] - shift
        s1 += d
        s2 += d * d
    trailing = start
    countdown = 32 * period
    for i in range(first, n):
        d = x[i] - shift
        s1 += d
        s2 += d * d
        m1 = s1 * inv
        var = s2 * inv - m1 * m1
        d = x[trailing] - shift
        s1 -= d
        d *= d
        s2 -= d
        trailing += 1
        countdown -= 1
        if var < 0.000001 * (s2 * inv) or d > 1000000.0 * s2 or countdown <= 0:
            countdown = 32 * period
            lo = i - period + 1
            acc = 0.0
            for j in range(lo, i + 1):
                acc += x[j]
            shift = acc * inv
            s1 = 0.0
            s2 = 0.0
            for j in range(lo, i + 1):
                d = x[j] - shift
                s1 += d
                s2 += d * d
            m1 = s1 * inv
            var = s2 * inv - m1 * m1
            d = x[lo] - shift
            s1 -= d
            s2 -= d * d
        if mode == VARIANCE:
            dev[i] = var
        else:
            sd = 0.0 if var <= 0.0 else math.sqrt(var)
            if mode == STDDEV:
                dev[i] = sd * k
            else:
                band = sd * k
                mid = mean[i]
                dev[i] = mid + band
                lower[i] = mid - band


@kernel
def extreme_into(x: np.ndarray, start: int, period: int, out: np.ndarray,
                 sign: float) -> None:  # fmt: skip
    """``out[i]`` = max (``sign=1``) or min (``sign=-1``: the max of ``-x``, negated back —
    negation is exact, and keeps the loop branch-free) of ``x[i-period+1 .. i]`` from
    ``i = start+period-1``; NaN before and for every window holding a NaN.

    van Herk / Gil-Werman: cut the bars into blocks of ``period``; a window then spans the
    tail of one block and the head of the next, so its extreme is the extreme of a block
    suffix (computed backwards once per block) and of a running block prefix — three
    branch-free compares a bar whatever the data's shape. (TA-Lib's rescan-when-the-extreme
    -leaves scheme branches unpredictably on prices.) Extremes are exact, so the results
    equal TA-Lib's ``MAX``/``MIN``.
    """
    n = len(x)
    first = start + period - 1
    for i in range(min(first, n)):
        out[i] = NAN
    suffix = np.empty(period)  # suffix extremes of the previous block
    for s in range(start, n, period):
        e = min(s + period, n)
        run = x[s] * sign
        for i in range(s, e):
            v = x[i] * sign
            run = v if v > run else run
            k = i + 1 - s  # the window starts at suffix position k of the previous block
            if k == period:
                out[i] = run * sign
            elif i >= first:
                a = suffix[k]
                out[i] = (a if a > run else run) * sign
        if e - s == period:
            acc = x[e - 1] * sign
            for j in range(period - 1, -1, -1):
                v = x[s + j] * sign
                acc = v if v > acc else acc
                suffix[j] = acc
    # Comparisons skip NaNs; a window holding one is NaN, as a max over it would be.
    nans = 0
    for i in range(start, n):
        if x[i] != x[i]:
            nans += 1
    if nans:
        for i in range(start, n):
            if x[i] != x[i]:
                for j in range(max(i, first), min(i + period, n)):
                    out[j] = NAN


@kernel
def rank_kernel(x: np.ndarray, window: int) -> np.ndarray:
    """Mid-rank percentile of each value in its trailing window (``vol_quantile``): a tight
    count of smaller and equal values that the compiler vectorizes; NaN if the window holds
    a NaN."""
    n = len(x)
    out = np.empty(n)
    for i in range(min(window - 1, n)):
        out[i] = NAN
    nans = 0
    for i in range(min(window - 1, n)):
        if x[i] != x[i]:
            nans += 1
    denom = window - 1
    for i in range(window - 1, n):
        v = x[i]
        if v != v:
            nans += 1
        if i >= window:
            old = x[i - window]
            if old != old:
                nans -= 1
        if nans:
            out[i] = NAN
            continue
        below = 0
        equal = 0
        win = x[i - window + 1 : i + 1]  # indexed from 0: no wraparound test, vectorizes
        for j in range(window):
            w = win[j]
            below += w < v
            equal += w == v
        out[i] = (below + (equal - 1) * 0.5) / denom
    return out
