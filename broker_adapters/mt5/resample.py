"""UTC-aligned 4h / 1d bars from smaller MT5 bars.

MT5 aligns H4 and D1 bars to the *server's* midnight; with a UTC+2 server an "H4" bar opens at
22:00 UTC, which is not a 4h bar in UTC, and a "D1" bar spans 22:00→22:00 UTC. ATS bars are
UTC-aligned everywhere, so when the server offset is not a multiple of the timeframe those
bars are rebuilt from the largest base timeframe that the offset *is* aligned with.
"""

from __future__ import annotations

import numpy as np

from ats.domain import Bars, timeframe_ms

BASES = ("1h", "30m", "15m", "5m", "1m")


def base_timeframe(timeframe: str, offset_s: int) -> str | None:
    """``None`` when the venue's own bars are already UTC-aligned, else the base to build from."""
    tf_s = timeframe_ms(timeframe) // 1000
    if offset_s % tf_s == 0:
        return None
    for base in BASES:
        b_s = timeframe_ms(base) // 1000
        if b_s < tf_s and offset_s % b_s == 0 and tf_s % b_s == 0:
            return base
    raise ValueError(f"no base timeframe aligns a {offset_s} s server offset with {timeframe}")


def resample(bars: Bars, timeframe: str, now_ms: int, drop_first: bool) -> Bars:
    """Group ``bars`` into UTC buckets of ``timeframe``; the forming bucket is dropped, and so
    is the first one when ``drop_first`` (its earlier base bars may not have been fetched)."""
    tf = timeframe_ms(timeframe)
    if len(bars) == 0:
        return Bars.empty(bars.symbol, timeframe)
    keys = (bars.ts // tf) * tf
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], len(keys)] - 1
    out = Bars.from_arrays(
        bars.symbol, timeframe, keys[starts], bars.open[starts],
        np.maximum.reduceat(bars.high, starts), np.minimum.reduceat(bars.low, starts),
        bars.close[ends], np.add.reduceat(bars.volume, starts),
        np.maximum.reduceat(bars.spread, starts),
    )
    closed = out.ts + tf <= now_ms
    first = 1 if drop_first else 0
    keep = np.flatnonzero(closed)
    keep = keep[keep >= first]
    return out.slice(int(keep[0]), int(keep[-1]) + 1) if len(keep) else out.slice(0, 0)
