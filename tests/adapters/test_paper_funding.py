"""Funding in the paper engine: longs pay a positive rate, shorts receive it, flat symbols
and non-perpetuals pay nothing, a settlement is charged once, and it survives a restart."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from ats.domain import InstrumentSpec, OrderIntent, Side
from ats.domain.clock import FixedClock
from ats.domain.costs import CostModel
from broker_adapters.mock import MockMarket, parse_start
from broker_adapters.mock.funding import FUNDING_MS
from broker_adapters.paper_engine import PaperEngine
from broker_adapters.paper_persist import export_state, import_state
from tests.adapters.test_paper_engine import COSTS, SPEC, T, book, intent

PERP = replace(SPEC, symbol="X", has_funding=True)
SPOT = InstrumentSpec("S", "t", "crypto_spot", 0.1, 0.01, 0.01)


def engine() -> PaperEngine:
    return PaperEngine(venue="t", costs=COSTS, starting_balance=1_000_000.0,
                       specs={"X": PERP, "S": SPOT})


def test_long_pays_a_positive_rate_short_receives_it() -> None:
    for side, sign in ((Side.BUY, 1.0), (Side.SELL, -1.0)):
        e = engine()
        e.submit(intent("a", side, 1.0), book(size=5.0), T)
        e.mark("X", 100.0)
        before = e.balance
        charge = e.settle_funding("X", T + 8 * 3_600_000, 0.001)
        assert charge is not None
        want = CostModel.funding_payment(sign * 1.0 * 100.0, 0.001)
        assert want == pytest.approx(sign * 0.1)
        assert charge.payment == pytest.approx(want)
        assert e.balance == pytest.approx(before - want)
        assert e.funding_paid == pytest.approx(want)
        # the same settlement reported again is not charged twice
        assert e.settle_funding("X", T + 8 * 3_600_000, 0.001) is None
        assert e.balance == pytest.approx(before - want)


def test_no_charge_when_flat_for_non_perpetuals_or_settlements_before_the_open() -> None:
    e = engine()
    assert e.settle_funding("X", T + 1, 0.001) is None  # flat
    e.submit(intent("a", Side.BUY, 1.0), book(size=5.0), T + 10)
    assert e.settle_funding("X", T + 5, 0.001) is None  # settled before the position opened
    e.submit(OrderIntent("s", "S", Side.BUY, 1.0), book(size=5.0), T + 10)
    assert e.position_qty("S") == pytest.approx(1.0)
    assert e.settle_funding("S", T + 100, 0.01) is None  # spot: no funding
    assert e.funding_paid == 0.0 and e.funding_events == []


def test_closed_and_reopened_position_is_not_charged_for_the_flat_period() -> None:
    e = engine()
    e.submit(intent("a", Side.BUY, 1.0), book(size=5.0), T)
    e.submit(intent("b", Side.SELL, 1.0), book(size=5.0), T + 100)
    e.submit(intent("c", Side.BUY, 1.0), book(size=5.0), T + 1_000)
    assert e.funding_cursor("X") == T + 1_000
    assert e.settle_funding("X", T + 500, 0.001) is None


def test_funding_paid_survives_a_restart() -> None:
    e = engine()
    e.submit(intent("a", Side.BUY, 2.0), book(size=5.0), T)
    e.mark("X", 100.0)
    e.settle_funding("X", T + 8 * 3_600_000, 0.0005)
    doc = export_state(e)
    r = engine()
    import_state(r, doc)
    assert r.balance == e.balance and r.funding_paid == pytest.approx(0.1)
    assert r.funding_events == e.funding_events
    assert r.settle_funding("X", T + 8 * 3_600_000, 0.0005) is None  # not charged again
    assert r.funding_cursor("X") == T + 8 * 3_600_000


def test_mock_market_charges_its_funding_model_on_perps_only() -> None:
    """The mock market's paper account pays the settlements of its own funding model
    (8-hourly) on a perpetual, and nothing on an FX position held as long."""
    async def go() -> tuple[MockMarket, float, int, int]:
        t0 = parse_start("2026-01-05T00:00:00Z") + 9 * 3_600_000  # 01:00 after a settlement
        clock = FixedClock(t0)
        m = MockMarket(clock=clock)
        await m.place_order(OrderIntent("btc", "BTC/USDT:USDT", Side.BUY, 0.01))
        await m.place_order(OrderIntent("eur", "EURUSD", Side.BUY, 0.1))
        before = m.engine.balance
        clock.advance(24 * 3_600_000)
        await m.account()
        return m, before, t0, clock.now_ms()

    m, before, t0, t1 = asyncio.run(go())
    events = m.engine.funding_events
    want = m.funding.history("BTC/USDT:USDT", t0 + 1, t1, 100)
    assert len(want) == 3 and [(c.ts, c.rate) for c in events] == want
    assert all(c.symbol == "BTC/USDT:USDT" and c.qty == pytest.approx(0.01) for c in events)
    assert all(c.ts % FUNDING_MS == 0 for c in events)
    paid = sum(CostModel.funding_payment(c.qty * c.mark * m.engine._value(c.symbol), c.rate)
               for c in events)
    assert m.engine.funding_paid == pytest.approx(paid) and paid != 0.0
    assert m.engine.balance == pytest.approx(before - paid)
