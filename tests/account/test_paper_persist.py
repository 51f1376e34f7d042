"""The paper venue's book round-trips through its saved document (resting orders too)."""

from __future__ import annotations

import json

import pytest

from ats.domain import OrderIntent, OrderStatus, OrderType, Quote, Side
from ats.domain.costs import CostModel
from broker_adapters.base import DepthLevel
from broker_adapters.mock.profiles import profile_for
from broker_adapters.paper_engine import BookView, PaperEngine
from broker_adapters.paper_persist import export_state, import_state

SPEC = profile_for("EURUSD").spec("paper:mock")


def _engine() -> PaperEngine:
    return PaperEngine(venue="paper:mock", costs=CostModel(), starting_balance=10_000.0,
                       specs={"EURUSD": SPEC})


def _book(bid: float, ask: float, size: float) -> BookView:
    q = Quote("EURUSD", bid, ask, size, size, 1)
    return BookView(q, (DepthLevel(bid, size),), (DepthLevel(ask, size),))


def test_a_restored_engine_continues_positions_and_resting_orders() -> None:
    a = _engine()
    step = SPEC.lot_step * 10  # 0.1 lot: within the margin of 10,000
    a.submit(OrderIntent("o1", "EURUSD", Side.BUY, step * 3), _book(1.1, 1.1001, step), 1)
    assert a.order("o1").status is OrderStatus.PARTIAL  # a GTC remainder rests
    a.submit(OrderIntent("o2", "EURUSD", Side.SELL, step, OrderType.LIMIT, limit_price=1.2),
             _book(1.1, 1.1001, step), 2)
    doc = json.loads(json.dumps(export_state(a)))
    b = _engine()
    import_state(b, doc)
    assert b.balance == a.balance and b.position_qty("EURUSD") == a.position_qty("EURUSD")
    assert b.order("o1").filled_qty == a.order("o1").filled_qty
    assert sorted(b.open_symbols()) == ["EURUSD"]
    # both continue identically: the remainder fills with the next fill number
    for e in (a, b):
        e.on_book("EURUSD", _book(1.1, 1.1002, step * 10), 3)
    assert [f.fill_id for f in b.fills_since(3)] == [f.fill_id for f in a.fills_since(3)]
    assert b.fills_since(3)[0].fill_id == "o1-f2"
    assert b.balance == pytest.approx(a.balance)


def test_another_venues_state_is_refused() -> None:
    doc = export_state(_engine())
    doc["venue"] = "paper:bingx"
    with pytest.raises(ValueError, match="paper:bingx"):
        import_state(_engine(), doc)
