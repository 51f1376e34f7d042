"""The one-bar fast path of ``BarWindow.extend`` keeps exactly the rows the batch path keeps:
bar by bar or all at once, with stale, NaN and non-positive bars among them, across many
buffer shifts."""

from __future__ import annotations

import numpy as np

from ats.brain.market import BarWindow
from ats.domain import Bars


def _bars(ts: np.ndarray, close: np.ndarray) -> Bars:
    return Bars.from_arrays("X", "1m", ts, close + 0.5, close + 1.0, close - 1.0, close,
                            np.abs(close) + 1.0, np.full(len(ts), 0.1))


def test_bar_by_bar_equals_the_batch() -> None:
    rng = np.random.default_rng(4)
    n = 400
    ts = np.cumsum(rng.integers(1, 3, n)).astype(np.int64) * 60_000
    ts[50] = ts[49]  # a re-sent bar
    ts[150] = ts[140]  # a stale one (first of a chunk, so the batch path sees it stale too)
    close = 100 + np.cumsum(rng.normal(0, 1, n))
    close[7] = np.nan
    close[8] = -1.0
    close[9] = 0.0
    close[300] = np.inf
    one, batch = BarWindow("X", "1m", 37), BarWindow("X", "1m", 37)
    added = 0
    for i in range(n):
        added += one.extend(_bars(ts[i:i + 1], close[i:i + 1]))
        if i % 50 == 49:  # the batch path sees the same rows in chunks
            lo = i - 49
            batch.extend(_bars(ts[lo:i + 1], close[lo:i + 1]))
        if i % 50 == 49:
            a, b = one.view(), batch.view()
            for col in ("ts", "open", "high", "low", "close", "volume", "spread"):
                np.testing.assert_array_equal(getattr(a, col), getattr(b, col))
    assert added == n - 6  # 4 bad prices, 1 re-sent, 1 stale
    assert one.last_ts == int(ts[-1]) and len(one) == 37
