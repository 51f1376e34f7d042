"""One SQLite file through apsw: a single guarded writer, concurrent readers, clean faults.

Why one writer connection per process behind a lock: SQLite allows one writer at a time
anyway, and the event loop plus a thread worker (``asyncio.to_thread``) may both call the DAO;
the lock turns their interleaving into queued transactions instead of ``BusyError``.
Readers get one connection per thread: in WAL mode they never block the writer or each
other, and ``ats tui`` keeps reading while ``ats sync`` writes from another process.
A thread that is inside a write transaction reads through the writer so it sees its own
uncommitted rows.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import apsw

from storage.errors import (
    CannotOpenError,
    CorruptDatabaseError,
    DatabaseLockedError,
    ReadOnlyDatabaseError,
    SchemaVersionError,
    StorageError,
    translate,
)
from storage.schema import LATEST, migrate, user_version

BUSY_TIMEOUT_MS = 5_000
BEGIN_ATTEMPTS = 4
SQLITE_HEADER = b"SQLite format 3\x00"
QUICK_CHECK_SECONDS = 2.0  # a bounded look before writing; a huge file is not blocked on it


def check_header(path: Path) -> None:
    """Refuse a file that exists with content but is not an SQLite database (cheap: 16 bytes)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return
    except IsADirectoryError:
        raise CannotOpenError("is a directory, not a database file", path=path,
                              hint="Point --db / ATS_DB at a file") from None
    except OSError as exc:
        raise CannotOpenError(f"cannot read the file ({exc.strerror})", path=path,
                              hint="Check its permissions") from None
    if head and head != SQLITE_HEADER:
        raise CorruptDatabaseError(
            "not an SQLite database (bad header)", path=path,
            hint=f"Move it aside (mv {path} {path}.broken) and restore a copy made with "
                 "`ats db backup`, or start with an empty database",
        )


def _marked_read_only(path: Path) -> bool:
    """True when the file has no write bit at all: the owner marked it read-only, and that is
    honoured even for root (whom the OS would let write anyway)."""
    try:
        return (path.stat().st_mode & 0o222) == 0
    except OSError:
        return False


def quick_check(conn: apsw.Connection, path: Path, *,
                budget_s: float = QUICK_CHECK_SECONDS) -> bool:
    """``PRAGMA quick_check`` with a time budget; raise ``CorruptDatabaseError`` on damage.

    Returns False when the budget ran out before the check finished (inconclusive: a very
    large file is not refused for being large; ``ats db check`` does the full check).
    """
    deadline = time.monotonic() + budget_s
    timed_out = False

    def over_budget() -> bool:
        nonlocal timed_out
        timed_out = time.monotonic() > deadline
        return timed_out

    conn.set_progress_handler(over_budget, 10_000)
    try:
        rows = [str(r[0]) for r in conn.execute("PRAGMA quick_check(5)")]
    except apsw.InterruptError:
        return False
    except (apsw.CorruptError, apsw.NotADBError) as exc:
        raise CorruptDatabaseError(
            f"the database file is damaged ({exc})", path=path,
            hint=f"Run `ats db check --db {path}`, then move it aside and restore a copy made "
                 "with `ats db backup`; nothing was written",
        ) from None
    finally:
        conn.set_progress_handler(None)
    if timed_out:
        return False
    if rows != ["ok"]:
        raise CorruptDatabaseError(
            f"the database file is damaged ({'; '.join(rows)[:200]})", path=path,
            hint=f"Run `ats db check --db {path}`, then move it aside and restore a copy made "
                 "with `ats db backup`; nothing was written",
        )
    return True


def _configure(conn: apsw.Connection, *, readonly: bool) -> None:
    conn.setbusytimeout(BUSY_TIMEOUT_MS)
    conn.execute("PRAGMA foreign_keys = ON")
    if not readonly:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchall()[0][0]
        if str(mode).lower() != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")


class Database:
    """The file, its writer (unless read-only) and per-thread readers."""

    def __init__(self, path: Path | str, *, readonly: bool = False, migrate_to: int = LATEST):
        self.path = Path(path)
        self.readonly = readonly
        self._lock = threading.RLock()
        self._local = threading.local()
        # Weak: a reader dies with its thread (thread-local), so short-lived worker threads
        # do not pile up open connections; close() closes the ones still alive.
        self._readers: weakref.WeakSet[apsw.Connection] = weakref.WeakSet()
        self._readers_lock = threading.Lock()
        self._closed = False
        self._writer: apsw.Connection | None = None
        if readonly and not self.path.exists():
            raise CannotOpenError(
                "database file does not exist", path=self.path,
                hint="Run `ats sync` (or any command that writes) first, or check --db",
            )
        check_header(self.path)
        if not readonly and _marked_read_only(self.path):
            raise ReadOnlyDatabaseError(
                "the database file is marked read-only; nothing was written", path=self.path,
                hint=f"Make it writable (chmod u+w {self.path}), or point --db / ATS_DB at a "
                     "writable copy",
            )
        if not readonly:
            self._writer = self._open(readonly=False)
            try:
                if self._writer.readonly("main"):
                    raise ReadOnlyDatabaseError(
                        "the database file (or its directory) is read-only; nothing was written",
                        path=self.path,
                        hint="Make it writable, or point --db / ATS_DB at a writable copy",
                    )
                # Before anything writes: a damaged file is refused, not written further.
                quick_check(self._writer, self.path)
                migrate(self._writer, migrate_to)
            except StorageError:
                self._writer.close()
                raise
            except ValueError as exc:
                self._writer.close()
                raise SchemaVersionError(
                    str(exc), path=self.path, hint="Upgrade ATS to open this file"
                ) from None
            except apsw.Error as exc:
                self._writer.close()
                raise translate(exc, self.path) from exc
        else:
            conn = self._reader_conn()
            version = user_version(conn)
            if version != LATEST:
                raise SchemaVersionError(
                    f"schema version {version}, this ATS reads version {LATEST}",
                    path=self.path,
                    hint="Open it once read-write (e.g. `ats db stats`) to migrate it",
                )

    # ------------------------------------------------------------------ connections
    def _open(self, *, readonly: bool) -> apsw.Connection:
        if not readonly and not self.path.parent.exists():
            raise CannotOpenError(
                "the directory does not exist", path=self.path,
                hint=f"Create {self.path.parent} or point --db / ATS_DB elsewhere",
            )
        flags = (
            apsw.SQLITE_OPEN_READONLY
            if readonly
            else apsw.SQLITE_OPEN_READWRITE | apsw.SQLITE_OPEN_CREATE
        )
        try:
            conn = apsw.Connection(str(self.path), flags=flags)
            _configure(conn, readonly=readonly)
            # Touch the schema so a non-database or damaged file fails here, not later.
            conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
        except apsw.Error as exc:
            raise translate(exc, self.path) from exc
        return conn

    def _reader_conn(self) -> apsw.Connection:
        conn = getattr(self._local, "reader", None)
        if conn is None:
            conn = self._open(readonly=True)
            self._local.reader = conn
            with self._readers_lock:
                self._readers.add(conn)
        return conn

    @property
    def _depth(self) -> int:
        return int(getattr(self._local, "depth", 0))

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError("the database is closed", path=self.path)

    # ------------------------------------------------------------------ transactions
    @contextmanager
    def write(self) -> Iterator[apsw.Connection]:
        """One write transaction (nested calls join the outer one); faults become
        ``StorageError`` and roll the whole transaction back."""
        self._check_open()
        if self._writer is None:
            raise StorageError(
                "the database was opened read-only", path=self.path,
                hint="Open it without readonly=True to write",
            )
        conn = self._writer
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._begin(conn)
            self._local.depth = self._depth + 1
            try:
                yield conn
            except BaseException as exc:
                self._local.depth = self._depth - 1
                if outer and not conn.getautocommit():
                    conn.execute("ROLLBACK")
                if isinstance(exc, apsw.Error):
                    raise translate(exc, self.path) from exc
                raise
            self._local.depth = self._depth - 1
            if outer:
                try:
                    conn.execute("COMMIT")
                except apsw.Error as exc:
                    if not conn.getautocommit():
                        conn.execute("ROLLBACK")
                    raise translate(exc, self.path) from exc

    def _begin(self, conn: apsw.Connection) -> None:
        """BEGIN IMMEDIATE takes the write lock up front (no deadlock on upgrade); the busy
        timeout waits for it and a few spaced retries cover a long writer elsewhere."""
        for attempt in range(BEGIN_ATTEMPTS):
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except (apsw.BusyError, apsw.LockedError) as exc:
                if attempt == BEGIN_ATTEMPTS - 1:
                    raise translate(exc, self.path) from exc
                time.sleep(0.05 * (2**attempt))
            except apsw.Error as exc:
                raise translate(exc, self.path) from exc
        raise DatabaseLockedError("could not begin a write transaction", path=self.path)

    @contextmanager
    def read(self) -> Iterator[apsw.Connection]:
        """A connection for reading: the writer inside a write transaction, else this
        thread's reader."""
        self._check_open()
        try:
            if self._depth > 0 and self._writer is not None:
                yield self._writer
            else:
                yield self._reader_conn()
        except apsw.Error as exc:
            raise translate(exc, self.path) from exc

    def checkpoint(self) -> None:
        """Fold the WAL back into the main file (before a file-level copy, after cleanup)."""
        self._check_open()
        if self._writer is None or self._depth > 0:
            return
        with self._lock:
            try:
                self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            except apsw.Error as exc:
                raise translate(exc, self.path) from exc

    def in_transaction(self) -> bool:
        return self._depth > 0

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with self._readers_lock:
            for conn in list(self._readers):
                conn.close()
            self._readers.clear()
        if self._writer is not None:
            with self._lock:
                self._writer.close()
