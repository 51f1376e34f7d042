"""Feed check: one clear verdict per symbol (ok / stale / no data / error)."""

from __future__ import annotations

import numpy as np

from ats.domain import Bars, FixedClock
from broker_adapters.errors import AuthenticationError, RateLimitError
from broker_adapters.feed_check import FeedStatus, check_feed
from broker_adapters.mock import MockMarket, parse_start

NOW = parse_start("2026-01-10T09:30:10Z")
SYMS = ["BTC/USDT:USDT", "EURUSD"]


async def test_healthy_mock_feed_is_ok() -> None:
    clock = FixedClock(NOW)
    verdicts = await check_feed(MockMarket(clock=clock), SYMS, "15m", clock=clock,
                                max_age_ms=120_000)
    assert [v.symbol for v in verdicts] == SYMS
    assert all(v.ok for v in verdicts), verdicts
    assert verdicts[0].bars == 50 and verdicts[0].quote_age_ms == 10_000


async def test_frozen_feed_is_stale() -> None:
    venue = MockMarket(clock=FixedClock(NOW))
    later = FixedClock(NOW + 3_600_000)  # the venue's time stopped an hour ago
    verdicts = await check_feed(venue, SYMS[:1], "15m", clock=later, max_age_ms=60_000)
    assert verdicts[0].status is FeedStatus.STALE and "closed" in verdicts[0].message


async def test_old_quote_alone_is_stale() -> None:
    venue = MockMarket(clock=FixedClock(NOW))
    later = FixedClock(NOW + 100_000)
    (v,) = await check_feed(venue, SYMS[:1], "1h", clock=later, max_age_ms=60_000)
    assert v.status is FeedStatus.STALE and "quote" in v.message


async def test_no_bars_is_no_data() -> None:
    venue = MockMarket(clock=FixedClock(0), start=0, history_days=0)
    venue.clock = FixedClock(venue.origin_ms + 60_000)
    (v,) = await check_feed(venue, ["EURUSD"], "4h", clock=venue.clock, max_age_ms=60_000)
    assert v.status is FeedStatus.NO_DATA and "no closed 4h bars" in v.message


async def test_connect_failure_is_an_error_for_every_symbol() -> None:
    clock = FixedClock(NOW)
    venue = MockMarket(clock=clock)
    venue.fail_next(1, exc=AuthenticationError)
    verdicts = await check_feed(venue, SYMS, "1h", clock=clock, max_age_ms=60_000)
    assert [v.status for v in verdicts] == [FeedStatus.ERROR, FeedStatus.ERROR]
    assert "cannot connect" in verdicts[0].message and "AuthenticationError" in verdicts[1].message


class OneSymbolDown(MockMarket):
    async def latest_bars(self, symbol: str, timeframe: str, n: int) -> Bars:
        if symbol == "EURUSD":
            raise RateLimitError("too many requests", venue=self.name)
        return await super().latest_bars(symbol, timeframe, n)


async def test_one_failing_symbol_does_not_hide_the_others() -> None:
    clock = FixedClock(NOW)
    btc, eur = await check_feed(OneSymbolDown(clock=clock), SYMS, "1h", clock=clock,
                                max_age_ms=60_000)
    assert btc.ok
    assert eur.status is FeedStatus.ERROR and "RateLimitError" in eur.message


class BrokenBars(MockMarket):
    async def latest_bars(self, symbol: str, timeframe: str, n: int) -> Bars:
        nan = np.array([np.nan, np.nan])
        return Bars.from_arrays(symbol, timeframe, [0, 3_600_000], nan, nan, nan, nan, nan)


async def test_unusable_bars_are_an_error_naming_the_symbol() -> None:
    clock = FixedClock(NOW)
    (v,) = await check_feed(BrokenBars(clock=clock), ["EURUSD"], "1h", clock=clock,
                            max_age_ms=60_000)
    assert v.status is FeedStatus.ERROR and "EURUSD" in v.message
