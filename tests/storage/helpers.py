"""Deterministic test data for storage tests."""

from __future__ import annotations

import numpy as np

from ats.domain import Bars, timeframe_ms

T0 = 1_767_571_200_000  # 2026-01-05T00:00:00Z


def make_bars(symbol: str = "EURUSD", timeframe: str = "1m", n: int = 10,
              start: int = T0, seed: int = 1) -> Bars:
    step = timeframe_ms(timeframe)
    ts = start + np.arange(n, dtype=np.int64) * step
    rng = np.random.default_rng(seed)
    close = 1.1 + np.cumsum(rng.normal(0, 0.001, n))
    open_ = np.concatenate([[close[0]], close[:-1]])
    high = np.maximum(open_, close) + 0.0005
    low = np.minimum(open_, close) - 0.0005
    return Bars.from_arrays(symbol, timeframe, ts, open_, high, low, close,
                            rng.integers(1, 100, n).astype(float), np.full(n, 0.0001))
