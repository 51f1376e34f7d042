"""Bar builders for the strategy tests: hand-shaped series and a long mixed market."""

from __future__ import annotations

import numpy as np

from ats.domain import Bars, Position, timeframe_ms

T0 = 1_700_000_000_000 - (1_700_000_000_000 % 86_400_000)  # a UTC midnight


def make_bars(
    close,
    timeframe: str,
    *,
    high=None,
    low=None,
    open_=None,
    volume=None,
    symbol: str = "BTC/USDT:USDT",
    spread: float = 0.2,
) -> Bars:
    close = np.asarray(close, dtype=float)
    n = len(close)
    open_ = np.concatenate(([close[0]], close[:-1])) if open_ is None else np.asarray(open_)
    body_hi = np.maximum(open_, close)
    body_lo = np.minimum(open_, close)
    high = body_hi + spread if high is None else np.asarray(high, dtype=float)
    low = body_lo - spread if low is None else np.asarray(low, dtype=float)
    volume = np.full(n, 100.0) if volume is None else np.asarray(volume, dtype=float)
    ts = T0 + np.arange(n, dtype=np.int64) * timeframe_ms(timeframe)
    return Bars.from_arrays(symbol, timeframe, ts, open_, high, low, close, volume)


def wiggle(n: int, level: float = 100.0, amp: float = 1.0, period: int = 10) -> np.ndarray:
    """A deterministic sideways series: a sine plus a little of a second one."""
    t = np.arange(n)
    return level + amp * np.sin(2 * np.pi * t / period) + 0.3 * amp * np.sin(2 * np.pi * t / 7.3)


def position_at(bars: Bars, index: int, qty: float, price: float | None = None) -> Position:
    """A position filled at the open of bar ``index`` (as the paper engine fills a signal)."""
    return Position(
        symbol=bars.symbol,
        qty=qty,
        entry_price=float(bars.open[index]) if price is None else price,
        ts=int(bars.ts[index]),
    )


def mixed_market(n: int, timeframe: str, seed: int = 3) -> Bars:
    """Alternating quiet ranges, trends both ways and volatility bursts with volume spikes:
    every shipped strategy finds something to do in it."""
    rng = np.random.default_rng(seed)
    close = np.empty(n)
    vol = rng.lognormal(4.0, 0.3, n)
    rng_width = np.empty(n)
    price = 1000.0
    i = 0
    regime = 0
    while i < n:
        length = int(rng.integers(60, 160))
        kind = regime % 4
        for _ in range(min(length, n - i)):
            if kind == 0:  # quiet range, mean-reverting
                price += 0.15 * (1000.0 - price) + rng.normal(0, 2.0)
                width = 1.5
            elif kind == 1:  # trend up
                price += 3.0 + rng.normal(0, 2.0)
                width = 3.0
            elif kind == 2:  # burst: big ranges, heavy volume
                price += rng.normal(0, 12.0)
                width = 10.0
                vol[i] *= 4.0
            else:  # trend down
                price -= 3.0 + rng.normal(0, 2.0)
                width = 3.0
            price = max(price, 50.0)
            close[i] = price
            rng_width[i] = width * (0.5 + rng.random())
            i += 1
        regime += 1
    open_ = np.concatenate(([close[0]], close[:-1]))
    high = np.maximum(open_, close) + rng_width * 0.5
    low = np.minimum(open_, close) - rng_width * 0.5
    return make_bars(close, timeframe, high=high, low=low, open_=open_, volume=vol)
