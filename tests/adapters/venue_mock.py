"""Contract venues for the mock market, bare and wrapped in the paper simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from contract_case import VenueCase, VenueControl, register, unregister

from ats.domain import FixedClock
from ats.domain.costs import CostModel
from broker_adapters.base import BrokerAdapter
from broker_adapters.mock import MockMarket, parse_start
from broker_adapters.paper import PaperBroker

# 10 days after the configured start, 30 s into a minute: bars of every timeframe have
# closed before it, and the forming 1m/1h bars must stay hidden.
NOW = parse_start("2026-01-15T10:20:30Z")


def _control(adapter: BrokerAdapter, clock: FixedClock) -> VenueControl:
    async def advance(ms: int) -> None:
        clock.advance(ms)

    # The mock market (and the paper engine) *is* the venue: its state lives in this object,
    # so a restarted adapter is the same object (durable state across processes is the
    # account store's job, not the venue's).
    return VenueControl(advance=advance, reopen=lambda: adapter)


@asynccontextmanager
async def _mock() -> AsyncIterator[BrokerAdapter]:
    clock = FixedClock(NOW)
    adapter = MockMarket(clock=clock, seed=7, starting_balance=100_000.0)
    register(adapter, _control(adapter, clock))
    try:
        yield adapter
    finally:
        unregister(adapter)


@asynccontextmanager
async def _paper_mock() -> AsyncIterator[BrokerAdapter]:
    clock = FixedClock(NOW)
    venue = MockMarket(clock=clock, seed=7)
    adapter = PaperBroker(
        venue, costs=CostModel(), clock=clock, starting_balance=100_000.0,
        virtual_asset="VST",
    )
    register(adapter, _control(adapter, clock))
    try:
        yield adapter
    finally:
        unregister(adapter)


VENUES = {
    "mock": VenueCase(open=_mock, symbol="BTC/USDT:USDT", timeframe="1h", qty=0.01),
    "mock-eurusd-15m": VenueCase(open=_mock, symbol="EURUSD", timeframe="15m", qty=0.1),
    "paper-mock": VenueCase(open=_paper_mock, symbol="ETH/USDT:USDT", timeframe="5m", qty=0.1),
}
