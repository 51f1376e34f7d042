"""Helpers of the research-lab tests: small deterministic histories."""

from __future__ import annotations

import numpy as np

from ats.domain import Bars


def random_bars(n: int, seed: int = 3, timeframe: str = "1h", vol: float = 0.006,
                drift: float = 0.0) -> Bars:
    """A seeded random walk with regimes of drift, OHLC consistent, volume and spread."""
    rng = np.random.default_rng(seed)
    regime = np.repeat(rng.choice([-1.0, 0.0, 1.0], size=n // 200 + 1), 200)[:n]
    steps = rng.normal(drift + regime * vol * 0.15, vol, n)
    close = 100.0 * np.exp(np.cumsum(steps))
    open_ = np.r_[close[0], close[:-1]] * (1.0 + rng.normal(0.0, vol * 0.05, n))
    high = np.maximum(open_, close) * (1.0 + np.abs(rng.normal(0.0, vol * 0.4, n)))
    low = np.minimum(open_, close) * (1.0 - np.abs(rng.normal(0.0, vol * 0.4, n)))
    ts = 1_767_571_200_000 + np.arange(n, dtype=np.int64) * 3_600_000
    volume = rng.uniform(500.0, 1500.0, n)
    return Bars.from_arrays("TEST/USDT", timeframe, ts, open_, high, low, close, volume,
                            np.full(n, 0.01))
