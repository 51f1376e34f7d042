"""``PersistDAO``: the ``storage.protocol.Persistence`` contract over one SQLite file.

The class is assembled from one mixin per concern (trading rows, journal and search, the
synchronizer's cursors) so each file stays one idea; this module holds the connection, runs,
instruments and bars — the hot market-data path.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import chain, repeat
from pathlib import Path
from typing import Any

import numpy as np

from ats.domain import Bars, InstrumentSpec, timeframe_ms
from storage.accounts import DEFAULT_ACCOUNT, AccountsMixin
from storage.codec import dumps
from storage.db import Database
from storage.errors import InvalidDataError
from storage.funding import FundingStoreMixin
from storage.journal import JournalMixin
from storage.sync_store import SyncStoreMixin
from storage.trading import TradingMixin

_UPSERT_BARS = (
    "INSERT INTO bars (symbol, timeframe, ts, open, high, low, close, volume, spread, source) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (symbol, timeframe, ts) DO UPDATE SET "
    "open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close, "
    "volume = excluded.volume, spread = excluded.spread, source = excluded.source "
    "WHERE (bars.open, bars.high, bars.low, bars.close, bars.volume, bars.spread, bars.source)"
    " IS NOT (excluded.open, excluded.high, excluded.low, excluded.close, excluded.volume, "
    "excluded.spread, excluded.source)"
)
_INSERT_BARS = (
    "INSERT INTO bars (symbol, timeframe, ts, open, high, low, close, volume, spread, source) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_PRICE_COLS = ("open", "high", "low", "close", "volume", "spread")


def _json(value: dict[str, Any] | None) -> str:
    return dumps(value or {})


class PersistDAO(TradingMixin, AccountsMixin, JournalMixin, SyncStoreMixin, FundingStoreMixin):
    """Everything ATS keeps: one file, WAL, one guarded writer, concurrent readers.

    Every method is one transaction unless called inside ``batch()``. Faults surface as
    ``storage.errors.StorageError`` subclasses naming the file and the way out.
    """

    def __init__(self, path: Path | str, *, readonly: bool = False,
                 account: str = DEFAULT_ACCOUNT) -> None:
        self._db = Database(path, readonly=readonly)
        self._known_runs: set[str] = set()
        # Trading rows this DAO writes (orders, fills, positions, equity, runs) belong to
        # this account, and its position/equity/open-order reads are scoped to it.
        self.account = account

    @property
    def path(self) -> Path:
        return self._db.path

    @property
    def db(self) -> Database:
        return self._db

    # ------------------------------------------------------------------ plumbing
    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group several writes into one transaction (all or nothing)."""
        with self._db.write():
            yield

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> PersistDAO:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ensure_run(self, conn: Any, run_id: str, ts: int) -> None:
        """Rows reference ``runs``; a writer that never called ``open_run`` (a test, the
        synchronizer) gets a placeholder run so foreign keys hold without ceremony."""
        if run_id in self._known_runs:
            return
        conn.execute(
            "INSERT OR IGNORE INTO runs (run_id, mode, adapter, started_ts) "
            "VALUES (?, 'unknown', 'unknown', ?)",
            (run_id, int(ts)),
        )
        self._known_runs.add(run_id)

    # ------------------------------------------------------------------ runs
    def open_run(self, run_id: str, *, mode: str, adapter: str, ts: int,
                 meta: dict[str, Any] | None = None) -> None:
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO runs (run_id, mode, adapter, started_ts, meta, account) "
                "VALUES (?,?,?,?,?,?) "
                "ON CONFLICT (run_id) DO UPDATE SET mode = excluded.mode, "
                "adapter = excluded.adapter, started_ts = excluded.started_ts, "
                "meta = excluded.meta, account = excluded.account",
                (run_id, str(mode), adapter, int(ts), _json(meta), self.account),
            )
            self._known_runs.add(run_id)

    def close_run(self, run_id: str, *, ts: int, summary: dict[str, Any]) -> None:
        with self._db.write() as conn:
            self._ensure_run(conn, run_id, ts)
            conn.execute(
                "UPDATE runs SET ended_ts = ?, summary = ? WHERE run_id = ?",
                (int(ts), _json(summary), run_id),
            )

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT run_id, mode, adapter, started_ts, ended_ts, meta, summary, account "
                "FROM runs WHERE run_id = ?", (run_id,),
            ).fetchall()
        if not rows:
            return None
        rid, mode, adapter, started, ended, meta, summary, account = rows[0]
        return {
            "run_id": rid, "mode": mode, "adapter": adapter, "started_ts": started,
            "account": account,
            "ended_ts": ended, "meta": json.loads(meta),
            "summary": json.loads(summary) if summary is not None else None,
        }

    def list_runs(self, limit: int = 50) -> list[dict[str, Any]]:
        """Newest runs first (for reports and the TUI run picker)."""
        with self._db.read() as conn:
            ids = [r[0] for r in conn.execute(
                "SELECT run_id FROM runs ORDER BY started_ts DESC LIMIT ?", (int(limit),))]
        return [r for r in (self.get_run(i) for i in ids) if r is not None]

    # ------------------------------------------------------------------ instruments
    def upsert_instruments(self, venue: str, specs: Sequence[InstrumentSpec]) -> int:
        rows = [
            (venue, s.symbol, s.asset_class, s.tick_size, s.lot_step, s.min_qty,
             s.contract_size, s.quote_currency, int(s.has_funding), s.max_leverage,
             s.margin_currency)
            for s in specs
        ]
        with self._db.write() as conn:
            conn.executemany(
                "INSERT INTO instruments (venue, symbol, asset_class, tick_size, lot_step, "
                "min_qty, contract_size, quote_currency, has_funding, max_leverage, "
                "margin_currency) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (venue, symbol) DO UPDATE SET "
                "margin_currency = excluded.margin_currency, "
                "asset_class = excluded.asset_class, tick_size = excluded.tick_size, "
                "lot_step = excluded.lot_step, min_qty = excluded.min_qty, "
                "contract_size = excluded.contract_size, "
                "quote_currency = excluded.quote_currency, has_funding = excluded.has_funding,"
                " max_leverage = excluded.max_leverage",
                rows,
            )
        return len(rows)

    def load_instruments(self, venue: str | None = None) -> list[InstrumentSpec]:
        sql = (
            "SELECT symbol, venue, asset_class, tick_size, lot_step, min_qty, contract_size, "
            "quote_currency, has_funding, max_leverage, margin_currency FROM instruments"
        )
        args: tuple[Any, ...] = ()
        if venue is not None:
            sql, args = sql + " WHERE venue = ?", (venue,)
        with self._db.read() as conn:
            rows = conn.execute(sql + " ORDER BY venue, symbol", args).fetchall()
        return [
            InstrumentSpec(s, v, a, ts_, ls, mq, cs, qc, bool(hf), ml, mc)
            for s, v, a, ts_, ls, mq, cs, qc, hf, ml, mc in rows
        ]

    # ------------------------------------------------------------------ bars
    def upsert_bars(self, bars: Bars, source: str) -> int:
        """Insert or update bars; returns rows new or changed (identical rows cost nothing,
        so a rerun of the synchronizer reports 0).

        Speed matters here (a backfill is millions of rows): bars newer than the newest
        stored one of their range go through a plain ``INSERT``, which runs at raw
        ``executemany`` speed; only the overlap (or an unordered batch) pays for the
        conflict-checking upsert. ``scripts/bench_storage.py`` measures both against apsw.
        """
        n = len(bars)
        if n == 0:
            return 0
        timeframe_ms(bars.timeframe)  # refuse an unknown timeframe before writing
        cols = [np.asarray(getattr(bars, c), dtype=np.float64) for c in _PRICE_COLS]
        if not all(np.isfinite(c).all() for c in cols):
            i = int(np.argmax(~np.isfinite(np.vstack(cols)).all(axis=0)))
            raise InvalidDataError(
                f"bar {bars.symbol} {bars.timeframe} ts={int(bars.ts[i])} has a NaN or "
                "infinite value; nothing of this batch was stored",
                hint="Repair or drop the bar before storing it",
            )
        sym, tf = bars.symbol, bars.timeframe
        ts = np.asarray(bars.ts, dtype=np.int64)
        ts_list = ts.tolist()
        values = [c.tolist() for c in cols]

        def rows(lo: int, hi: int) -> Any:
            part = (lambda v: v) if (lo, hi) == (0, n) else (lambda v: v[lo:hi])
            return zip(
                repeat(sym, hi - lo), repeat(tf, hi - lo), part(ts_list),
                *(part(v) for v in values), repeat(source, hi - lo), strict=True,
            )

        ordered = n == 1 or bool((ts[1:] > ts[:-1]).all())
        with self._db.write() as conn:
            before = conn.total_changes()
            split = 0  # rows [0, split) may exist already; rows [split, n) cannot
            if ordered:
                last = conn.execute(
                    "SELECT max(ts) FROM bars WHERE symbol = ? AND timeframe = ? "
                    "AND ts BETWEEN ? AND ?", (sym, tf, ts_list[0], ts_list[-1]),
                ).fetchall()[0][0]
                split = 0 if last is None else int(np.searchsorted(ts, last, side="right"))
            else:
                split = n
            # Bars past the newest stored one in this range are new for sure: a plain INSERT
            # (raw executemany speed) instead of the conflict-checking upsert.
            if split:
                conn.executemany(_UPSERT_BARS, rows(0, split))
            if split < n:
                conn.executemany(_INSERT_BARS, rows(split, n))
            return int(conn.total_changes() - before)

    def read_bars(self, symbol: str, timeframe: str, *, start_ms: int | None = None,
                  end_ms: int | None = None, limit: int | None = None) -> Bars:
        """Bars oldest first; ``start_ms``/``end_ms`` inclusive; ``limit`` keeps the newest."""
        where = "symbol = ? AND timeframe = ?"
        args: list[Any] = [symbol, timeframe]
        if start_ms is not None:
            where += " AND ts >= ?"
            args.append(int(start_ms))
        if end_ms is not None:
            where += " AND ts <= ?"
            args.append(int(end_ms))
        cols = "ts, open, high, low, close, volume, spread"
        if limit is not None:
            sql = (
                f"SELECT * FROM (SELECT {cols} FROM bars WHERE {where} "
                "ORDER BY ts DESC LIMIT ?) ORDER BY ts"
            )
            args.append(max(0, int(limit)))
        else:
            sql = f"SELECT {cols} FROM bars WHERE {where} ORDER BY ts"
        with self._db.read() as conn:
            flat = np.fromiter(
                chain.from_iterable(conn.execute(sql, args)), dtype=np.float64
            )
        if flat.size == 0:
            return Bars.empty(symbol, timeframe)
        table = flat.reshape(-1, 7)
        # ts fits a float64 exactly (ms values < 2**53), so one pass reads every column.
        return Bars(
            symbol, timeframe, table[:, 0].astype(np.int64),
            *(np.ascontiguousarray(table[:, i]) for i in range(1, 7)),
        )

    def bar_count(self, symbol: str, timeframe: str) -> int:
        with self._db.read() as conn:
            return int(conn.execute(
                "SELECT count(*) FROM bars WHERE symbol = ? AND timeframe = ?",
                (symbol, timeframe),
            ).fetchall()[0][0])

    def last_bar_ts(self, symbol: str, timeframe: str) -> int | None:
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT max(ts) FROM bars WHERE symbol = ? AND timeframe = ?",
                (symbol, timeframe),
            ).fetchall()
        return None if rows[0][0] is None else int(rows[0][0])
