"""What the synchronizer keeps besides market rows: cursors, ticks and its own log.

A cursor is the open time of the last bar (or the time of the last fill/tick) stored for one
(source, symbol, timeframe, stream). The synchronizer advances it inside the same
transaction as the rows it covers (``store_bars``), so after any crash the cursor never
points past data that is not in the file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ats.domain import Bars, Quote
from storage.db import Database


@dataclass(frozen=True, slots=True)
class SyncLogRow:
    id: int
    ts: int
    source: str
    symbol: str
    timeframe: str
    stream: str
    phase: str
    rows: int
    duration_ms: float
    status: str
    error: str | None


class SyncStoreMixin:
    _db: Database
    upsert_bars: Callable[[Bars, str], int]

    def get_cursor(self, source: str, symbol: str, timeframe: str, stream: str) -> int | None:
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT cursor_ts FROM sync_state WHERE source = ? AND symbol = ? "
                "AND timeframe = ? AND stream = ?", (source, symbol, timeframe, stream),
            ).fetchall()
        return int(rows[0][0]) if rows else None

    def set_cursor(self, source: str, symbol: str, timeframe: str, stream: str,
                   cursor_ts: int, *, ts: int) -> None:
        """Move a cursor forward (never back: a late, older batch cannot rewind it)."""
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO sync_state (source, symbol, timeframe, stream, cursor_ts, "
                "updated_ts) VALUES (?,?,?,?,?,?) ON CONFLICT (source, symbol, timeframe, "
                "stream) DO UPDATE SET cursor_ts = max(sync_state.cursor_ts, "
                "excluded.cursor_ts), updated_ts = excluded.updated_ts",
                (source, symbol, timeframe, stream, int(cursor_ts), int(ts)),
            )

    def cursors(self, source: str | None = None) -> list[tuple[str, str, str, str, int]]:
        sql = "SELECT source, symbol, timeframe, stream, cursor_ts FROM sync_state"
        args: tuple[Any, ...] = ()
        if source is not None:
            sql, args = sql + " WHERE source = ?", (source,)
        with self._db.read() as conn:
            return [tuple(r) for r in conn.execute(sql + " ORDER BY 1, 2, 3, 4", args)]

    def store_bars(self, bars: Bars, source: str, *, ts: int) -> int:
        """Upsert ``bars`` and advance the bars cursor to the last one, atomically."""
        if len(bars) == 0:
            return 0
        with self._db.write():
            n = self.upsert_bars(bars, source)
            self.set_cursor(source, bars.symbol, bars.timeframe, "bars", int(bars.ts[-1]), ts=ts)
        return n

    def record_ticks(self, source: str, quotes: Sequence[Quote]) -> int:
        if not quotes:
            return 0
        with self._db.write() as conn:
            before = conn.total_changes()
            conn.executemany(
                "INSERT INTO ticks (source, symbol, ts, bid, ask, bid_size, ask_size, last) "
                "VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (source, symbol, ts) DO NOTHING",
                [(source, q.symbol, int(q.ts), q.bid, q.ask, q.bid_size, q.ask_size, q.last)
                 for q in quotes],
            )
            return int(conn.total_changes() - before)

    def sync_log(self, *, ts: int, source: str, symbol: str = "", timeframe: str = "",
                 stream: str = "", phase: str, rows: int, duration_ms: float,
                 error: str | None = None) -> None:
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO sync_logs (ts, source, symbol, timeframe, stream, phase, rows, "
                "duration_ms, status, error) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (int(ts), source, symbol, timeframe, stream, phase, int(rows),
                 float(duration_ms), "error" if error else "ok", error),
            )

    def sync_logs(self, limit: int = 100) -> list[SyncLogRow]:
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT id, ts, source, symbol, timeframe, stream, phase, rows, duration_ms, "
                "status, error FROM sync_logs ORDER BY id DESC LIMIT ?", (int(limit),),
            ).fetchall()
        return [SyncLogRow(*r) for r in reversed(rows)]
