"""One-bar-at-a-time twins of the batch indicators: O(1) per update, plain Python floats.

Each class keeps the state TA-Lib's own loop keeps (running totals, Wilder sums, the seed
accumulators), so after any number of updates its value equals the batch function's value at
that bar (to rounding). ``update`` returns NaN while warming up, like the batch NaNs.
Pure Python on purpose: numpy's per-call overhead (~1 us) would dominate an update of a few
float operations.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right, insort
from collections import deque

from ats.indicators._core import check_period

NAN = math.nan


class StreamSMA:
    """SMA with TA-Lib's running total (add the new value, read, drop the oldest)."""

    __slots__ = ("period", "_buf", "_total", "value")

    def __init__(self, period: int) -> None:
        self.period = check_period(period)
        self._buf: deque[float] = deque(maxlen=period)
        self._total = 0.0
        self.value = NAN

    def update(self, x: float) -> float:
        buf = self._buf
        buf.append(x)
        self._total += x
        if len(buf) < self.period:
            return NAN
        self.value = self._total / self.period
        self._total -= buf[0]
        return self.value


class StreamEMA:
    """EMA seeded with the SMA of the first ``period`` values, as TA-Lib."""

    __slots__ = ("period", "_k", "_count", "_sum", "value")

    def __init__(self, period: int) -> None:
        self.period = check_period(period)
        self._k = 2.0 / (period + 1)
        self._count = 0
        self._sum = 0.0
        self.value = NAN

    def update(self, x: float) -> float:
        if self._count < self.period:
            self._count += 1
            self._sum += x
            if self._count == self.period:
                self.value = self._sum / self.period
            return self.value
        self.value = (x - self.value) * self._k + self.value
        return self.value


class StreamEMASlope:
    """``ema[t] / ema[t-lookback] - 1`` from a ring of the last ``lookback+1`` EMA values."""

    __slots__ = ("_ema", "_ring", "value")

    def __init__(self, period: int = 200, lookback: int = 10) -> None:
        self._ema = StreamEMA(period)
        self._ring: deque[float] = deque(maxlen=check_period(lookback, "lookback", 1) + 1)
        self.value = NAN

    def update(self, x: float) -> float:
        e = self._ema.update(x)
        ring = self._ring
        ring.append(e)
        old = ring[0]
        if len(ring) == ring.maxlen and old == old and e == e and old != 0.0:
            self.value = e / old - 1.0
        else:
            self.value = NAN
        return self.value


class StreamATR:
    """Wilder's ATR: the mean of the first ``period`` true ranges, then Wilder smoothing."""

    __slots__ = ("period", "_prev_close", "_count", "_sum", "value")

    def __init__(self, period: int = 14) -> None:
        self.period = check_period(period, minimum=1)
        self._prev_close = NAN
        self._count = 0
        self._sum = 0.0
        self.value = NAN

    def update(self, high: float, low: float, close: float) -> float:
        pc = self._prev_close
        self._prev_close = close
        if pc != pc:
            return NAN
        tr = high - low
        d = abs(high - pc)
        if d > tr:
            tr = d
        d = abs(low - pc)
        if d > tr:
            tr = d
        p = self.period
        if self._count < p:
            self._count += 1
            self._sum += tr
            if self._count == p:
                self.value = self._sum / p
            return self.value
        self.value = (self.value * (p - 1) + tr) / p
        return self.value


class StreamDMI:
    """+DI, -DI and ADX with TA-Lib's seeding; ``update`` returns ``(+DI, -DI, ADX)``."""

    __slots__ = (
        "period", "_bars", "_ph", "_pl", "_pc", "_s_tr", "_s_up", "_s_down",
        "_dx_sum", "_dx_count", "plus_di", "minus_di", "adx",
    )  # fmt: skip

    def __init__(self, period: int = 14) -> None:
        self.period = check_period(period)
        self._bars = 0
        self._ph = self._pl = self._pc = NAN
        self._s_tr = self._s_up = self._s_down = 0.0
        self._dx_sum = 0.0
        self._dx_count = 0
        self.plus_di = self.minus_di = self.adx = NAN

    def update(self, high: float, low: float, close: float) -> tuple[float, float, float]:
        p = self.period
        bar = self._bars
        self._bars = bar + 1
        ph, pl, pc = self._ph, self._pl, self._pc
        self._ph, self._pl, self._pc = high, low, close
        if bar == 0:
            return NAN, NAN, NAN
        diff_p = high - ph
        diff_m = pl - low
        up = diff_p if (diff_p > 0.0 and diff_p > diff_m) else 0.0
        down = diff_m if (diff_m > 0.0 and diff_m > diff_p) else 0.0
        tr = high - low
        d = abs(high - pc)
        if d > tr:
            tr = d
        d = abs(low - pc)
        if d > tr:
            tr = d
        if bar < p:  # bars 1..period-1 accumulate the seed sums
            self._s_tr += tr
            self._s_up += up
            self._s_down += down
            return NAN, NAN, NAN
        s_tr = self._s_tr - self._s_tr / p + tr
        s_up = self._s_up - self._s_up / p + up
        s_down = self._s_down - self._s_down / p + down
        self._s_tr, self._s_up, self._s_down = s_tr, s_up, s_down
        if s_tr != 0.0:
            pdi = 100.0 * (s_up / s_tr)
            mdi = 100.0 * (s_down / s_tr)
        else:
            pdi = mdi = 0.0
        self.plus_di, self.minus_di = pdi, mdi
        total = pdi + mdi
        dx = 100.0 * (abs(mdi - pdi) / total) if total != 0.0 else None
        if self._dx_count < p:  # the seed: mean of the first `period` DX (undefined = 0)
            self._dx_count += 1
            self._dx_sum += dx or 0.0
            if self._dx_count == p:
                self.adx = self._dx_sum / p
        elif dx is not None:
            self.adx = (self.adx * (p - 1) + dx) / p
        return pdi, mdi, self.adx


class StreamRSI:
    """Wilder's RSI: mean gain/loss over the first ``period`` changes, then smoothing."""

    __slots__ = ("period", "_prev", "_count", "_gain", "_loss", "value")

    def __init__(self, period: int = 14) -> None:
        self.period = check_period(period)
        self._prev = NAN
        self._count = 0
        self._gain = self._loss = 0.0
        self.value = NAN

    def update(self, close: float) -> float:
        prev = self._prev
        self._prev = close
        if prev != prev:
            return NAN
        d = close - prev
        gain = d if d > 0.0 else 0.0
        loss = -d if d < 0.0 else 0.0
        p = self.period
        if self._count < p:
            self._count += 1
            self._gain += gain
            self._loss += loss
            if self._count < p:
                return NAN
            g = self._gain = self._gain / p
            lo = self._loss = self._loss / p
        else:
            g = self._gain = (self._gain * (p - 1) + gain) / p
            lo = self._loss = (self._loss * (p - 1) + loss) / p
        total = g + lo
        self.value = 100.0 * (g / total) if total != 0.0 else 0.0
        return self.value


class StreamMeanVar:
    """Rolling mean and population variance by a shifted running sum (TA-Lib >= 0.7's idea).

    Values are shifted by a reference ``K`` so the sums stay at the scale of the deviations.
    The running sum of squares carries the rounding of everything it ever held, ~1e-16 of its
    peak; so ``K`` is re-anchored on the window mean (the window re-summed exactly) every
    ``32*period`` bars, and whenever the variance falls below 1e-6 of that peak (too few
    digits would survive the subtraction) — a bounded drift whatever the series length.
    A window of identical values has variance exactly 0.
    """

    __slots__ = (
        "period", "_buf", "_k", "_s1", "_s2", "_peak", "_since", "_same", "mean", "var",
    )  # fmt: skip

    def __init__(self, period: int) -> None:
        self.period = check_period(period)
        self._buf: deque[float] = deque(maxlen=period)
        self._k = NAN
        self._s1 = self._s2 = self._peak = 0.0
        self._since = 0
        self._same = 0  # consecutive values equal to their predecessor
        self.mean = self.var = NAN

    def _reseed(self) -> None:
        buf = self._buf
        k = math.fsum(buf) / len(buf)
        self._k = k
        self._s1 = math.fsum(v - k for v in buf)
        self._s2 = self._peak = math.fsum((v - k) * (v - k) for v in buf)
        self._since = 0

    def update(self, x: float) -> tuple[float, float]:
        buf = self._buf
        p = self.period
        if buf and x == buf[-1]:
            self._same += 1
        else:
            self._same = 0
        if len(buf) == p:
            old = buf[0] - self._k
            self._s1 -= old
            self._s2 -= old * old
        buf.append(x)
        if self._k != self._k:
            self._k = x
        d = x - self._k
        self._s1 += d
        s2 = self._s2 = self._s2 + d * d
        if s2 > self._peak:
            self._peak = s2
        self._since += 1
        if len(buf) < p:
            return NAN, NAN
        if self._since >= 32 * p:
            self._reseed()
        m1 = self._s1 / p
        var = self._s2 / p - m1 * m1
        if var < 1e-6 * self._peak / p:
            self._reseed()
            m1 = self._s1 / p
            var = self._s2 / p - m1 * m1
        if self._same >= p - 1 or var < 0.0:
            var = 0.0
        self.mean = self._k + m1
        self.var = var
        return self.mean, var


class StreamBollinger:
    """``(upper, middle, lower)`` with a population deviation, as ``bollinger``."""

    __slots__ = ("_mv", "k", "value")

    def __init__(self, period: int = 20, k: float = 2.0) -> None:
        self._mv = StreamMeanVar(period)
        self.k = k
        self.value = (NAN, NAN, NAN)

    def update(self, close: float) -> tuple[float, float, float]:
        mean, var = self._mv.update(close)
        if mean != mean:
            return self.value
        band = math.sqrt(var) * self.k
        self.value = (mean + band, mean, mean - band)
        return self.value


class StreamHistVol:
    """Population deviation of the last ``period`` log returns, times ``annualization``."""

    __slots__ = ("_mv", "_prev", "annualization", "value")

    def __init__(self, period: int = 20, annualization: float = 1.0) -> None:
        self._mv = StreamMeanVar(period)
        self._prev = NAN
        self.annualization = annualization
        self.value = NAN

    def update(self, close: float) -> float:
        prev = self._prev
        self._prev = close
        if prev != prev:
            return NAN
        _, var = self._mv.update(math.log(close / prev))
        self.value = math.sqrt(var) * self.annualization if var == var else NAN
        return self.value


class StreamDonchian:
    """Highest high / lowest low of the last ``period`` bars with monotonic deques
    (amortized O(1))."""

    __slots__ = ("period", "_i", "_hi", "_lo", "value")

    def __init__(self, period: int) -> None:
        self.period = check_period(period, minimum=1)
        self._i = -1
        self._hi: deque[tuple[int, float]] = deque()
        self._lo: deque[tuple[int, float]] = deque()
        self.value = (NAN, NAN)

    def update(self, high: float, low: float) -> tuple[float, float]:
        i = self._i = self._i + 1
        hi, lo = self._hi, self._lo
        while hi and hi[-1][1] <= high:
            hi.pop()
        hi.append((i, high))
        while lo and lo[-1][1] >= low:
            lo.pop()
        lo.append((i, low))
        cutoff = i - self.period
        if hi[0][0] <= cutoff:
            hi.popleft()
        if lo[0][0] <= cutoff:
            lo.popleft()
        if i + 1 < self.period:
            return self.value
        self.value = (hi[0][1], lo[0][1])
        return self.value


class StreamRank:
    """Percentile rank of the latest value in the last ``window`` values (``vol_quantile``).

    A sorted copy of the window answers with two bisections; insertion and removal move at
    most ``window`` pointers in C, which for the windows used here (~100) costs less than
    any tree structure would in Python.
    """

    __slots__ = ("window", "_ring", "_sorted", "_nans", "value")

    def __init__(self, window: int) -> None:
        self.window = check_period(window, "window")
        self._ring: deque[float] = deque()
        self._sorted: list[float] = []
        self._nans = 0
        self.value = NAN

    def update(self, x: float) -> float:
        ring, srt = self._ring, self._sorted
        if len(ring) == self.window:
            old = ring.popleft()
            if old != old:
                self._nans -= 1
            else:
                del srt[bisect_left(srt, old)]
        ring.append(x)
        if x != x:
            self._nans += 1
        else:
            insort(srt, x)
        if len(ring) < self.window or self._nans or x != x:
            self.value = NAN
            return NAN
        below = bisect_left(srt, x)
        equal = bisect_right(srt, x) - below
        self.value = (below + (equal - 1) * 0.5) / (self.window - 1)
        return self.value
