"""PaperBroker over a venue: data delegated, orders simulated locally on the venue's quotes."""

from __future__ import annotations

import pytest

from ats.domain import (
    AccountState,
    Bars,
    FixedClock,
    InstrumentSpec,
    OrderIntent,
    OrderStatus,
    OrderType,
    Quote,
    Side,
    TimeInForce,
)
from ats.domain.costs import CostModel
from broker_adapters.base import Capabilities
from broker_adapters.errors import CapabilityError, InvalidOrderError, VenueBusyError
from broker_adapters.mock import MockMarket, parse_start
from broker_adapters.paper import PaperBroker

NOW = parse_start("2026-01-12T08:00:30Z")
BTC = "BTC/USDT:USDT"
COSTS = CostModel(maker_fee=0.0001, taker_fee=0.0007)


def paper(
    balance: float = 50_000.0, **kw: str | None
) -> tuple[PaperBroker, MockMarket, FixedClock]:
    clock = FixedClock(NOW)
    venue = MockMarket(clock=clock, seed=3)
    pb = PaperBroker(venue, costs=COSTS, clock=clock, starting_balance=balance, **kw)
    return pb, venue, clock


class QuoteOnlyVenue:
    """A venue with quotes and 1m bars but no depth and no trading (like a data-only feed)."""

    name = "quotes"
    capabilities = Capabilities(depth=False, funding=False, trading=False)

    def __init__(self) -> None:
        self.q = Quote("X", NOW, 99.0, 101.0, 2.0, 3.0)
        self.calls: list[str] = []

    async def connect(self) -> None:
        self.calls.append("connect")

    async def close(self) -> None:
        self.calls.append("close")

    async def server_time(self) -> int:
        return NOW

    async def instruments(self) -> dict[str, InstrumentSpec]:
        return {"X": InstrumentSpec("X", "quotes", "index", 0.01, 1.0, 1.0)}

    async def quote(self, symbol: str) -> Quote:
        self.calls.append("quote")
        return self.q

    async def latest_bars(self, symbol: str, timeframe: str, n: int) -> Bars:
        return Bars.from_arrays("X", "1m", [NOW - 120_000], [100.0], [102.0], [98.0], [100.0],
                                [5.0])

    async def order_book(self, symbol: str, depth: int = 10):  # type: ignore[no-untyped-def]
        raise CapabilityError("no depth", venue=self.name)


async def test_market_data_is_the_venues() -> None:
    pb, venue, _ = paper()
    await pb.connect()
    assert pb.name == "mock" and pb.capabilities.depth and pb.capabilities.trading
    a = await pb.latest_bars(BTC, "1h", 10)
    b = await venue.latest_bars(BTC, "1h", 10)
    assert (a.close == b.close).all()
    assert (await pb.history(BTC, "1h", int(b.ts[0]), 3)).ts[-1] == b.ts[2]
    assert await pb.server_time() == NOW
    assert (await pb.order_book(BTC, 3)).asks == (await venue.order_book(BTC, 3)).asks
    assert (await pb.funding_rate(BTC)).rate == (await venue.funding_rate(BTC)).rate
    assert (await pb.instruments())[BTC].lot_step == 0.001


async def test_orders_never_reach_the_venue_and_fill_on_its_quote() -> None:
    pb, venue, _ = paper(virtual_asset="VST")
    await pb.connect()
    view = venue.book_view(BTC)
    order = await pb.place_order(OrderIntent("p1", BTC, Side.BUY, 0.5))
    assert not venue.engine.knows("p1") and venue.engine.fills_since(0) == []
    visible = sum(lv.size for lv in view.asks[:20])
    slip = COSTS.slippage_bps(0.5, visible, view.range_bps)
    assert order.avg_price == pytest.approx(view.quote.ask * (1 + slip / 1e4))
    fill = (await pb.fills_since(NOW))[0]
    assert fill.fee == pytest.approx(0.5 * order.avg_price * 0.0007)
    assert fill.venue == "paper:mock" and fill.virtual_asset == "VST"
    assert order.virtual_asset == "VST" and (await pb.account()).virtual_asset == "VST"


async def test_partial_fill_when_size_exceeds_venue_depth() -> None:
    pb, venue, _ = paper(balance=10_000_000.0)
    await pb.connect()
    depth = sum(lv.size for lv in venue.book_view(BTC).asks)
    qty = round(depth + 1.0, 3)
    o = await pb.place_order(OrderIntent("big", BTC, Side.BUY, qty, tif=TimeInForce.IOC))
    assert o.status is OrderStatus.CANCELED and o.filled_qty == pytest.approx(depth)


async def test_resting_stop_fills_via_process_pending_after_time_passes() -> None:
    pb, venue, clock = paper()
    await pb.connect()
    k = (NOW - venue.origin_ms) // 60_000
    future = venue.bars_between(BTC, "1m", k, k + 240)
    q = await pb.quote(BTC)
    stop = round(float(future.close.max()) - 2 * float(future.spread.max()), 1)
    assert stop > q.ask, "precondition: the path rises through the stop"
    await pb.place_order(OrderIntent("stp", BTC, Side.BUY, 0.01, OrderType.STOP, stop_price=stop))
    steps = 0
    while (await pb.fetch_order("stp", BTC)).status is OrderStatus.NEW and steps < 240:
        clock.advance(60_000)
        await pb.process_pending()
        steps += 1
    o = await pb.fetch_order("stp", BTC)
    assert o.status is OrderStatus.FILLED and o.avg_price >= stop
    assert (await pb.positions())[0].qty == pytest.approx(0.01)


async def test_quote_fetch_matches_resting_orders() -> None:
    venue = QuoteOnlyVenue()
    clock = FixedClock(NOW)
    pb = PaperBroker(venue, costs=COSTS, clock=clock, starting_balance=10_000.0)  # type: ignore[arg-type]
    await pb.connect()
    assert not pb.capabilities.depth and pb.capabilities.trading
    o = await pb.place_order(OrderIntent("L", "X", Side.BUY, 2.0, OrderType.LIMIT,
                                         limit_price=95.0))
    assert o.status is OrderStatus.NEW
    venue.q = Quote("X", NOW + 1, 93.0, 94.0, 5.0, 5.0)
    await pb.quote("X")
    assert (await pb.fetch_order("L", "X")).status is OrderStatus.FILLED


async def test_without_depth_quote_sizes_bound_the_fill() -> None:
    venue = QuoteOnlyVenue()
    pb = PaperBroker(venue, costs=COSTS, clock=FixedClock(NOW), starting_balance=10_000.0)  # type: ignore[arg-type]
    o = await pb.place_order(OrderIntent("m", "X", Side.BUY, 5.0))  # instruments loaded lazily
    assert o.status is OrderStatus.PARTIAL and o.filled_qty == 3.0
    slip = COSTS.slippage_bps(3.0, 3.0, 400.0)  # 1m bar range 4 / 100 = 400 bps
    assert o.avg_price == pytest.approx(101.0 * (1 + slip / 1e4))


async def test_account_marks_positions_to_the_venue_quote() -> None:
    venue = QuoteOnlyVenue()
    pb = PaperBroker(venue, costs=CostModel(0, 0, 0, 0, 0), clock=FixedClock(NOW),  # type: ignore[arg-type]
                     starting_balance=10_000.0)
    await pb.place_order(OrderIntent("m", "X", Side.BUY, 2.0))  # fills at 101, no costs
    venue.q = Quote("X", NOW, 109.0, 111.0, 5.0, 5.0)
    acc: AccountState = await pb.account()
    assert acc.equity == pytest.approx(10_000.0 + 2 * (110.0 - 101.0))
    assert (await pb.positions())[0].unrealized_pnl == pytest.approx(18.0)


async def test_cancel_unknown_and_idempotent_paths() -> None:
    pb, _, _ = paper()
    await pb.connect()
    with pytest.raises(InvalidOrderError):
        await pb.cancel_order("none", BTC)
    a = await pb.place_order(OrderIntent("i", BTC, Side.BUY, 0.01))
    b = await pb.place_order(OrderIntent("i", BTC, Side.BUY, 0.01))
    assert a is b and len(await pb.fills_since(0)) == 1
    await pb.close()


async def test_gtc_remainder_waits_for_a_new_quote() -> None:
    venue = QuoteOnlyVenue()
    pb = PaperBroker(venue, costs=COSTS, clock=FixedClock(NOW), starting_balance=10_000.0)  # type: ignore[arg-type]
    o = await pb.place_order(OrderIntent("g", "X", Side.BUY, 5.0))
    assert o.filled_qty == 3.0
    for _ in range(3):  # the same quote again: its depth was already taken
        await pb.quote("X")
        await pb.process_pending()
    assert (await pb.fetch_order("g", "X")).filled_qty == 3.0
    venue.q = Quote("X", NOW + 60_000, 99.5, 101.5, 3.0, 3.0)
    assert (await pb.process_pending())[0].status is OrderStatus.FILLED


async def test_mock_remainder_waits_for_the_next_minute() -> None:
    clock = FixedClock(NOW)
    m = MockMarket(clock=clock, seed=3, starting_balance=1e8)
    depth = sum(lv.size for lv in m.book_view(BTC).asks)
    qty = round(depth + 0.5, 3)
    o = await m.place_order(OrderIntent("big", BTC, Side.BUY, qty))
    assert o.status is OrderStatus.PARTIAL
    await m.process_pending()
    await m.quote(BTC)
    assert (await m.fetch_order("big", BTC)).filled_qty == pytest.approx(depth)
    clock.advance(60_000)
    await m.process_pending()
    assert (await m.fetch_order("big", BTC)).status is OrderStatus.FILLED


async def test_broken_quote_is_retryable_and_fills_nothing() -> None:
    venue = QuoteOnlyVenue()
    pb = PaperBroker(venue, costs=COSTS, clock=FixedClock(NOW), starting_balance=10_000.0)  # type: ignore[arg-type]
    venue.q = Quote("X", NOW, 101.0, 100.0, 5.0, 5.0)  # crossed
    with pytest.raises(VenueBusyError, match="no usable quote for X"):
        await pb.place_order(OrderIntent("c", "X", Side.BUY, 1.0))
    assert not pb.engine.knows("c")
    venue.q = Quote("X", NOW, 99.0, 101.0, 5.0, 5.0)
    assert (await pb.place_order(OrderIntent("c", "X", Side.BUY, 1.0))).filled_qty == 1.0
