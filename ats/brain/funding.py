"""Funding history for funding-aware strategies: restored, backfilled, extended, stored.

FundingReversion compares the latest settled rate with the ~90 before it (a month at 8 h).
Built only from live polling that took ten days of unbroken uptime and vanished on every
restart. Now, at start, each perpetual's history is read back from the database
(``storage.funding``), completed from the venue (``FundingHistorySource``: BingX's
funding-rate history through ccxt, the mock market's own funding model) and stored; each
new settlement seen while running is fetched the same way and stored too. A venue that
serves no history still works: its current rate is appended once per funding period, as
before, and stored so the next start begins with it.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from ats.domain import InstrumentSpec
from ats.i18n.said import Said
from ats.i18n.said_join import said_join
from broker_adapters.base import FundingHistorySource, FundingRate
from broker_adapters.errors import VenueError

if TYPE_CHECKING:
    from ats.brain.cycle import CycleWork
    from ats.brain.ports import CycleHost

log = logging.getLogger(__name__)

KEEP = 500  # settlements held per symbol (the strategy looks at ~91)
BACKFILL = 200  # asked of the venue when the database has none


@runtime_checkable
class FundingStore(Protocol):
    def store_funding(self, venue: str, symbol: str,
                      rows: list[tuple[int, float]]) -> int: ...

    def load_funding(self, venue: str, symbol: str, limit: int = 500) -> list[
        tuple[int, float]]: ...


class FundingBook:
    """Settled funding per symbol, ordered by settlement time, without duplicates."""

    def __init__(self, keep: int = KEEP) -> None:
        self.keep = keep
        self._rows: dict[str, deque[tuple[int, float]]] = {}

    def last_ts(self, symbol: str) -> int | None:
        rows = self._rows.get(symbol)
        return rows[-1][0] if rows else None

    def add(self, symbol: str, rows: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """Append rows newer than the last held; returns the ones added."""
        held = self._rows.setdefault(symbol, deque(maxlen=self.keep))
        last = held[-1][0] if held else None
        new = [(int(t), float(r)) for t, r in sorted(rows) if last is None or t > last]
        dedup: list[tuple[int, float]] = []
        for row in new:
            if not dedup or row[0] > dedup[-1][0]:
                dedup.append(row)
        held.extend(dedup)
        return dedup

    def rates(self, symbol: str) -> np.ndarray | None:
        rows = self._rows.get(symbol)
        if not rows:
            return None
        return np.fromiter((r for _, r in rows), dtype=np.float64, count=len(rows))

    def __len__(self) -> int:
        return sum(len(r) for r in self._rows.values())

    def count(self, symbol: str) -> int:
        return len(self._rows.get(symbol, ()))


def _store(o: CycleHost, symbol: str, rows: list[tuple[int, float]]) -> None:
    if rows and isinstance(o.dao, FundingStore):
        o.dao.store_funding(o.venue, symbol, rows)


async def _fetch(venue: FundingHistorySource, symbol: str, since: int | None,
                 limit: int) -> list[tuple[int, float]]:
    rows: list[FundingRate] = await venue.funding_history(symbol, since, limit)
    return [(f.ts, f.rate) for f in rows]


def perpetuals(o: CycleHost) -> list[InstrumentSpec]:
    """Perpetuals a funding-aware strategy trades (none: nothing to keep)."""
    if not o.funding_tfs:
        return []
    return [s for s in o.instruments.values() if s.has_funding]


async def restore_funding(o: CycleHost) -> dict[str, tuple[int, int]]:
    """At start: (restored from the database, backfilled from the venue) per perpetual."""
    out: dict[str, tuple[int, int]] = {}
    for spec in perpetuals(o):
        sym = spec.symbol
        stored = o.dao.load_funding(o.venue, sym, o.funding.keep) \
            if isinstance(o.dao, FundingStore) else []
        restored = len(o.funding.add(sym, stored))
        fetched = 0
        if isinstance(o.adapter, FundingHistorySource):
            last = o.funding.last_ts(sym)
            try:
                rows = await _fetch(o.adapter, sym, None if last is None else last + 1,
                                    BACKFILL if last is None else 1000)
            except (VenueError, OSError) as exc:
                o.journal_event("event", Said("event.funding.backfill_failed", symbol=sym,
                                              venue=o.venue, error=str(exc)), level="warning")
                rows = []
            added = o.funding.add(sym, rows)
            _store(o, sym, added)
            fetched = len(added)
        out[sym] = (restored, fetched)
    if out:
        items = [Said("event.funding.item", symbol=s, restored=r, fetched=f, venue=o.venue,
                      count=o.funding.count(s)) for s, (r, f) in out.items()]
        o.journal_event("event", Said("event.funding.history",
                                      items=said_join(items, "reason.list.comma")),
                        {"funding": {s: list(v) for s, v in out.items()}})
    return out


async def funding_for_cycle(o: CycleHost, w: CycleWork,
                            sym: str) -> np.ndarray | None:
    """Basis now, plus any settlement since the last one held; the history for the strategy."""
    spec = o.instruments.get(sym)
    if spec is None or not spec.has_funding or not o.connected \
            or not getattr(o.adapter.capabilities, "funding", False):
        return None
    try:
        fr = await o.adapter.funding_rate(sym)
    except (VenueError, OSError) as exc:
        w.warn("strategy", Said("event.funding.rate_failed", symbol=sym, error=str(exc)))
        return o.funding.rates(sym)
    if fr.mark_price and fr.index_price:
        o.basis[sym] = (fr.mark_price - fr.index_price) / fr.index_price
    period = fr.next_funding_ts if fr.next_funding_ts is not None else fr.ts
    if o.funding_next.get(sym) != period:
        o.funding_next[sym] = period
        if isinstance(o.adapter, FundingHistorySource):
            last = o.funding.last_ts(sym)
            try:
                added = o.funding.add(sym, await _fetch(
                    o.adapter, sym, None if last is None else last + 1, 100))
            except (VenueError, OSError) as exc:
                w.warn("strategy", Said("event.funding.history_failed", symbol=sym,
                                        error=str(exc)))
                added = []
        else:  # the current rate, once per funding period, stamped when seen
            added = o.funding.add(sym, [(fr.ts, fr.rate)])
        _store(o, sym, added)
    return o.funding.rates(sym)
