"""The paper venue's durable state: what a restarted process needs to continue the account.

A paper venue lives in memory, so without this a restart would start the account flat:
cash back at the starting balance, positions and resting orders gone. ``export_state``
turns a ``PaperEngine`` into a JSON-ready document (balance, positions, marks, resting
orders with their fill counters, funding charged so far); ``import_state`` rebuilds an
engine from it. Fills are
not part of the document — they are in the ledger's ``fills`` table — and neither are
finished orders: a restarted engine only has to know what can still move.

The fill rules are untouched; this module only copies the engine's fields.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from ats.domain import OrderIntent, OrderStatus, OrderType, Side, TimeInForce
from broker_adapters.paper_engine import FundingCharge, PaperEngine, _Pos
from broker_adapters.paper_state import OrderRecord

STATE_VERSION = 1


def _intent(d: dict[str, Any]) -> OrderIntent:
    d = dict(d)
    d["side"] = Side(d["side"])
    d["type"] = OrderType(d["type"])
    d["tif"] = TimeInForce(d["tif"])
    return OrderIntent(**d)


def _intent_doc(i: OrderIntent) -> dict[str, Any]:
    d = asdict(i)
    d["side"], d["type"], d["tif"] = i.side.value, i.type.value, i.tif.value
    return d


def export_state(engine: PaperEngine) -> dict[str, Any]:
    """Everything of ``engine`` that a restart must not lose (JSON-ready)."""
    orders = []
    for recs in engine._open.values():
        for rec in recs.values():
            orders.append({
                "intent": _intent_doc(rec.intent), "qty": rec.qty, "ts": rec.ts,
                "venue": rec.venue, "virtual_asset": rec.virtual_asset,
                "status": rec.status.value, "reason": rec.reason, "filled": rec.filled,
                "avg": rec.avg, "triggered": rec.triggered, "nfills": rec.nfills,
            })
    return {
        "version": STATE_VERSION, "venue": engine.venue, "balance": engine.balance,
        "positions": {s: [p.qty, p.entry, p.realized, p.ts, p.strategy]
                      for s, p in engine._pos.items() if p.qty != 0 or p.realized != 0},
        "marks": dict(engine._marks), "open_orders": orders,
        "funding_paid": engine.funding_paid, "funding_ts": dict(engine.funding_ts),
        "funding": [[c.symbol, c.ts, c.qty, c.mark, c.rate, c.payment]
                    for c in engine.funding_events],
    }


def import_state(engine: PaperEngine, doc: dict[str, Any]) -> None:
    """Replace ``engine``'s account with the saved one (refuses another venue's state)."""
    if int(doc.get("version", 0)) != STATE_VERSION:
        raise ValueError(f"paper state version {doc.get('version')!r} is not "
                         f"{STATE_VERSION}; this ATS cannot continue that account")
    if doc.get("venue") != engine.venue:
        raise ValueError(f"the saved paper state is for {doc.get('venue')!r}, "
                         f"not {engine.venue!r}; trade it with the venue it was made on")
    engine.balance = float(doc["balance"])
    engine._pos = {s: _Pos(float(q), float(e), float(r), int(ts), str(st))
                   for s, (q, e, r, ts, st) in doc["positions"].items()}
    engine._marks = {s: float(m) for s, m in doc["marks"].items()}
    # A state saved before funding was charged has none: nothing was paid then.
    engine.funding_paid = float(doc.get("funding_paid", 0.0))
    engine.funding_ts = {s: int(t) for s, t in (doc.get("funding_ts") or {}).items()}
    engine.funding_events = [FundingCharge(str(s), int(t), float(q), float(m), float(r),
                                           float(p))
                             for s, t, q, m, r, p in doc.get("funding") or []]
    engine._open = {}
    for o in doc["open_orders"]:
        rec = OrderRecord(_intent(o["intent"]), float(o["qty"]), int(o["ts"]), o["venue"],
                          o["virtual_asset"], OrderStatus(o["status"]), o["reason"])
        rec.filled, rec.avg = float(o["filled"]), float(o["avg"])
        rec.triggered, rec.nfills = bool(o["triggered"]), int(o["nfills"])
        cid = rec.intent.client_order_id
        engine._orders[cid] = rec
        engine._open.setdefault(rec.intent.symbol, {})[cid] = rec
