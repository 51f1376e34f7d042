"""State recovery at start-up: what the database remembers versus what the venue holds.

The venue is the truth for positions (it is where the money is); the database is the
truth for what the brain *meant* (stops, takes, owning strategy). Reconciliation keeps the
venue's quantities, re-attaches the remembered stops, and reports every disagreement in the
journal and the log — a silent fix would hide a real problem (a fill missed while down, an
order placed by hand).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ats.domain import Position


@dataclass(slots=True)
class Reconciliation:
    positions: list[Position] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def reconcile(stored: list[Position], venue: list[Position], *, tol: float = 1e-9,
              venue_name: str = "") -> Reconciliation:
    """Merge stored and venue positions; list every disagreement in plain words."""
    out = Reconciliation()
    db = {p.symbol: p for p in stored if p.qty != 0}
    live = {p.symbol: p for p in venue if p.qty != 0}
    where = f" on {venue_name}" if venue_name else ""
    for sym in sorted(set(db) | set(live)):
        d, v = db.get(sym), live.get(sym)
        if v is None and d is not None:
            out.mismatches.append(
                f"{sym}: database has {d.qty:g} but the venue{where} has no position "
                "(closed while ATS was down?) — dropped from the book")
            continue
        assert v is not None
        if d is None:
            out.mismatches.append(
                f"{sym}: the venue{where} has {v.qty:g} the database did not know — adopted "
                "without stop/take (set one or close it)")
            out.positions.append(v)
            continue
        if abs(d.qty - v.qty) > tol * max(1.0, abs(v.qty)):
            out.mismatches.append(f"{sym}: database has {d.qty:g}, venue{where} has {v.qty:g} "
                                  "— venue quantity kept")
        out.positions.append(replace(
            v, stop=v.stop if v.stop is not None else d.stop,
            take=v.take if v.take is not None else d.take,
            strategy=v.strategy or d.strategy))
    return out
