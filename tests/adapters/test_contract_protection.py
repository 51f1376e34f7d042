"""The stop-loss / take-profit and adoption contract, on every venue setup (see conftest).

* An entry carrying ``stop_loss``/``take_profit`` leaves protection resting *at the venue*:
  protective orders ``<entry id>-sl``/``-tp`` (paper engine, mock, BingX) or the position's
  own SL/TP (MT5). ``set_protection`` moves it, the market reaching it closes the position
  near the stop without the caller doing anything but look, nothing protective is left
  afterwards, and ``cancel_protection`` removes it while the position stays.
* After a restart, a fresh adapter on the same venue lists the resting orders with the
  client ids ATS gave them (``open_orders``) and the positions (``positions``).
"""

from __future__ import annotations

import pytest
from contract_case import VenueCase, control

from ats.domain import OrderIntent, OrderStatus, OrderType, Side
from broker_adapters.base import BrokerAdapter, VenueInventory, VenueProtection

STEP_MS = 10 * 60_000
MAX_STEPS = 600  # 100 hours of market time at most


def _tick_round(price: float, tick: float) -> float:
    return round(round(price / tick) * tick, 10)


async def _position(venue: BrokerAdapter, symbol: str) -> float:
    return sum(p.qty for p in await venue.positions() if p.symbol == symbol)


async def _protection(venue: BrokerAdapter, symbol: str) -> tuple[float | None, float | None]:
    """(stop, take) resting at the venue: protective orders, or the position's own SL/TP."""
    stop = take = None
    assert isinstance(venue, VenueInventory)
    for o in await venue.open_orders(symbol):
        tail = o.client_order_id.rsplit("-", 1)[-1]
        if tail.startswith("sl") and o.reduce_only:
            stop = o.stop_price
        elif tail.startswith("tp") and o.reduce_only:
            take = o.limit_price
    for p in await venue.positions():
        if p.symbol == symbol:
            stop = p.stop if p.stop is not None else stop
            take = p.take if p.take is not None else take
    return stop, take


async def test_stop_and_take_lifecycle(venue: BrokerAdapter, venue_case: VenueCase) -> None:
    assert isinstance(venue, VenueProtection)
    sym, qty = venue_case.symbol, venue_case.qty
    spec = (await venue.instruments())[sym]
    tick = spec.tick_size
    q = await venue.quote(sym)
    far_stop = _tick_round(q.bid * 0.9, tick)
    far_take = _tick_round(q.ask * 1.1, tick)
    t0 = await venue.server_time()
    entry = await venue.place_order(OrderIntent("pr-1", sym, Side.BUY, qty, strategy="ct",
                                                stop_loss=far_stop, take_profit=far_take))
    assert entry.status is OrderStatus.FILLED
    assert await _protection(venue, sym) == (pytest.approx(far_stop), pytest.approx(far_take))

    # move (trail) the stop up to just under the market
    tight = _tick_round(q.bid - max(5 * tick, q.bid * 0.0005), tick)
    legs = await venue.set_protection(sym, stop=tight)
    moved = legs["sl"].stop_price
    assert moved == pytest.approx(tight, abs=2 * tick)  # a venue may nudge it to its grid
    assert legs["sl"].side is Side.SELL and legs["sl"].reduce_only
    stop, take = await _protection(venue, sym)
    assert stop == pytest.approx(moved) and take == pytest.approx(far_take)

    # the market reaches it: the venue closes the position by itself
    ctl = control(venue)
    for _ in range(MAX_STEPS):
        await ctl.advance(STEP_MS)
        await venue.quote(sym)  # what the brain does each cycle anyway
        if abs(await _position(venue, sym)) < qty * 1e-6:
            break
    else:
        raise AssertionError("the stop never triggered")
    exits = [f for f in await venue.fills_since(t0 - 60_000, sym) if f.side is Side.SELL]
    assert sum(f.qty for f in exits) == pytest.approx(qty)
    for f in exits:  # near the stop: at it, or a little worse (a stop becomes a market order)
        assert moved * 0.995 <= f.price <= moved + 2 * tick, (f.price, moved)
    assert await _protection(venue, sym) == (None, None)  # the take went with the position

    # cancel: protection removed, the position stays
    await venue.place_order(OrderIntent("pr-2", sym, Side.BUY, qty, stop_loss=far_stop,
                                        take_profit=far_take))
    assert (await _protection(venue, sym))[0] == pytest.approx(far_stop)
    canceled = await venue.cancel_protection(sym)
    assert canceled and all(o.status is OrderStatus.CANCELED for o in canceled)
    assert await _protection(venue, sym) == (None, None)
    assert await _position(venue, sym) == pytest.approx(qty)
    await venue.place_order(OrderIntent("pr-3", sym, Side.SELL, qty, reduce_only=True))
    assert await _position(venue, sym) == pytest.approx(0.0, abs=qty * 1e-6)


async def test_exit_leaves_no_protection_behind(venue: BrokerAdapter,
                                                venue_case: VenueCase) -> None:
    sym, qty = venue_case.symbol, venue_case.qty
    tick = (await venue.instruments())[sym].tick_size
    q = await venue.quote(sym)
    await venue.place_order(OrderIntent("px-1", sym, Side.BUY, qty,
                                        stop_loss=_tick_round(q.bid * 0.9, tick)))
    await venue.place_order(OrderIntent("px-2", sym, Side.SELL, qty, reduce_only=True))
    assert await _protection(venue, sym) == (None, None)
    assert not [o for o in await venue.open_orders(sym) if o.reduce_only]


async def test_restart_adopts_open_orders_and_positions(venue: BrokerAdapter,
                                                        venue_case: VenueCase) -> None:
    sym, qty = venue_case.symbol, venue_case.qty
    tick = (await venue.instruments())[sym].tick_size
    q = await venue.quote(sym)
    rest_px = _tick_round(q.bid * venue_case.far_ratio, tick)
    await venue.place_order(OrderIntent("ad-lim", sym, Side.BUY, qty, OrderType.LIMIT,
                                        limit_price=rest_px))
    await venue.place_order(OrderIntent("ad-pos", sym, Side.BUY, qty,
                                        stop_loss=_tick_round(q.bid * 0.9, tick)))
    fresh = control(venue).reopen()
    assert isinstance(fresh, VenueInventory)
    await fresh.connect()
    orders = {o.client_order_id: o for o in await fresh.open_orders(sym)}
    assert "ad-lim" in orders
    lim = orders["ad-lim"]
    assert (lim.status, lim.type, lim.side) == (OrderStatus.NEW, OrderType.LIMIT, Side.BUY)
    assert lim.limit_price == pytest.approx(rest_px) and lim.qty == pytest.approx(qty)
    assert await _position(fresh, sym) == pytest.approx(qty)
    stop, _ = await _protection(fresh, sym)
    assert stop == pytest.approx(_tick_round(q.bid * 0.9, tick))
    # the adopted order is the venue's own: the fresh adapter can cancel it by client id
    assert (await fresh.cancel_order("ad-lim", sym)).status is OrderStatus.CANCELED
    assert "ad-lim" not in {o.client_order_id for o in await venue.open_orders(sym)}
