"""Fills lost or duplicated, and the committed state, read straight from the database.

Used by the crash trials and the fault soak (and their tests): after a ``kill -9`` the
database must hold exactly the last committed cycle — every fill an order claims is there
once, the positions are the net of the fills, and the paper venue's saved book says the
same.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import apsw


@dataclass(slots=True)
class LedgerState:
    cycle_ts: int | None
    balance: float | None
    positions: dict[str, float]
    resting_orders: int
    fills: int
    lost: int  # fills an order claims that the fills table does not have
    duplicated: int  # one execution stored under two fill ids
    problems: list[str] = field(default_factory=list)


def _rows(conn: apsw.Connection, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in conn.execute(sql, args)]


def read_state(db: Path | str, account: str = "paper") -> LedgerState:
    """The committed state of ``account`` (read-only; safe beside a running brain)."""
    conn = apsw.Connection(str(db), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        def state(key: str) -> dict[str, Any] | None:
            got = _rows(conn, "SELECT state FROM account_state WHERE account = ? AND key = ?",
                        (account, key))
            return json.loads(got[0][0]) if got else None

        venue = state("paper_venue") or {}
        clock = state("clock") or {}
        fills = _rows(conn, "SELECT fill_id, client_order_id, symbol, side, qty, price, ts "
                            "FROM fills WHERE account = ?", (account,))
        orders = _rows(conn, "SELECT client_order_id, filled_qty FROM orders WHERE "
                             "account = ?", (account,))
        book = {s: q for s, q in _rows(conn, "SELECT symbol, qty FROM positions WHERE "
                                             "account = ?", (account,))}
    finally:
        conn.close()
    per_order: dict[str, float] = defaultdict(float)
    net: dict[str, float] = defaultdict(float)
    seen: dict[tuple[Any, ...], str] = {}
    duplicated = 0
    for fid, cid, sym, side, qty, price, ts in fills:
        per_order[cid] += qty
        net[sym] += qty if side == "buy" else -qty
        key = (cid, sym, side, qty, price, ts)
        if key in seen and seen[key] != fid:
            duplicated += 1
        seen[key] = fid
    lost = 0
    problems: list[str] = []
    for cid, filled in orders:
        have = per_order.get(cid, 0.0)
        if filled - have > 1e-9 * max(1.0, filled):
            lost += 1
            problems.append(f"order {cid} filled {filled:g}, fills hold {have:g}")
        elif have - filled > 1e-9 * max(1.0, filled):
            duplicated += 1
            problems.append(f"order {cid} filled {filled:g}, fills hold {have:g} (extra)")
    vpos = {s: float(p[0]) for s, p in (venue.get("positions") or {}).items()
            if abs(float(p[0])) > 1e-12}
    for sym in sorted(set(net) | set(book) | set(vpos)):
        n = net.get(sym, 0.0)
        if abs(book.get(sym, 0.0) - n) > 1e-9 * max(1.0, abs(n)):
            problems.append(f"{sym}: positions table {book.get(sym, 0.0):g} != fills {n:g}")
        if venue and abs(vpos.get(sym, 0.0) - n) > 1e-9 * max(1.0, abs(n)):
            problems.append(f"{sym}: paper venue {vpos.get(sym, 0.0):g} != fills {n:g}")
    return LedgerState(
        cycle_ts=clock.get("cycle_ts"), balance=venue.get("balance"), positions=vpos,
        resting_orders=len(venue.get("open_orders") or []), fills=len(fills), lost=lost,
        duplicated=duplicated, problems=problems)


def restored_record(db: Path | str, run_id: str) -> dict[str, Any] | None:
    """The "account restored" journal record a run wrote on start (None if it did not)."""
    conn = apsw.Connection(str(db), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        got = _rows(conn, "SELECT doc FROM journal WHERE run_id = ? AND kind = 'account' "
                          "AND text LIKE '%restored%' ORDER BY id LIMIT 1", (run_id,))
        first = _rows(conn, "SELECT min(ts) FROM journal WHERE run_id = ? AND kind = 'cycle'",
                      (run_id,))
    finally:
        conn.close()
    if not got:
        return None
    doc = json.loads(got[0][0])
    out = dict(doc.get("payload", doc))
    out["first_cycle_ts"] = first[0][0] if first else None
    return out
