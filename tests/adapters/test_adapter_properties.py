"""Property tests: whatever arrives, validated bars are clean and the paper books balance."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ats.domain import Bars, InstrumentSpec, OrderIntent, OrderType, Quote, Side, TimeInForce
from ats.domain.costs import CostModel
from broker_adapters.base import DepthLevel
from broker_adapters.errors import BadBarError, OrderFatalError
from broker_adapters.paper_engine import BookView, PaperEngine
from broker_adapters.validation import validate_bars

H = 3_600_000
FAULTS = [None] * 6 + ["nan", "zero", "inverted", "outside", "negvol", "misaligned"]
row = st.tuples(st.integers(0, 30), st.floats(1, 200), st.floats(0, 5), st.sampled_from(FAULTS))


def _bars(rows: list[tuple]) -> Bars:
    """Mostly sane bars in any order, with duplicates and a sprinkle of every fault."""
    ts, o, h, lo, c, v = [], [], [], [], [], []
    for k, p, w, fault in rows:
        bar = [k * H, p, p + w, p - w / 2, p + w / 3, 10.0]
        if fault == "nan":
            bar[4] = float("nan")
        elif fault == "zero":
            bar[3] = 0.0
        elif fault == "inverted":
            bar[2], bar[3] = bar[3] - 1, bar[2] + 1
        elif fault == "outside":
            bar[1] = bar[2] + 1
        elif fault == "negvol":
            bar[5] = -1.0
        elif fault == "misaligned":
            bar[0] += 7
        for col, x in zip((ts, o, h, lo, c, v), bar, strict=True):
            col.append(x)
    return Bars.from_arrays("P", "1h", np.array(ts, dtype=np.int64), o, h, lo, c, v)


@settings(max_examples=300, deadline=None)
@given(st.lists(row, min_size=1, max_size=40), st.booleans())
def test_validated_bars_are_always_clean(rows: list[tuple], repair: bool) -> None:
    bars = _bars(rows)
    try:
        out, issues = validate_bars(bars, venue="prop", repair=repair)
    except BadBarError as exc:
        assert "P" in str(exc)
        return
    assert len(out) >= 1 and np.all(np.diff(out.ts) > 0) and np.all(out.ts % H == 0)
    for col in (out.open, out.high, out.low, out.close):
        assert np.all(np.isfinite(col)) and np.all(col > 0)
    assert np.all(out.high >= np.maximum(out.open, out.close))
    assert np.all(out.low <= np.minimum(out.open, out.close))
    assert np.all(out.volume >= 0)
    dropped = sum(1 for i in issues if i.action == "dropped")
    assert len(out) + dropped == len(bars), "every row is kept or dropped with a reason"


order = st.tuples(
    st.sampled_from([Side.BUY, Side.SELL]),
    st.integers(1, 400),  # lots of 0.01
    st.sampled_from([OrderType.MARKET, OrderType.LIMIT, OrderType.STOP]),
    st.floats(95, 105),
    st.booleans(),  # reduce-only
    st.booleans(),  # IOC
    st.floats(-3, 3),  # where the market moves next
)


@settings(max_examples=80, deadline=None)
@given(st.lists(order, min_size=1, max_size=30))
def test_paper_books_balance(orders: list[tuple]) -> None:
    spec = InstrumentSpec("X", "p", "crypto_perp", 0.01, 0.01, 0.01)
    e = PaperEngine(venue="p", costs=CostModel(), starting_balance=1e7, specs={"X": spec})
    mid = 100.0
    for i, (side, lots, typ, px, ro, ioc, move) in enumerate(orders):
        q = Quote("X", i, round(mid - 0.05, 2), round(mid + 0.05, 2), 1.0, 1.0)
        book = BookView(q, (DepthLevel(q.bid, 1.0), DepthLevel(q.bid - 0.1, 2.0)),
                        (DepthLevel(q.ask, 1.0), DepthLevel(q.ask + 0.1, 2.0)), 5.0)
        intent = OrderIntent(
            f"o{i}", "X", side, lots / 100, typ,
            limit_price=round(px, 2) if typ is OrderType.LIMIT else None,
            stop_price=round(px, 2) if typ is OrderType.STOP else None, reduce_only=ro,
            tif=TimeInForce.IOC if ioc else TimeInForce.GTC,
        )
        try:
            e.submit(intent, book, i)
        except OrderFatalError:
            pass
        e.on_book("X", book, i)
        mid = max(1.0, mid + move)
    fills = e.fills_since(0)
    signed = sum(f.qty * (1 if f.side is Side.BUY else -1) for f in fills)
    assert e.position_qty("X") == pytest.approx(signed, abs=1e-9)
    for i in range(len(orders)):
        if e.knows(f"o{i}"):
            o = e.order(f"o{i}")
            got = sum(f.qty for f in fills if f.client_order_id == o.client_order_id)
            assert got == pytest.approx(o.filled_qty) and o.filled_qty <= o.qty + 1e-9
    # cash accounting: equity at any mark = start + sells - buys + position * mark - fees
    e.mark("X", mid)
    cash = sum(f.qty * f.price * (1 if f.side is Side.SELL else -1) for f in fills)
    fees = sum(f.fee for f in fills)
    expected = 1e7 + cash + e.position_qty("X") * mid - fees
    assert e.account(0).equity == pytest.approx(expected, rel=1e-9, abs=1e-6)
