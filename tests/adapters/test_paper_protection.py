"""Protective stops and takes rest in the paper engine and fill intrabar.

Before: the engine ignored ``stop_loss``/``take_profit``; the brain checked them once per bar
close and exited at the close. Now an entry leaves resting reduce-only legs that fill where
the bar touched them (or at the open of a bar that gapped through them).
"""

from __future__ import annotations

import pytest

from ats.domain import InstrumentSpec, OrderIntent, OrderStatus, OrderType, Quote, Side
from ats.domain.costs import CostModel
from broker_adapters.errors import InvalidOrderError
from broker_adapters.paper_engine import BookView, PaperEngine

COSTS = CostModel(maker_fee=0.0002, taker_fee=0.0005, slippage_bps_base=0.0,
                  depth_impact_bps=0.0, vol_impact=0.0)
SPEC = InstrumentSpec("X", "t", "crypto_perp", 0.1, 0.01, 0.01)
T = 1_000_000


def book(bid: float = 100.0, ask: float = 100.0) -> BookView:
    return BookView(Quote("X", T, bid, ask, 50.0, 50.0))


def long_with(stop: float | None = 95.0, take: float | None = 110.0,
              qty: float = 2.0) -> PaperEngine:
    e = PaperEngine(venue="t", costs=COSTS, starting_balance=1_000_000.0, specs={"X": SPEC})
    e.submit(OrderIntent("e1", "X", Side.BUY, qty, stop_loss=stop, take_profit=take,
                         strategy="s"), book(), T)
    return e


def test_entry_leaves_resting_stop_and_take_sized_to_the_position() -> None:
    e = long_with()
    prot = e.protection("X")
    assert set(prot) == {"sl", "tp"}
    sl, tp = prot["sl"], prot["tp"]
    assert (sl.client_order_id, sl.type, sl.side, sl.stop_price) == (
        "e1-sl", OrderType.STOP, Side.SELL, 95.0)
    assert (tp.client_order_id, tp.type, tp.limit_price) == ("e1-tp", OrderType.LIMIT, 110.0)
    assert sl.reduce_only and tp.reduce_only and sl.qty == tp.qty == pytest.approx(2.0)
    assert {o.client_order_id for o in e.open_orders()} == {"e1-sl", "e1-tp"}


def test_stop_fills_at_the_stop_price_when_the_bar_low_touches_it() -> None:
    e = long_with()
    moved = e.on_bar("X", 99.0, 100.5, 94.0, 99.5, T + 60_000)
    assert [o.client_order_id for o in moved] == ["e1-sl"]
    fill = e.fills_since(T + 1)[-1]
    assert fill.price == 95.0 and fill.side is Side.SELL and fill.ts == T + 60_000
    assert fill.liquidity == "taker" and fill.strategy == "s"
    assert e.position_qty("X") == 0.0
    assert e.order("e1-tp").status is OrderStatus.CANCELED  # one cancels the other
    assert e.open_orders() == []


def test_a_bar_that_opens_through_the_stop_fills_at_its_open() -> None:
    e = long_with()
    e.on_bar("X", 93.0, 96.0, 92.0, 94.0, T + 60_000)
    assert e.fills_since(T + 1)[-1].price == 93.0


def test_take_fills_at_its_price_as_maker() -> None:
    e = long_with()
    e.on_bar("X", 101.0, 111.0, 100.0, 105.0, T + 60_000)
    fill = e.fills_since(T + 1)[-1]
    assert (fill.price, fill.liquidity) == (110.0, "maker")
    assert e.order("e1-sl").status is OrderStatus.CANCELED


def test_bar_touching_both_assumes_the_stop_first() -> None:
    e = long_with()
    e.on_bar("X", 100.0, 111.0, 94.0, 100.0, T + 60_000)
    fills = e.fills_since(T + 1)
    assert [f.price for f in fills] == [95.0]
    assert e.order("e1-tp").status is OrderStatus.CANCELED


def test_bar_inside_the_band_fills_nothing() -> None:
    e = long_with()
    assert e.on_bar("X", 100.0, 109.9, 95.1, 101.0, T + 60_000) == []
    assert e.position_qty("X") == pytest.approx(2.0)


def test_short_protection_mirrors() -> None:
    e = PaperEngine(venue="t", costs=COSTS, starting_balance=1_000_000.0, specs={"X": SPEC})
    e.submit(OrderIntent("s1", "X", Side.SELL, 1.0, stop_loss=105.0, take_profit=90.0),
             book(), T)
    e.on_bar("X", 101.0, 106.0, 99.0, 104.0, T + 60_000)
    assert e.fills_since(T + 1)[-1].price == 105.0 and e.position_qty("X") == 0.0


def test_moving_the_stop_trails_it() -> None:
    e = long_with()
    e.protect("X", T + 1, stop=99.0)
    assert e.protection("X")["sl"].stop_price == 99.0
    assert e.protection("X")["tp"].limit_price == 110.0  # None keeps the leg
    e.on_bar("X", 100.0, 100.5, 98.5, 99.0, T + 60_000)
    assert e.fills_since(T + 1)[-1].price == 99.0


def test_exit_by_market_cancels_both_legs() -> None:
    e = long_with()
    e.submit(OrderIntent("x1", "X", Side.SELL, 2.0, reduce_only=True), book(), T + 5)
    assert e.position_qty("X") == 0.0 and e.open_orders() == []
    assert e.order("e1-sl").reason == "position closed"


def test_partial_exit_resizes_the_legs() -> None:
    e = long_with()
    e.submit(OrderIntent("x1", "X", Side.SELL, 0.5, reduce_only=True), book(), T + 5)
    assert e.protection("X")["sl"].qty == pytest.approx(1.5)


def test_cancel_protection_and_protect_without_position() -> None:
    e = long_with()
    assert len(e.cancel_protection("X", T + 1)) == 2 and e.protection("X") == {}
    e.on_bar("X", 90.0, 120.0, 80.0, 100.0, T + 60_000)
    assert e.position_qty("X") == pytest.approx(2.0)
    e2 = PaperEngine(venue="t", costs=COSTS, starting_balance=1e6, specs={"X": SPEC})
    with pytest.raises(InvalidOrderError, match="no open position"):
        e2.protect("X", T, stop=1.0)


def test_resting_entry_stop_order_fills_intrabar_too() -> None:
    e = PaperEngine(venue="t", costs=COSTS, starting_balance=1_000_000.0, specs={"X": SPEC})
    e.submit(OrderIntent("b", "X", Side.BUY, 1.0, type=OrderType.STOP, stop_price=102.0),
             book(), T)
    e.on_bar("X", 100.0, 103.0, 99.0, 100.5, T + 60_000)
    assert e.order("b").avg_price == 102.0


# ---------------------------------------------------------------- through the adapters
async def test_paper_broker_replays_the_venues_1m_bars_against_resting_stops() -> None:
    from ats.domain import FixedClock
    from broker_adapters.mock import MockMarket, parse_start
    from broker_adapters.paper import PaperBroker

    now = parse_start("2026-01-12T08:00:30Z")
    clock = FixedClock(now)
    venue = MockMarket(clock=clock, seed=3)
    pb = PaperBroker(venue, costs=COSTS, clock=clock, starting_balance=1e6)
    sym = "BTC/USDT:USDT"
    q = await venue.quote(sym)
    future = await _future_bars(venue, clock, sym, 30)
    stop = float(min(future.low)) + 0.1  # touched at least once in the next 30 minutes
    await pb.place_order(OrderIntent("e", sym, Side.BUY, 0.01, stop_loss=stop))
    assert stop < q.bid and set(pb.engine.protection(sym)) == {"sl"}
    assert [o.client_order_id for o in await pb.open_orders()] == ["e-sl"]
    clock.advance(30 * 60_000)
    moved = await pb.process_pending()
    assert [o.client_order_id for o in moved] == ["e-sl"]
    fill = (await pb.fills_since(now + 1))[-1]
    hit = next(i for i in range(len(future)) if future.low[i] <= stop)
    assert fill.price == pytest.approx(min(stop, float(future.open[hit])))
    assert fill.ts == int(future.ts[hit]) + 60_000


async def test_mock_market_own_engine_fills_stops_intrabar_and_moves_them() -> None:
    from ats.domain import FixedClock
    from broker_adapters.mock import MockMarket, parse_start

    now = parse_start("2026-01-12T08:00:30Z")
    clock = FixedClock(now)
    m = MockMarket(clock=clock, seed=3)
    sym = "BTC/USDT:USDT"
    future = await _future_bars(m, clock, sym, 30)
    stop = float(min(future.low)) + 0.1
    await m.place_order(OrderIntent("e", sym, Side.BUY, 0.01, stop_loss=stop - 500.0))
    prot = await m.set_protection(sym, stop=stop)  # trailed up to the touched level
    assert prot["sl"].stop_price == stop
    clock.advance(30 * 60_000)
    await m.process_pending()
    hit = next(i for i in range(len(future)) if future.low[i] <= stop)
    fill = (await m.fills_since(now + 1))[-1]
    assert fill.client_order_id == "e-sl"
    assert fill.price == pytest.approx(min(stop, float(future.open[hit])))


async def test_mock_gap_opens_through_the_stop_and_fills_at_the_open() -> None:
    from ats.domain import FixedClock
    from broker_adapters.mock import MockMarket, Scenario, parse_start

    now = parse_start("2026-01-12T08:00:30Z")
    sym = "BTC/USDT:USDT"
    gap_at = now + 5 * 60_000
    clock = FixedClock(now)
    m = MockMarket(clock=clock, seed=3, symbols=(sym,),
                   scenario=Scenario(start_ms=now, gaps={sym: ((gap_at, -0.05),)}))
    q = await m.quote(sym)
    await m.place_order(OrderIntent("e", sym, Side.BUY, 0.01, stop_loss=q.bid * 0.98))
    clock.advance(10 * 60_000)
    await m.process_pending()
    fill = (await m.fills_since(now + 1))[-1]
    bars = await m.history(sym, "1m", gap_at - gap_at % 60_000, 1)
    assert fill.client_order_id == "e-sl" and fill.price == float(bars.open[0])
    assert fill.price < q.bid * 0.98 * 0.99  # the gap, not the stop level


async def _future_bars(venue, clock, sym: str, n: int):  # type: ignore[no-untyped-def]
    """The ``n`` 1m bars that will close after now (the mock is a function of time)."""
    saved = clock.now_ms()
    clock.advance(n * 60_000)
    bars = await venue.latest_bars(sym, "1m", n)
    clock.set(saved)
    return bars
