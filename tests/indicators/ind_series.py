"""Deterministic OHLCV series of several shapes for the indicator and strategy tests."""

from __future__ import annotations

import numpy as np

KINDS = ("walk", "trend", "flat", "tiny", "gappy")


def make_series(kind: str, n: int = 1500, seed: int = 7) -> tuple[np.ndarray, ...]:
    """(high, low, close, volume) of one shape.

    walk: a random walk; trend: drift plus noise; flat: random walk with flat stretches where
    high == low == close (zero true range, zero changes); tiny: prices ~1e-6 (satoshi-quoted
    tokens, where absolute epsilons misfire); gappy: jumps between bars (true range driven by
    the previous close).
    """
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0, 1.0, n)
    if kind == "trend":
        steps = steps * 0.5 + 0.3
    close = 200.0 + np.cumsum(steps)
    if kind == "gappy":
        close += np.cumsum(rng.choice([0.0, 0.0, 0.0, 6.0, -6.0], n))
    close = np.abs(close) + 20.0
    spread_hi = np.abs(rng.normal(0.0, 0.6, n))
    spread_lo = np.abs(rng.normal(0.0, 0.6, n))
    high, low = close + spread_hi, close - spread_lo
    if kind == "flat":
        for a, b in ((100, 140), (400, 460), (900, 1200)):
            a, b = min(a, n - 1), min(b, n)
            close[a:b] = close[a]
            high[a:b] = close[a]
            low[a:b] = close[a]
    if kind == "tiny":
        high, low, close = high * 1e-8, low * 1e-8, close * 1e-8
    volume = rng.lognormal(3.0, 0.5, n)
    return high, low, close, volume
