"""Paper fill engine: every order type, partial fills, idempotency, reduce-only, fees, states."""

from __future__ import annotations

import pytest

from ats.domain import (
    InstrumentSpec,
    OrderIntent,
    OrderStatus,
    OrderType,
    Quote,
    Side,
    TimeInForce,
)
from ats.domain.costs import CostModel
from broker_adapters.base import DepthLevel
from broker_adapters.errors import BadSymbolError, InsufficientFundsError, InvalidOrderError
from broker_adapters.paper_engine import (
    TRANSITIONS,
    BookView,
    IllegalTransition,
    PaperEngine,
    check_transition,
)

COSTS = CostModel(maker_fee=0.0002, taker_fee=0.0005, slippage_bps_base=1.0,
                  depth_impact_bps=10.0, vol_impact=0.1)
SPEC = InstrumentSpec("X", "t", "crypto_perp", 0.1, 0.01, 0.01)
T = 1_000_000


def book(bid: float = 100.0, ask: float = 100.1, size: float = 1.0, rng: float = 20.0,
         depth: bool = True) -> BookView:
    q = Quote("X", T, bid, ask, size, size)
    if not depth:
        return BookView(q, (), (), rng)
    bids = (DepthLevel(bid, size), DepthLevel(round(bid - 0.1, 1), 2 * size))
    asks = (DepthLevel(ask, size), DepthLevel(round(ask + 0.1, 1), 2 * size))
    return BookView(q, bids, asks, rng)


def engine(balance: float = 1_000_000.0, va: str | None = None) -> PaperEngine:
    return PaperEngine(venue="t", costs=COSTS, starting_balance=balance, specs={"X": SPEC},
                       virtual_asset=va)


def intent(cid: str, side: Side, qty: float, **kw) -> OrderIntent:  # type: ignore[no-untyped-def]
    return OrderIntent(cid, "X", side, qty, **kw)


def test_market_buy_pays_ask_plus_slippage_and_taker_fee() -> None:
    e = engine()
    o = e.submit(intent("a", Side.BUY, 1.5), book(), T)
    slip = 1.0 + 10.0 * 1.5 / 3.0 + 0.1 * 20.0
    price = 100.1 * (1 + slip / 1e4)
    assert o.status is OrderStatus.FILLED and o.filled_qty == pytest.approx(1.5)
    assert o.avg_price == pytest.approx(price)
    (fill,) = e.fills_since(0)
    assert fill.liquidity == "taker" and fill.fee == pytest.approx(1.5 * price * 0.0005)
    assert e.balance == pytest.approx(1_000_000.0 - fill.fee)
    assert e.position_qty("X") == pytest.approx(1.5)


def test_market_sell_hits_bid_minus_slippage() -> None:
    e = engine()
    o = e.submit(intent("s", Side.SELL, 1.0), book(), T)
    slip = 1.0 + 10.0 / 3.0 + 2.0
    assert o.avg_price == pytest.approx(100.0 * (1 - slip / 1e4))
    assert e.position_qty("X") == pytest.approx(-1.0)


def test_size_above_depth_ioc_remainder_canceled() -> None:
    e = engine()
    o = e.submit(intent("i", Side.BUY, 5.0, tif=TimeInForce.IOC), book(), T)
    assert o.status is OrderStatus.CANCELED and "IOC" in o.reason
    assert o.filled_qty == pytest.approx(3.0)
    assert e.open_symbols() == []


def test_size_above_depth_gtc_remainder_rests_then_fills() -> None:
    e = engine()
    o = e.submit(intent("g", Side.BUY, 5.0), book(), T)
    assert o.status is OrderStatus.PARTIAL and o.filled_qty == pytest.approx(3.0)
    assert e.open_symbols() == ["X"]
    moved = e.on_book("X", book(ask=100.3), T + 1)
    assert moved[0].status is OrderStatus.FILLED and moved[0].filled_qty == pytest.approx(5.0)
    assert len(e.fills_since(0)) == 2 and e.open_symbols() == []


def test_no_depth_known_fills_in_full_with_full_impact() -> None:
    e = engine()
    o = e.submit(intent("n", Side.BUY, 50.0), book(size=0.0, depth=False), T)
    assert o.status is OrderStatus.FILLED
    assert o.avg_price == pytest.approx(100.1 * (1 + (1 + 10 + 2) / 1e4))


def test_quote_sizes_act_as_depth_when_no_book() -> None:
    e = engine()
    o = e.submit(intent("q", Side.BUY, 2.0, tif=TimeInForce.IOC), book(depth=False), T)
    assert o.filled_qty == pytest.approx(1.0) and o.status is OrderStatus.CANCELED


def test_marketable_limit_capped_at_limit_and_by_depth_within_limit() -> None:
    e = engine()
    o = e.submit(intent("l", Side.BUY, 2.0, type=OrderType.LIMIT, limit_price=100.15), book(), T)
    assert o.status is OrderStatus.PARTIAL and o.filled_qty == pytest.approx(1.0)
    assert o.avg_price == pytest.approx(100.15)  # slipped price would be worse: capped
    assert e.fills_since(0)[0].liquidity == "taker"


def test_resting_limit_fills_at_limit_as_maker_when_crossed() -> None:
    e = engine()
    o = e.submit(intent("r", Side.BUY, 1.0, type=OrderType.LIMIT, limit_price=99.5), book(), T)
    assert o.status is OrderStatus.NEW
    assert e.on_book("X", book(bid=99.6, ask=99.7), T + 1) == []
    (moved,) = e.on_book("X", book(bid=99.3, ask=99.4), T + 2)
    assert moved.status is OrderStatus.FILLED and moved.avg_price == 99.5
    fill = e.fills_since(0)[0]
    assert fill.liquidity == "maker" and fill.fee == pytest.approx(99.5 * 0.0002)
    assert fill.ts == T + 2


def test_resting_sell_limit() -> None:
    e = engine()
    e.submit(intent("r", Side.SELL, 1.0, type=OrderType.LIMIT, limit_price=101.0), book(), T)
    (moved,) = e.on_book("X", book(bid=101.2, ask=101.3), T + 1)
    assert moved.avg_price == 101.0 and e.position_qty("X") == pytest.approx(-1.0)


def test_buy_stop_triggers_on_ask_and_executes_as_market() -> None:
    e = engine()
    o = e.submit(intent("st", Side.BUY, 1.0, type=OrderType.STOP, stop_price=101.0), book(), T)
    assert o.status is OrderStatus.NEW
    assert e.on_book("X", book(bid=100.8, ask=100.9), T + 1) == []
    (moved,) = e.on_book("X", book(bid=101.1, ask=101.2), T + 2)
    slip = 1.0 + 10.0 / 3.0 + 2.0
    assert moved.status is OrderStatus.FILLED
    assert moved.avg_price == pytest.approx(101.2 * (1 + slip / 1e4))
    assert e.fills_since(0)[0].liquidity == "taker"


def test_sell_stop_triggers_on_bid_and_immediately_when_already_through() -> None:
    e = engine()
    e.submit(intent("ss", Side.SELL, 1.0, type=OrderType.STOP, stop_price=99.0), book(), T)
    assert e.on_book("X", book(bid=99.1, ask=99.2), T + 1) == []
    assert e.on_book("X", book(bid=99.0, ask=99.1), T + 2)[0].status is OrderStatus.FILLED
    now = e.submit(intent("s2", Side.SELL, 1.0, type=OrderType.STOP, stop_price=100.5), book(), T)
    assert now.status is OrderStatus.FILLED


def test_reduce_only_refused_when_it_would_increase_exposure() -> None:
    e = engine()
    with pytest.raises(InvalidOrderError, match="reduce-only"):
        e.submit(intent("r1", Side.SELL, 1.0, reduce_only=True), book(), T)
    e.submit(intent("b", Side.BUY, 1.0), book(), T)
    with pytest.raises(InvalidOrderError, match="increase exposure"):
        e.submit(intent("r2", Side.BUY, 1.0, reduce_only=True), book(), T)
    assert e.order("r2").status is OrderStatus.REJECTED and "reduce-only" in e.order("r2").reason


def test_reduce_only_capped_at_position_then_canceled() -> None:
    e = engine()
    e.submit(intent("b", Side.BUY, 1.0), book(), T)
    o = e.submit(intent("r", Side.SELL, 2.0, reduce_only=True), book(), T)
    assert o.status is OrderStatus.PARTIAL and o.filled_qty == pytest.approx(1.0)
    assert e.position_qty("X") == pytest.approx(0.0)
    (moved,) = e.on_book("X", book(), T + 1)
    assert moved.status is OrderStatus.CANCELED and "no opposite position" in moved.reason


def test_resting_reduce_only_rejected_when_position_gone() -> None:
    e = engine()
    e.submit(intent("b", Side.BUY, 1.0), book(), T)
    e.submit(intent("tp", Side.SELL, 1.0, type=OrderType.LIMIT, limit_price=105.0,
                    reduce_only=True), book(), T)
    e.submit(intent("c", Side.SELL, 1.0), book(), T)  # closed by hand meanwhile
    (moved,) = e.on_book("X", book(bid=105.5, ask=105.6), T + 1)
    assert moved.status is OrderStatus.REJECTED and moved.filled_qty == 0


def test_same_client_id_returns_existing_order_and_never_fills_twice() -> None:
    e = engine()
    first = e.submit(intent("dup", Side.BUY, 1.0), book(), T)
    second = e.submit(intent("dup", Side.BUY, 1.0), book(ask=90.0), T + 5)
    assert second is first
    assert len(e.fills_since(0)) == 1 and e.position_qty("X") == pytest.approx(1.0)


def test_rejected_client_id_repeats_the_refusal() -> None:
    e = engine()
    with pytest.raises(InvalidOrderError) as first:
        e.submit(intent("z", Side.BUY, 0.0), book(), T)
    with pytest.raises(InvalidOrderError) as again:
        e.submit(intent("z", Side.BUY, 1.0), book(), T)
    assert again.value is first.value and e.fills_since(0) == []


@pytest.mark.parametrize(
    ("bad", "exc", "text"),
    [
        (OrderIntent("b1", "Y", Side.BUY, 1.0), BadSymbolError, "unknown symbol"),
        (OrderIntent("b2", "X", Side.BUY, -1.0), InvalidOrderError, "> 0"),
        (OrderIntent("b3", "X", Side.BUY, 0.015), InvalidOrderError, "lot step"),
        (OrderIntent("b4", "X", Side.BUY, 0.001), InvalidOrderError, "lot step"),
        (OrderIntent("b5", "X", Side.BUY, 1.0, OrderType.LIMIT), InvalidOrderError, "limit_price"),
        (OrderIntent("b6", "X", Side.BUY, 1.0, OrderType.STOP), InvalidOrderError, "stop_price"),
    ],
)
def test_invalid_orders_are_refused_with_reason(bad: OrderIntent, exc: type, text: str) -> None:
    e = engine()
    with pytest.raises(exc, match=text):
        e.submit(bad, book(), T)
    assert e.order(bad.client_order_id).status is OrderStatus.REJECTED


def test_insufficient_margin_refused_but_reducing_allowed() -> None:
    e = engine(balance=1_000.0)  # leverage 10: ~10k notional
    with pytest.raises(InsufficientFundsError, match="margin"):
        e.submit(intent("big", Side.BUY, 200.0), book(size=500.0), T)
    e.submit(intent("ok", Side.BUY, 50.0), book(size=500.0), T)
    with pytest.raises(InsufficientFundsError):  # flipping to short 110 needs new margin
        e.submit(intent("flip", Side.SELL, 160.0), book(size=500.0), T)
    e.submit(intent("out", Side.SELL, 50.0), book(size=500.0), T)
    assert e.position_qty("X") == pytest.approx(0.0)


def test_round_trip_pnl_fees_and_flip() -> None:
    e = engine(balance=10_000.0)
    buy = e.submit(intent("b", Side.BUY, 1.0), book(size=10.0), T)
    sell = e.submit(intent("s", Side.SELL, 3.0), book(bid=110.0, ask=110.1, size=10.0), T + 1)
    fees = sum(f.fee for f in e.fills_since(0))
    realized = sell.avg_price - buy.avg_price
    assert e.balance == pytest.approx(10_000.0 + realized - fees)
    (pos,) = e.positions(T + 1)
    assert pos.qty == pytest.approx(-2.0) and pos.entry_price == pytest.approx(sell.avg_price)
    assert pos.realized_pnl == pytest.approx(realized)
    e.mark("X", 100.0)
    acc = e.account(T + 2)
    upnl = (100.0 - sell.avg_price) * -2.0
    assert acc.equity == pytest.approx(e.balance + upnl)
    assert acc.margin_used == pytest.approx(2.0 * 100.0 / 10.0)
    assert acc.free_margin == pytest.approx(acc.equity - acc.margin_used)


def test_averaging_into_a_position() -> None:
    e = engine()
    a = e.submit(intent("a", Side.BUY, 1.0), book(), T)
    b = e.submit(intent("b", Side.BUY, 1.0), book(bid=110.0, ask=110.1), T)
    (pos,) = e.positions(T)
    assert pos.entry_price == pytest.approx((a.avg_price + b.avg_price) / 2)


def test_virtual_asset_tags_everything() -> None:
    e = engine(va="VST")
    o = e.submit(intent("v", Side.BUY, 1.0), book(), T)
    assert o.virtual_asset == "VST"
    assert e.fills_since(0)[0].virtual_asset == "VST"
    assert e.positions(T)[0].virtual_asset == "VST"
    assert e.account(T).virtual_asset == "VST"
    assert engine().account(T).virtual_asset is None


def test_market_order_without_book_rests_until_one_arrives() -> None:
    e = engine()
    o = e.submit(intent("w", Side.BUY, 1.0), None, T)
    assert o.status is OrderStatus.NEW
    assert e.on_book("X", book(), T + 1)[0].status is OrderStatus.FILLED


def test_cancel_is_terminal_and_idempotent() -> None:
    e = engine()
    e.submit(intent("c", Side.BUY, 1.0, type=OrderType.LIMIT, limit_price=90.0), book(), T)
    assert e.cancel("c", T).status is OrderStatus.CANCELED
    assert e.cancel("c", T).status is OrderStatus.CANCELED
    assert e.on_book("X", book(bid=80.0, ask=80.1), T) == []
    with pytest.raises(InvalidOrderError, match="unknown client order id"):
        e.cancel("nope", T)


def test_state_machine_has_no_exit_from_terminal_states() -> None:
    for status in (OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED):
        assert TRANSITIONS[status] == frozenset()
    e = engine()
    filled = e.submit(intent("f", Side.BUY, 1.0), book(), T)
    with pytest.raises(IllegalTransition, match="filled -> canceled"):
        check_transition("f", filled.status, OrderStatus.CANCELED)


def test_fills_since_filters_by_time_and_symbol() -> None:
    e = PaperEngine(venue="t", costs=COSTS, starting_balance=1e6,
                    specs={"X": SPEC, "Y": InstrumentSpec("Y", "t", "fx", 0.1, 0.01, 0.01)})
    e.submit(intent("1", Side.BUY, 1.0), book(), T)
    e.submit(OrderIntent("2", "Y", Side.BUY, 1.0), book(), T + 10)
    e.submit(intent("3", Side.SELL, 1.0), book(), T + 20)
    assert [f.client_order_id for f in e.fills_since(T + 10)] == ["2", "3"]
    assert [f.client_order_id for f in e.fills_since(0, "X")] == ["1", "3"]


def test_starting_balance_must_be_positive() -> None:
    with pytest.raises(ValueError):
        engine(balance=0.0)
