"""One contract every venue honours, run against each ``venue_*.py`` case (see conftest)."""

from __future__ import annotations

import asyncio
import math

import numpy as np
import pytest
from contract_case import VenueCase

from ats.domain import OrderIntent, OrderStatus, OrderType, Side, timeframe_ms
from broker_adapters.base import BrokerAdapter, Capabilities
from broker_adapters.errors import (
    BadSymbolError,
    CapabilityError,
    InvalidOrderError,
    OrderFatalError,
)

YEAR_2020_MS = 1_577_836_800_000


def _round_tick(price: float, tick: float) -> float:
    return round(round(price / tick) * tick, 10)


async def _settled(adapter: BrokerAdapter, order_id: str, symbol: str, status: OrderStatus):
    """Poll ``fetch_order`` briefly: some venues acknowledge before they report the fill."""
    order = await adapter.fetch_order(order_id, symbol)
    for _ in range(10):
        if order.status == status:
            break
        await asyncio.sleep(0.02)
        order = await adapter.fetch_order(order_id, symbol)
    return order


async def _fills_of(adapter: BrokerAdapter, since: int, symbol: str, order_id: str) -> list:
    return [f for f in await adapter.fills_since(since, symbol) if f.client_order_id == order_id]


async def _position_qty(adapter: BrokerAdapter, symbol: str) -> float:
    return sum(p.qty for p in await adapter.positions() if p.symbol == symbol)


async def test_connect_server_time_and_capabilities(venue: BrokerAdapter) -> None:
    now = await venue.server_time()
    assert isinstance(now, int) and now > YEAR_2020_MS
    assert isinstance(venue.capabilities, Capabilities)
    assert isinstance(venue.name, str) and venue.name


async def test_instruments_include_symbol(venue: BrokerAdapter, venue_case: VenueCase) -> None:
    specs = await venue.instruments()
    spec = specs[venue_case.symbol]
    assert spec.symbol == venue_case.symbol
    assert spec.tick_size > 0 and spec.lot_step > 0 and spec.min_qty > 0
    assert venue_case.qty >= spec.min_qty


async def test_history_pages_without_overlap(venue: BrokerAdapter, venue_case: VenueCase) -> None:
    tf = timeframe_ms(venue_case.timeframe)
    now = await venue.server_time()
    since = (now // tf - venue_case.min_history) * tf
    first = await venue.history(venue_case.symbol, venue_case.timeframe, since, 50)
    assert 0 < len(first) <= 50
    assert int(first.ts[0]) >= since
    assert np.all(np.diff(first.ts) > 0) and np.all(first.ts % tf == 0)
    second = await venue.history(
        venue_case.symbol, venue_case.timeframe, int(first.ts[-1]) + tf, 50
    )
    assert len(second) > 0
    assert int(second.ts[0]) > int(first.ts[-1])
    assert int(second.ts[-1]) + tf <= await venue.server_time()


async def test_latest_bars_are_closed_and_valid(
    venue: BrokerAdapter, venue_case: VenueCase
) -> None:
    tf = timeframe_ms(venue_case.timeframe)
    bars = await venue.latest_bars(venue_case.symbol, venue_case.timeframe, 20)
    now = await venue.server_time()
    assert 0 < len(bars) <= 20
    assert bars.symbol == venue_case.symbol and bars.timeframe == venue_case.timeframe
    assert int(bars.ts[-1]) + tf <= now, "the forming bar must never be served"
    assert now - (int(bars.ts[-1]) + tf) < 2 * tf, "the newest closed bar is missing"
    for col in (bars.open, bars.high, bars.low, bars.close):
        assert np.all(np.isfinite(col)) and np.all(col > 0)
    assert np.all(bars.high >= np.maximum(bars.open, bars.close))
    assert np.all(bars.low <= np.minimum(bars.open, bars.close))
    assert np.all(np.diff(bars.ts) > 0)


async def test_quote_has_positive_spread(venue: BrokerAdapter, venue_case: VenueCase) -> None:
    q = await venue.quote(venue_case.symbol)
    assert q.symbol == venue_case.symbol
    assert 0 < q.bid < q.ask
    assert math.isfinite(q.mid)


async def test_depth_per_capability(venue: BrokerAdapter, venue_case: VenueCase) -> None:
    if venue.capabilities.depth:
        book = await venue.order_book(venue_case.symbol, 5)
        assert book.bids and book.asks and len(book.bids) <= 5
        assert book.bids[0].price < book.asks[0].price
        assert all(a.price > b.price for a, b in zip(book.bids, book.bids[1:], strict=False))
        assert all(a.price < b.price for a, b in zip(book.asks, book.asks[1:], strict=False))
    else:
        with pytest.raises(CapabilityError):
            await venue.order_book(venue_case.symbol, 5)


async def test_funding_per_capability(venue: BrokerAdapter, venue_case: VenueCase) -> None:
    specs = await venue.instruments()
    if venue.capabilities.funding and specs[venue_case.symbol].has_funding:
        fr = await venue.funding_rate(venue_case.symbol)
        assert fr.symbol == venue_case.symbol and math.isfinite(fr.rate)
    elif not venue.capabilities.funding:
        with pytest.raises(CapabilityError):
            await venue.funding_rate(venue_case.symbol)


async def test_account_has_equity(venue: BrokerAdapter) -> None:
    acc = await venue.account()
    assert acc.equity > 0 and acc.balance >= 0


async def test_resting_limit_fetch_and_cancel(venue: BrokerAdapter, venue_case: VenueCase) -> None:
    spec = (await venue.instruments())[venue_case.symbol]
    q = await venue.quote(venue_case.symbol)
    price = _round_tick(q.bid * venue_case.far_ratio, spec.tick_size)
    intent = OrderIntent(
        "ct-limit-1", venue_case.symbol, Side.BUY, venue_case.qty, OrderType.LIMIT,
        limit_price=price,
    )
    order = await venue.place_order(intent)
    assert order.client_order_id == "ct-limit-1"
    assert order.status is OrderStatus.NEW and order.filled_qty == 0
    fetched = await venue.fetch_order("ct-limit-1", venue_case.symbol)
    assert fetched.status is OrderStatus.NEW and fetched.qty == pytest.approx(venue_case.qty)
    canceled = await venue.cancel_order("ct-limit-1", venue_case.symbol)
    assert canceled.status is OrderStatus.CANCELED
    again = await venue.fetch_order("ct-limit-1", venue_case.symbol)
    assert again.status is OrderStatus.CANCELED


async def test_stop_order_per_capability(venue: BrokerAdapter, venue_case: VenueCase) -> None:
    spec = (await venue.instruments())[venue_case.symbol]
    q = await venue.quote(venue_case.symbol)
    stop = _round_tick(q.ask / venue_case.far_ratio, spec.tick_size)
    intent = OrderIntent(
        "ct-stop-1", venue_case.symbol, Side.BUY, venue_case.qty, OrderType.STOP,
        stop_price=stop,
    )
    if not venue.capabilities.stop_orders:
        with pytest.raises(CapabilityError):
            await venue.place_order(intent)
        return
    order = await venue.place_order(intent)
    assert order.status is OrderStatus.NEW
    assert (await venue.cancel_order("ct-stop-1", venue_case.symbol)).status is (
        OrderStatus.CANCELED
    )


async def test_market_fill_position_and_close(venue: BrokerAdapter, venue_case: VenueCase) -> None:
    sym, qty = venue_case.symbol, venue_case.qty
    t0 = await venue.server_time()
    order = await venue.place_order(OrderIntent("ct-mkt-1", sym, Side.BUY, qty))
    order = await _settled(venue, "ct-mkt-1", sym, OrderStatus.FILLED)
    assert order.status is OrderStatus.FILLED
    assert order.filled_qty == pytest.approx(qty) and order.avg_price > 0
    fills = await _fills_of(venue, t0 - 60_000, sym, "ct-mkt-1")
    assert fills and sum(f.qty for f in fills) == pytest.approx(qty)
    assert all(f.side is Side.BUY and f.price > 0 and f.fee >= 0 for f in fills)
    assert await _position_qty(venue, sym) == pytest.approx(qty)
    reduce_only = venue.capabilities.reduce_only
    await venue.place_order(
        OrderIntent("ct-mkt-2", sym, Side.SELL, qty, reduce_only=reduce_only)
    )
    closed = await _settled(venue, "ct-mkt-2", sym, OrderStatus.FILLED)
    assert closed.status is OrderStatus.FILLED
    assert await _position_qty(venue, sym) == pytest.approx(0.0, abs=qty * 1e-6)


async def test_same_client_id_never_fills_twice(
    venue: BrokerAdapter, venue_case: VenueCase
) -> None:
    sym, qty = venue_case.symbol, venue_case.qty
    t0 = await venue.server_time()
    intent = OrderIntent("ct-idem-1", sym, Side.BUY, qty)
    first = await venue.place_order(intent)
    second = await venue.place_order(intent)
    assert second.client_order_id == first.client_order_id
    await _settled(venue, "ct-idem-1", sym, OrderStatus.FILLED)
    fills = await _fills_of(venue, t0 - 60_000, sym, "ct-idem-1")
    assert sum(f.qty for f in fills) == pytest.approx(qty)
    assert await _position_qty(venue, sym) == pytest.approx(qty)


async def test_rejections_raise(venue: BrokerAdapter, venue_case: VenueCase) -> None:
    sym = venue_case.symbol
    with pytest.raises(InvalidOrderError):
        await venue.place_order(OrderIntent("ct-rej-1", sym, Side.BUY, 0.0))
    with pytest.raises(BadSymbolError):
        await venue.place_order(OrderIntent("ct-rej-2", "NO/SUCH:SYMBOL", Side.BUY, 1.0))
    grow = OrderIntent("ct-rej-3", sym, Side.SELL, venue_case.qty, reduce_only=True)
    expected = OrderFatalError if venue.capabilities.reduce_only else CapabilityError
    with pytest.raises(expected):
        await venue.place_order(grow)
    assert await _position_qty(venue, sym) == pytest.approx(0.0)


async def test_unknown_order_ids_raise(venue: BrokerAdapter, venue_case: VenueCase) -> None:
    with pytest.raises(InvalidOrderError):
        await venue.fetch_order("ct-never-placed", venue_case.symbol)
    with pytest.raises(InvalidOrderError):
        await venue.cancel_order("ct-never-placed", venue_case.symbol)


async def test_close_twice_is_harmless(venue: BrokerAdapter) -> None:
    await venue.close()
    await venue.close()
