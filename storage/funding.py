"""Funding-rate history per (venue, symbol): what FundingReversion's z-score is computed on.

A funding z-score needs ~90 settlements (a month at 8 h), far more than one session sees.
The brain backfills from the venue at start, stores every settlement here and reads them
back after a restart, so the history neither starts from zero nor depends on uptime.
A settlement is keyed by its time; the venue's latest value for a time wins (venues
occasionally revise a settlement; the table keeps what they say now).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from storage.db import Database
from storage.errors import InvalidDataError


class FundingStoreMixin:
    _db: Database

    def store_funding(self, venue: str, symbol: str, rows: Sequence[tuple[int, float]]) -> int:
        """Upsert (settlement ms, rate) rows; a non-finite rate is refused, naming it."""
        bad = [(ts, r) for ts, r in rows if not (isinstance(ts, int) and math.isfinite(r))]
        if bad:
            raise InvalidDataError(f"funding rows for {symbol} on {venue} are unusable: "
                                   f"{bad[:3]!r} (need integer ms and a finite rate)")
        with self._db.write() as conn:
            conn.executemany(
                "INSERT INTO funding_rates (venue, symbol, ts, rate) VALUES (?,?,?,?) "
                "ON CONFLICT (venue, symbol, ts) DO UPDATE SET rate = excluded.rate",
                [(venue, symbol, int(ts), float(r)) for ts, r in rows])
        return len(rows)

    def load_funding(self, venue: str, symbol: str, limit: int = 500) -> list[tuple[int, float]]:
        """The newest ``limit`` settlements, oldest first."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT ts, rate FROM funding_rates WHERE venue = ? AND symbol = ? "
                "ORDER BY ts DESC LIMIT ?", (venue, symbol, int(limit))).fetchall()
        return [(int(ts), float(r)) for ts, r in reversed(rows)]
