"""``ats doctor``: the account's ledger next to what its venue holds, and explicit fixes.

For a paper account the venue is the saved paper book (durable, in the same database);
the comparison is per symbol: the ledger's ``positions`` rows, the paper venue's position
and the net of the account's fills. ``adopt`` makes the ledger say what the venue holds;
``flatten`` closes what the venue holds at its last mark with a recorded closing fill.
Both are journaled. Nothing here runs beside a trading brain: it takes the account's
trading lock for the duration.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from ats.domain import Fill, Position, Side
from ats.i18n.said import Said, with_said
from broker_adapters.paper_persist import STATE_VERSION

VENUE_KEY = "paper_venue"


@dataclass(frozen=True, slots=True)
class Row:
    symbol: str
    ledger: float
    venue: float
    fills: float
    venue_name: str

    @property
    def ok(self) -> bool:
        return abs(self.ledger - self.venue) <= 1e-9 * max(1.0, abs(self.venue))


def compare(dao: Any) -> list[Row]:
    """One row per symbol any side knows, for ``dao``'s account."""
    doc = dao.load_state(VENUE_KEY) or {}
    venue_name = str(doc.get("venue", "paper:mock"))
    venue = {s: float(p[0]) for s, p in (doc.get("positions") or {}).items()}
    ledger: dict[str, float] = {}
    for p in dao.load_positions(None):
        ledger[p.symbol] = ledger.get(p.symbol, 0.0) + p.qty
    fills: dict[str, float] = defaultdict(float)
    for f in dao.load_fills(account=dao.account):
        fills[f.symbol] += f.qty * f.side.sign
    syms = sorted(s for s in set(venue) | set(ledger) | set(fills)
                  if abs(venue.get(s, 0.0)) + abs(ledger.get(s, 0.0)) + abs(fills.get(s, 0.0))
                  > 1e-12)
    return [Row(s, ledger.get(s, 0.0), venue.get(s, 0.0), fills.get(s, 0.0), venue_name)
            for s in syms]


def _journal(dao: Any, run_id: str, ts: int, text: str, payload: dict[str, Any]) -> None:
    body = with_said({**payload, "message": text}, text)  # shown in the reader's language
    dao.journal("doctor", body, ts=ts, run_id=run_id, text=text)


def adopt(dao: Any, ts: int) -> list[str]:
    """The ledger takes the venue's positions (stops kept where the ledger had them)."""
    doc = dao.load_state(VENUE_KEY) or {}
    positions = doc.get("positions") or {}
    run_id = f"doctor-{ts}"
    done: list[str] = []
    with dao.batch():
        dao.open_run(run_id, mode="paper", adapter="doctor", ts=ts, meta={"action": "adopt"})
        old = {p.symbol: p for p in dao.load_positions(None)}
        for row in compare(dao):
            if row.ok:
                continue
            prev = old.get(row.symbol)
            venue = prev.venue if prev is not None else row.venue_name
            if abs(row.venue) <= 1e-12:
                dao.delete_position(row.symbol, venue, run_id)
            else:
                q, entry, realized, pts, strat = positions[row.symbol]
                dao.upsert_position(Position(
                    row.symbol, float(q), float(entry), int(pts),
                    stop=prev.stop if prev else None, take=prev.take if prev else None,
                    realized_pnl=float(realized), strategy=str(strat), venue=venue), run_id)
            text = Said("event.doctor.adopt", symbol=row.symbol, ledger=row.ledger,
                        venue=row.venue)
            _journal(dao, run_id, ts, text, {"symbol": row.symbol, "ledger": row.ledger,
                                            "venue": row.venue})
            done.append(text)
        dao.close_run(run_id, ts=ts, summary={"adopted": len(done)})
    return done


def flatten(dao: Any, ts: int) -> list[str]:
    """Close every differing position the paper venue holds at its mark, with a fill."""
    doc = dao.load_state(VENUE_KEY)
    if doc is None or int(doc.get("version", 0)) != STATE_VERSION:
        return []
    specs = {s.symbol: s for s in dao.load_instruments()}
    run_id = f"doctor-{ts}"
    done: list[str] = []
    with dao.batch():
        dao.open_run(run_id, mode="paper", adapter="doctor", ts=ts, meta={"action": "flatten"})
        for row in compare(dao):
            if row.ok:
                continue
            pos = doc["positions"].get(row.symbol)
            if pos and abs(float(pos[0])) > 1e-12:
                q, entry = float(pos[0]), float(pos[1])
                mark = float(doc["marks"].get(row.symbol, entry))
                cs = specs[row.symbol].contract_size if row.symbol in specs else 1.0
                pnl = (mark - entry) * q * cs
                cid = f"doctor-{uuid.uuid4().hex[:10]}"
                dao.record_fill(Fill(f"{cid}-f1", cid, row.symbol,
                                     Side.SELL if q > 0 else Side.BUY, abs(q), mark, 0.0, ts,
                                     "taker", doc["venue"], "doctor", None), run_id)
                doc["balance"] = float(doc["balance"]) + pnl
                pos[0], pos[1], pos[2] = 0.0, 0.0, float(pos[2]) + pnl
            for p in dao.load_positions(None):
                if p.symbol == row.symbol:
                    dao.delete_position(p.symbol, p.venue, run_id)
            text = Said("event.doctor.flatten", symbol=row.symbol, venue=row.venue,
                        ledger=row.ledger)
            _journal(dao, run_id, ts, text, {"symbol": row.symbol, "ledger": row.ledger,
                                            "venue": row.venue})
            done.append(text)
        dao.save_state(VENUE_KEY, doc, ts=ts)
        dao.close_run(run_id, ts=ts, summary={"flattened": len(done)})
    return done
