"""Operations on the file itself: stats, online backup, retention to Parquet, integrity check.

Retention never deletes what it has not first written elsewhere: rows older than the cutoff
are read and written to Parquet *inside* the write transaction that deletes them, the file is
renamed into place before the commit, and if anything fails the transaction rolls back (an
archive written for a failed commit is removed). A crash between rename and commit leaves a
duplicate in the archive, never a loss.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import apsw
import pyarrow as pa
import pyarrow.parquet as pq

from storage.dao import PersistDAO
from storage.errors import StorageError, translate
from storage.schema import user_version

TABLES = (
    "runs", "instruments", "bars", "ticks", "orders", "fills", "positions",
    "equity_snapshots", "signals", "journal", "logs", "locks", "sync_state", "sync_logs",
)

# table -> (columns to archive, timestamp column)
ARCHIVED: dict[str, tuple[str, str]] = {
    "equity_snapshots": ("id, run_id, ts, equity, balance, drawdown_pct, daily_pnl", "ts"),
    "ticks": ("source, symbol, ts, bid, ask, bid_size, ask_size, last", "ts"),
    "journal": ("id, ts, run_id, kind, doc, text", "ts"),
}


@dataclass(frozen=True, slots=True)
class DbStats:
    path: Path
    user_version: int
    file_bytes: int
    wal_bytes: int
    rows: dict[str, int]


def stats(dao: PersistDAO) -> DbStats:
    with dao.db.read() as conn:
        rows = {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0])
                for t in TABLES}
        version = user_version(conn)
    path = dao.path
    wal = Path(str(path) + "-wal")
    return DbStats(path, version, path.stat().st_size, wal.stat().st_size if wal.exists() else 0,
                   rows)


def backup(dao: PersistDAO, dest: Path | str, *, pages_per_step: int = 1024) -> Path:
    """Copy the live database with SQLite's online backup API (others may keep writing)."""
    target = Path(dest)
    if target.exists() and target.is_dir():
        target = target / f"{dao.path.stem}.backup.db"
    if target.resolve() == dao.path.resolve():
        raise StorageError("backup target is the database itself", path=target,
                           hint="Choose another file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".partial")
    tmp.unlink(missing_ok=True)
    try:
        out = apsw.Connection(str(tmp))
        try:
            with dao.db.read() as src, out.backup("main", src, "main") as job:
                while not job.done:
                    job.step(pages_per_step)
        finally:
            out.close()
        os.replace(tmp, target)
    except apsw.Error as exc:
        tmp.unlink(missing_ok=True)
        raise translate(exc, target) from exc
    return target


@dataclass(frozen=True, slots=True)
class CleanupResult:
    cutoff_ms: int
    deleted: dict[str, int]
    archives: dict[str, Path]


def cleanup(dao: PersistDAO, *, cutoff_ms: int, archive_dir: Path | str,
            stamp: str) -> CleanupResult:
    """Archive rows older than ``cutoff_ms`` to Parquet, then delete them in one transaction.

    ``stamp`` names the archive files (callers pass the run time from their clock).
    """
    adir = Path(archive_dir)
    try:
        adir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create archive directory ({exc.strerror})", path=adir,
                           hint="Make it writable or pass --archive-dir") from None
    written: list[Path] = []
    deleted: dict[str, int] = {}
    archives: dict[str, Path] = {}
    try:
        with dao.db.write() as conn:
            for table, (cols, ts_col) in ARCHIVED.items():
                cur = conn.execute(
                    f"SELECT {cols} FROM {table} WHERE {ts_col} < ? ORDER BY {ts_col}",
                    (int(cutoff_ms),),
                )
                rows = cur.fetchall()
                names = [c.strip() for c in cols.split(",")]
                if not rows:
                    deleted[table] = 0
                    continue
                path = adir / f"{table}_before_{cutoff_ms}_{stamp}.parquet"
                _write_parquet(path, names, rows)
                written.append(path)
                archives[table] = path
                conn.execute(f"DELETE FROM {table} WHERE {ts_col} < ?", (int(cutoff_ms),))
                deleted[table] = int(conn.changes())  # excludes the FTS trigger's rows
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return CleanupResult(cutoff_ms, deleted, archives)


def _write_parquet(path: Path, names: list[str], rows: list[tuple[Any, ...]]) -> None:
    columns = {name: [r[i] for r in rows] for i, name in enumerate(names)}
    table = pa.table(columns)
    tmp = path.with_name(path.name + ".partial")
    try:
        pq.write_table(table, tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StorageError(
            f"cannot write archive ({exc.strerror or exc}); nothing was deleted",
            path=path, hint="Free disk space or choose another --archive-dir",
        ) from None


def read_archive(path: Path | str) -> pa.Table:
    """Read an archive back (``ats db cleanup`` writes them; analysts read them)."""
    return pq.read_table(path)


def check(dao: PersistDAO) -> list[str]:
    """Problems found by ``integrity_check`` and ``foreign_key_check`` (empty when healthy)."""
    problems: list[str] = []
    with dao.db.read() as conn:
        for (msg,) in conn.execute("PRAGMA integrity_check"):
            if msg != "ok":
                problems.append(f"integrity: {msg}")
        for table, rowid, parent, fkid in conn.execute("PRAGMA foreign_key_check"):
            problems.append(
                f"foreign key: {table} row {rowid} references a missing {parent} (fk {fkid})"
            )
    if not dao.db.readonly:
        for fts in ("journal_fts", "logs_fts"):
            try:
                with dao.db.write() as conn:
                    # rank = 1: also compare the index with its external content table
                    conn.execute(
                        f"INSERT INTO {fts} ({fts}, rank) VALUES ('integrity-check', 1)"
                    )
            except StorageError as exc:
                problems.append(f"search index {fts}: {exc.message} (rebuild it with "
                                f"INSERT INTO {fts}({fts}) VALUES('rebuild'))")
    return problems
