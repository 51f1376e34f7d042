"""Journal, logs, full-text search and lock state.

The journal holds one JSON1 document per brain cycle or event (``{"kind","run_id","ts",
"payload"}``); generated columns expose ``kind``, ``run_id`` and ``ts`` to indexes so the
TUI's "last 50 cycles of this run" never parses JSON. Search hits come newest first: a
trader searching "kill switch" wants the latest occurrences, and FTS5 walks its index in
rowid order, so ``ORDER BY rowid DESC LIMIT n`` stays fast however many rows match; the
bm25 score is still reported per hit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import apsw

from storage.codec import dumps
from storage.db import Database
from storage.protocol import JournalRecord, SearchHit, SearchQueryError
from storage.search import build_fts_query
from storage.sql import where

_SNIPPET_TOKENS = 16

_SEARCH_JOURNAL = (
    "SELECT 'journal', j.id, j.ts, j.kind, "
    f"snippet(journal_fts, 0, '[', ']', '…', {_SNIPPET_TOKENS}), bm25(journal_fts) "
    "FROM journal_fts JOIN journal AS j ON j.id = journal_fts.rowid "
    "WHERE journal_fts MATCH ? ORDER BY journal_fts.rowid DESC LIMIT ?"
)
_SEARCH_LOGS = (
    "SELECT 'log', l.id, l.ts, l.level, "
    f"snippet(logs_fts, 0, '[', ']', '…', {_SNIPPET_TOKENS}), bm25(logs_fts) "
    "FROM logs_fts JOIN logs AS l ON l.id = logs_fts.rowid "
    "WHERE logs_fts MATCH ? ORDER BY logs_fts.rowid DESC LIMIT ?"
)


def _record(row: tuple[Any, ...]) -> JournalRecord:
    rid, doc, text = row
    d = json.loads(doc)
    return JournalRecord(rid, int(d["ts"]), d["run_id"], d["kind"], d.get("payload", {}), text)


class JournalMixin:
    _db: Database
    _ensure_run: Callable[[Any, str, int], None]

    def journal(self, kind: str, payload: dict[str, Any], *, ts: int, run_id: str,
                text: str) -> int:
        doc = dumps({"kind": kind, "run_id": run_id, "ts": int(ts), "payload": payload})
        with self._db.write() as conn:
            conn.execute("INSERT INTO journal (doc, text) VALUES (?, ?)", (doc, text))
            return int(conn.last_insert_rowid())

    def journal_get(self, record_id: int) -> JournalRecord | None:
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT id, doc, text FROM journal WHERE id = ?", (int(record_id),)
            ).fetchall()
        return _record(rows[0]) if rows else None

    def journal_tail(self, n: int = 50, *, kind: str | None = None,
                     run_id: str | None = None) -> list[JournalRecord]:
        """The newest ``n`` records (optionally of one kind / run), oldest first."""
        cond, args = where([("kind = ?", kind), ("run_id = ?", run_id)])
        sql = "SELECT id, doc, text FROM journal" + cond + " ORDER BY id DESC LIMIT ?"
        args.append(max(0, int(n)))
        with self._db.read() as conn:
            rows = conn.execute(sql, args).fetchall()
        return [_record(r) for r in reversed(rows)]

    def log(self, level: str, message: str, *, ts: int, source: str = "ats",
            run_id: str = "") -> None:
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO logs (ts, level, source, run_id, message) VALUES (?,?,?,?,?)",
                (int(ts), level.upper(), source, run_id, message),
            )

    def search(self, query: str, limit: int = 50) -> list[SearchHit]:
        """FTS5 over journal text and logs, newest first; any text is safe (see
        ``storage.search``), and what cannot be searched raises ``SearchQueryError``."""
        if limit <= 0:
            raise SearchQueryError(f"limit must be a positive number, got {limit}")
        match = build_fts_query(query)
        hits: list[SearchHit] = []
        try:
            with self._db.read() as conn:
                for sql in (_SEARCH_JOURNAL, _SEARCH_LOGS):
                    for src, ref, ts, kind, snip, rank in conn.execute(sql, (match, limit)):
                        hits.append(SearchHit(src, int(ref), int(ts), kind, snip, float(rank)))
        except apsw.SQLError as exc:  # the builder should make this unreachable; belt and braces
            raise SearchQueryError(f"cannot search for {query!r}: {exc}") from None
        hits.sort(key=lambda h: (h.ts, h.source == "journal", h.ref_id), reverse=True)
        return hits[:limit]

    # ------------------------------------------------------------------ locks
    def save_lock_state(self, name: str, state: dict[str, Any], *, ts: int) -> None:
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO locks (name, state, ts) VALUES (?,?,?) ON CONFLICT (name) "
                "DO UPDATE SET state = excluded.state, ts = excluded.ts",
                (name, dumps(state), int(ts)),
            )

    def load_lock_state(self, name: str) -> dict[str, Any] | None:
        with self._db.read() as conn:
            rows = conn.execute("SELECT state FROM locks WHERE name = ?", (name,)).fetchall()
        return json.loads(rows[0][0]) if rows else None
