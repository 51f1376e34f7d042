"""Compiled single-pass kernels for the recursive indicators (moving averages, ATR, DMI, RSI).

Each kernel walks the bars once, in TA-Lib's own order of floating-point operations, and
writes a preallocated full-length output (NaN while warming up), so the results equal
TA-Lib's bit for bit where TA-Lib's C loop is the same sequence of operations (checked in
``tests/indicators``). ``start`` is the first bar where every input is defined: TA-Lib's
Python wrapper skips leading NaNs, and so do we.

Arguments are always C-contiguous float64 arrays and Python ints/floats (see ``_jit``), so
each kernel compiles exactly once.
"""

from __future__ import annotations

import numpy as np

from ats.indicators._jit import fma, kernel

NAN = np.nan


@kernel
def nan_head(out: np.ndarray, upto: int) -> None:
    """NaN in ``out[:upto]`` (clipped to the array)."""
    for i in range(min(upto, len(out))):
        out[i] = NAN


@kernel
def true_range_at(high: float, low: float, prev_close: float) -> float:
    """TA-Lib's ``TRUE_RANGE``: compares, not ``max()``, so a NaN previous close yields the
    bar's own range exactly as TA-Lib does."""
    rng = high - low
    d = abs(high - prev_close)
    if d > rng:
        rng = d
    d = abs(low - prev_close)
    if d > rng:
        rng = d
    return rng


#: Window ends summed together: their running sums stay in L1 while every window offset
#: is added to them.
BLOCK = 2048


@kernel
def window_sum_into(x: np.ndarray, start: int, period: int, out: np.ndarray, mean: bool) -> None:
    """``out[i]`` = the sum (``mean``: the mean) of ``x[i-period+1 .. i]`` for
    ``i >= start+period-1``, NaN before.

    Each window is summed afresh, left to right, and divided by ``period`` — the sum TA-Lib
    seeds its SMA with — so a value depends on its own window only, not on how much history
    precedes it (a strategy sees the same band on a 200-bar tail as on the whole series).
    TA-Lib's running total carries the rounding of every value it ever held instead; the
    two agree to ~1e-15. Done for ``BLOCK`` window ends at a time, offset by offset: the
    inner loop is element-wise, so the compiler vectorizes it, and costs no more than a
    running total.
    """
    n = len(x)
    first = start + period - 1
    nan_head(out, first)
    back = period - 1
    for lo in range(first, n, BLOCK):
        hi = min(lo + BLOCK, n)
        m = hi - lo
        # Slices indexed from 0: numba then knows no index is negative, drops its
        # wraparound test, and the loops vectorize.
        acc = out[lo:hi]
        src = x[lo - back : hi - back]
        for t in range(m):
            acc[t] = src[t]
        for j in range(1, period):
            src = x[lo - back + j : hi - back + j]
            for t in range(m):
                acc[t] += src[t]
        if mean:
            for t in range(m):
                acc[t] /= period


@kernel
def sma_kernel(x: np.ndarray, start: int, period: int) -> np.ndarray:
    out = np.empty(len(x))
    window_sum_into(x, start, period, out, True)
    return out


@kernel
def ema_kernel(x: np.ndarray, start: int, period: int, lookback: int) -> np.ndarray:
    """EMA seeded with the plain mean of the first ``period`` values, then
    ``ema = fma(x - ema, k, ema)`` as TA-Lib >= 0.7. With ``lookback > 0`` the output is
    turned, in place and backwards, into ``ema[t] / ema[t-lookback] - 1``."""
    n = len(x)
    out = np.empty(n)
    first = start + period - 1
    nan_head(out, first)
    if first < n:
        k = 2.0 / (period + 1)
        total = 0.0
        for i in range(start, first + 1):
            total += x[i]
        prev = total / period
        out[first] = prev
        for i in range(first + 1, n):
            prev = fma(x[i] - prev, k, prev)
            out[i] = prev
    if lookback > 0:
        for i in range(n - 1, lookback - 1, -1):
            out[i] = out[i] / out[i - lookback] - 1.0
        nan_head(out, lookback)
    return out


@kernel
def true_range_kernel(high: np.ndarray, low: np.ndarray, close: np.ndarray,
                      start: int) -> np.ndarray:  # fmt: skip
    n = len(close)
    out = np.empty(n)
    nan_head(out, start + 1)
    for i in range(start + 1, n):
        out[i] = true_range_at(high[i], low[i], close[i - 1])
    return out


@kernel
def atr_kernel(high: np.ndarray, low: np.ndarray, close: np.ndarray, start: int,
               period: int, pct: bool) -> np.ndarray:  # fmt: skip
    """Wilder's ATR (TA-Lib ``ATR``): the mean of the first ``period`` true ranges, then
    ``atr + (tr - atr) / period``. ``pct`` gives ``atr / close * 100`` (``NATR``; 0 at a
    zero close) in the same pass.

    The step is one fused multiply-add by ``1/period``: TA-Lib 0.8 also dropped the divide
    from its Wilder step (a divide in the loop-carried chain costs ~14 cycles a bar), and
    rounds within ~1e-14 of this; the textbook ``(atr*(period-1) + tr) / period`` is 4x
    slower."""
    n = len(close)
    out = np.empty(n)
    first = start + period if period > 1 else start + 1
    nan_head(out, first)
    if first >= n:
        return out
    if period == 1:
        prev = 0.0
        for i in range(first, n):
            prev = true_range_at(high[i], low[i], close[i - 1])
            out[i] = prev if not pct else (0.0 if close[i] == 0.0 else (prev / close[i]) * 100.0)
        return out
    total = 0.0
    for i in range(start + 1, first + 1):
        total += true_range_at(high[i], low[i], close[i - 1])
    prev = total / period
    inv = 1.0 / period
    for i in range(first, n):
        if i > first:
            prev = fma(true_range_at(high[i], low[i], close[i - 1]) - prev, inv, prev)
        out[i] = prev if not pct else (0.0 if close[i] == 0.0 else (prev / close[i]) * 100.0)
    return out


@kernel
def dmi_kernel(high: np.ndarray, low: np.ndarray, close: np.ndarray, start: int,
               period: int, want_plus: bool, want_minus: bool,
               want_adx: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """+DI, -DI and ADX in one pass (TA-Lib ``PLUS_DI``/``MINUS_DI``/``ADX``); outputs not
    wanted come back empty, so ``plus_di`` alone allocates one array.

    Wilder sums ``s = s - s/period + move`` seeded with the plain sum of bars
    ``start+1 .. start+period-1``; DI from bar ``start+period`` (0 where the true-range sum is
    exactly 0). The ADX seed is the mean of the first ``period`` DX (an undefined DX counts
    as 0), then ``(adx*(period-1) + dx) / period``, skipped where DX is undefined.
    """
    n = len(close)
    pdi = np.empty(n if want_plus else 0)
    mdi = np.empty(n if want_minus else 0)
    adx = np.empty(n if want_adx else 0)
    first = start + period
    nan_head(pdi, first)
    nan_head(mdi, first)
    nan_head(adx, first + period - 1)
    if first >= n:
        return pdi, mdi, adx
    s_tr = 0.0
    s_up = 0.0
    s_down = 0.0
    ph, pl, pc = high[start], low[start], close[start]
    for i in range(start + 1, first):
        h, lo = high[i], low[i]
        diff_p = h - ph
        diff_m = pl - lo
        if diff_m > 0.0 and diff_p < diff_m:
            s_down += diff_m
        elif diff_p > 0.0 and diff_p > diff_m:
            s_up += diff_p
        s_tr += true_range_at(h, lo, pc)
        ph, pl, pc = h, lo, close[i]
    dx_sum = 0.0
    value = NAN
    p1 = period - 1
    for i in range(first, n):
        h, lo = high[i], low[i]
        diff_p = h - ph
        diff_m = pl - lo
        s_down -= s_down / period
        s_up -= s_up / period
        if diff_m > 0.0 and diff_p < diff_m:
            s_down += diff_m
        elif diff_p > 0.0 and diff_p > diff_m:
            s_up += diff_p
        s_tr = s_tr - s_tr / period + true_range_at(h, lo, pc)
        ph, pl, pc = h, lo, close[i]
        if s_tr != 0.0:
            minus = 100.0 * (s_down / s_tr)
            plus = 100.0 * (s_up / s_tr)
        else:
            minus = 0.0
            plus = 0.0
        if want_plus:
            pdi[i] = plus
        if want_minus:
            mdi[i] = minus
        if want_adx:
            total = minus + plus
            defined = s_tr != 0.0 and total != 0.0
            j = i - first
            if j < period:
                if defined:
                    dx_sum += 100.0 * (abs(minus - plus) / total)
                if j == p1:
                    value = dx_sum / period
                    adx[i] = value
            else:
                if defined:
                    value = (value * p1 + 100.0 * (abs(minus - plus) / total)) / period
                adx[i] = value
    return pdi, mdi, adx


@kernel
def rsi_kernel(x: np.ndarray, start: int, period: int) -> np.ndarray:
    """Wilder's RSI (TA-Lib ``RSI``): mean gain/loss of the first ``period`` changes, then
    ``avg = avg + (move - avg) / period`` (one fused multiply-add, as ``atr_kernel``); 0
    where both averages are exactly 0."""
    n = len(x)
    out = np.empty(n)
    first = start + period
    nan_head(out, first)
    if first >= n:
        return out
    gain = 0.0
    loss = 0.0
    prev = x[start]
    for i in range(start + 1, first + 1):
        d = x[i] - prev
        prev = x[i]
        if d < 0.0:
            loss -= d
        else:
            gain += d
    loss /= period
    gain /= period
    inv = 1.0 / period
    for i in range(first, n):
        if i > first:
            d = x[i] - prev
            prev = x[i]
            up = 0.0
            down = 0.0
            if d < 0.0:
                down = -d
            else:  # a NaN change lands here and poisons the averages, as in TA-Lib
                up = d
            gain = fma(up - gain, inv, gain)
            loss = fma(down - loss, inv, loss)
        total = gain + loss
        out[i] = 100.0 * (gain / total) if total != 0.0 else 0.0
    return out
