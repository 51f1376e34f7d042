"""Rolling bar windows: the brain keeps only the bars its indicators need.

Recomputing indicators over a whole history every cycle grows the cycle cost with the run's
length; a fixed window (``bars_needed`` + margin) keeps it flat. Rows live in arrays twice the
window long and are shifted down only when the buffer fills, so an append is O(1) amortized
and ``view()`` returns numpy views, not copies.
"""

from __future__ import annotations

import math

import numpy as np

from ats.domain import Bars

_FLOAT_COLS = ("open", "high", "low", "close", "volume", "spread")


class BarWindow:
    """The newest ``size`` closed bars of one symbol and timeframe."""

    __slots__ = ("symbol", "timeframe", "size", "_cap", "_n", "_ts", "_cols", "_view")

    def __init__(self, symbol: str, timeframe: str, size: int) -> None:
        if size < 1:
            raise ValueError("window size must be >= 1")
        self.symbol = symbol
        self.timeframe = timeframe
        self.size = size
        self._cap = 2 * size
        self._n = 0
        self._ts = np.zeros(self._cap, dtype=np.int64)
        self._cols = {c: np.zeros(self._cap, dtype=np.float64) for c in _FLOAT_COLS}
        self._view: Bars | None = None

    def __len__(self) -> int:
        return min(self._n, self.size)

    @property
    def last_ts(self) -> int | None:
        return int(self._ts[self._n - 1]) if self._n else None

    def extend(self, bars: Bars) -> int:
        """Append the bars newer than the last one held; returns how many were added.

        Bars at or before ``last_ts`` are ignored (a venue re-sending a bar is normal), and a
        row with a non-finite or non-positive close is dropped rather than poisoning every
        indicator downstream.
        """
        if len(bars) == 0:
            return 0
        if len(bars) == 1 and self._n < self._cap:
            return self._extend_one(bars)
        last = self.last_ts
        ts = bars.ts
        mask = np.isfinite(bars.close) & (bars.close > 0)
        if last is not None:
            mask &= ts > last
        if not mask.all():
            idx = np.nonzero(mask)[0]
            if len(idx) == 0:
                return 0
        else:
            idx = None
        new_ts = ts if idx is None else ts[idx]
        k = len(new_ts)
        if k > self.size:  # only the newest `size` matter
            start = k - self.size
            new_ts = new_ts[start:]
            idx = (np.arange(len(ts)) if idx is None else idx)[start:]
            k = self.size
        if self._n + k > self._cap:
            keep = min(self._n, self.size - k) if self.size > k else 0
            src = self._n - keep
            self._ts[:keep] = self._ts[src:self._n]
            for col in self._cols.values():
                col[:keep] = col[src:self._n]
            self._n = keep
        end = self._n + k
        self._ts[self._n:end] = new_ts
        for name, col in self._cols.items():
            values = getattr(bars, name)
            col[self._n:end] = values if idx is None else values[idx]
        self._n = end
        self._view = None
        return k

    def _extend_one(self, bars: Bars) -> int:
        """``extend`` for the common live case, one new bar, with scalars instead of masks
        (at 1000 symbols this runs 1000 times per cycle; same rules as ``extend``)."""
        close = float(bars.close[0])
        ts = int(bars.ts[0])
        if not (math.isfinite(close) and close > 0) or (
                self._n and ts <= int(self._ts[self._n - 1])):
            return 0
        i = self._n
        self._ts[i] = ts
        for name, col in self._cols.items():
            col[i] = getattr(bars, name)[0]
        self._n = i + 1
        self._view = None
        return 1

    def view(self) -> Bars:
        """The window as ``Bars`` (views into the buffer; valid until the next ``extend``)."""
        if self._view is None:
            start = max(0, self._n - self.size)
            s = slice(start, self._n)
            c = self._cols
            self._view = Bars(self.symbol, self.timeframe, self._ts[s], c["open"][s],
                              c["high"][s], c["low"][s], c["close"][s], c["volume"][s],
                              c["spread"][s])
        return self._view
