"""Columnar OHLCV bars.

Bars travel as numpy columns because every consumer (indicators, backtester, storage) works
on whole columns; a list of row objects would be converted back and forth on every hop.
Timestamps are the bar's *open* time in milliseconds since the Unix epoch, UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

_COLUMNS = ("ts", "open", "high", "low", "close", "volume", "spread")


@dataclass(frozen=True, slots=True)
class Bars:
    """OHLCV columns of one symbol and timeframe, oldest first.

    ``spread`` is in price units (0 where the venue does not report it).
    """

    symbol: str
    timeframe: str
    ts: np.ndarray  # int64 ms UTC, bar open time
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    spread: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        n = len(self.ts)
        if len(self.spread) == 0 and n:
            object.__setattr__(self, "spread", np.zeros(n, dtype=np.float64))
        for name in _COLUMNS:
            col = getattr(self, name)
            if len(col) != n:
                raise ValueError(f"Bars.{name} has {len(col)} rows, ts has {n}")

    def __len__(self) -> int:
        return len(self.ts)

    @classmethod
    def empty(cls, symbol: str, timeframe: str) -> Bars:
        f = np.zeros(0, dtype=np.float64)
        return cls(symbol, timeframe, np.zeros(0, dtype=np.int64), f, f, f, f, f, f)

    @classmethod
    def from_arrays(
        cls,
        symbol: str,
        timeframe: str,
        ts: np.ndarray,
        open_: np.ndarray,
        high: np.ndarray,
        low: np.ndarray,
        close: np.ndarray,
        volume: np.ndarray,
        spread: np.ndarray | None = None,
    ) -> Bars:
        """Build bars with canonical dtypes (int64 ts, float64 prices)."""
        f64 = np.float64
        return cls(
            symbol,
            timeframe,
            np.asarray(ts, dtype=np.int64),
            np.asarray(open_, dtype=f64),
            np.asarray(high, dtype=f64),
            np.asarray(low, dtype=f64),
            np.asarray(close, dtype=f64),
            np.asarray(volume, dtype=f64),
            np.zeros(len(ts), dtype=f64) if spread is None else np.asarray(spread, dtype=f64),
        )

    def slice(self, start: int | None = None, stop: int | None = None) -> Bars:
        """Rows ``start:stop`` (views, no copy)."""
        s = slice(start, stop)
        return Bars(
            self.symbol,
            self.timeframe,
            self.ts[s],
            self.open[s],
            self.high[s],
            self.low[s],
            self.close[s],
            self.volume[s],
            self.spread[s],
        )

    def tail(self, n: int) -> Bars:
        return self.slice(max(0, len(self) - n), None)

    def concat(self, other: Bars) -> Bars:
        """Append ``other`` (same symbol/timeframe) after these rows."""
        if (other.symbol, other.timeframe) != (self.symbol, self.timeframe):
            raise ValueError("cannot concatenate bars of different symbols or timeframes")
        return Bars(
            self.symbol,
            self.timeframe,
            *(np.concatenate([getattr(self, c), getattr(other, c)]) for c in _COLUMNS),
        )

    @property
    def last_ts(self) -> int | None:
        return int(self.ts[-1]) if len(self.ts) else None
