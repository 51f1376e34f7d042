"""Is the market feed usable? One clear verdict per symbol before a session starts trading.

A session that starts on a dead or frozen feed would compute signals from stale prices; the
runner calls ``check_feed`` first and refuses to start (or says why) unless every symbol is
``ok``. The adapter is connected here if needed but not closed: the caller owns it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from ats.domain import Clock, timeframe_ms
from broker_adapters.base import BrokerAdapter
from broker_adapters.errors import BadBarError, VenueError
from broker_adapters.validation import validate_bars


class FeedStatus(StrEnum):
    OK = "ok"
    STALE = "stale"
    NO_DATA = "no_data"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class FeedVerdict:
    symbol: str
    status: FeedStatus
    message: str
    bars: int = 0
    last_bar_close_ms: int | None = None
    quote_age_ms: int | None = None
    issues: int = 0  # bar validation findings (repaired, dropped or gaps)

    @property
    def ok(self) -> bool:
        return self.status is FeedStatus.OK


async def _check_one(
    adapter: BrokerAdapter, symbol: str, timeframe: str, clock: Clock, max_age_ms: int, n: int
) -> FeedVerdict:
    tf = timeframe_ms(timeframe)
    try:
        bars = await adapter.latest_bars(symbol, timeframe, n)
        if len(bars) == 0:
            return FeedVerdict(symbol, FeedStatus.NO_DATA,
                               f"{symbol}: the venue returned no closed {timeframe} bars")
        try:
            bars, issues = validate_bars(bars, venue=adapter.name)
        except BadBarError as exc:
            return FeedVerdict(symbol, FeedStatus.ERROR, f"{symbol}: {exc}", bars=len(bars))
        quote = await adapter.quote(symbol)
    except VenueError as exc:
        return FeedVerdict(symbol, FeedStatus.ERROR, f"{symbol}: {type(exc).__name__}: {exc}")
    now = clock.now_ms()
    closed = int(bars.ts[-1]) + tf
    q_age = now - quote.ts
    common = {"bars": len(bars), "last_bar_close_ms": closed, "quote_age_ms": q_age,
              "issues": len(issues)}
    if not (0 < quote.bid < quote.ask):
        return FeedVerdict(symbol, FeedStatus.ERROR,
                           f"{symbol}: unusable quote bid={quote.bid} ask={quote.ask}", **common)
    bar_age = now - closed
    if bar_age > tf + max_age_ms:
        return FeedVerdict(
            symbol, FeedStatus.STALE,
            f"{symbol}: newest closed {timeframe} bar closed {bar_age / 1000:.0f}s ago "
            f"(allowed {(tf + max_age_ms) / 1000:.0f}s)", **common,
        )
    if q_age > max_age_ms:
        return FeedVerdict(
            symbol, FeedStatus.STALE,
            f"{symbol}: quote is {q_age / 1000:.0f}s old (allowed {max_age_ms / 1000:.0f}s)",
            **common,
        )
    return FeedVerdict(
        symbol, FeedStatus.OK,
        f"{symbol}: {len(bars)} {timeframe} bars, quote {quote.bid}/{quote.ask}, "
        f"{q_age / 1000:.0f}s old", **common,
    )


async def check_feed(
    adapter: BrokerAdapter,
    symbols: Sequence[str],
    timeframe: str,
    *,
    clock: Clock,
    max_age_ms: int,
    bars: int = 50,
) -> list[FeedVerdict]:
    """Connect, fetch bars and a quote per symbol, and judge each: ok/stale/no data/error."""
    try:
        await adapter.connect()
    except VenueError as exc:
        msg = f"cannot connect to {adapter.name}: {type(exc).__name__}: {exc}"
        return [FeedVerdict(s, FeedStatus.ERROR, f"{s}: {msg}") for s in symbols]
    return [
        await _check_one(adapter, s, timeframe, clock, max_age_ms, bars) for s in symbols
    ]
