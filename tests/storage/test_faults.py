"""Faults: a non-database, a corrupt file, a read-only directory, a full disk, a lock."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import apsw
import numpy as np
import pytest

import storage.db
from storage.dao import PersistDAO
from storage.errors import (
    CannotOpenError,
    CorruptDatabaseError,
    DatabaseLockedError,
    DiskFullError,
    ReadOnlyDatabaseError,
    StorageError,
)
from tests.storage.helpers import T0, make_bars


def test_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"this is a shopping list, not SQLite\n" * 200)
    with pytest.raises(CorruptDatabaseError) as info:
        PersistDAO(path)
    msg = str(info.value)
    assert "not an SQLite database" in msg and "ats db backup" in msg and str(path) in msg


def test_corrupt_pages_are_reported_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "ats.db"
    dao = PersistDAO(path)
    dao.upsert_bars(make_bars(n=5000), "mock")
    dao.db.checkpoint()
    dao.close()
    raw = bytearray(path.read_bytes())
    page = 4096
    for p in range(2, len(raw) // page):  # keep page 1 (the header), smash the rest
        raw[p * page: p * page + 64] = b"\xff" * 64
    path.write_bytes(bytes(raw))
    with pytest.raises(CorruptDatabaseError, match="corrupt|not an SQLite") as info:
        d = PersistDAO(path)
        try:
            d.read_bars("EURUSD", "1m")
        finally:
            d.close()
    assert "mv " in str(info.value)


def _make_readonly(directory: Path) -> bool:
    """chmod works for normal users; root ignores modes, so fall back to chattr +i."""
    directory.chmod(stat.S_IRUSR | stat.S_IXUSR)
    probe = directory / ".probe"
    try:
        probe.touch()
    except OSError:
        return False
    probe.unlink()
    subprocess.run(["chattr", "+i", str(directory)], check=True, capture_output=True)
    return True


@contextmanager
def readonly_dir(directory: Path) -> Iterator[None]:
    immutable = _make_readonly(directory)
    try:
        with pytest.raises(OSError):
            (directory / ".probe2").touch()
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(directory)], check=True)
        directory.chmod(0o755)


def test_readonly_directory_new_file(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    with readonly_dir(ro):
        with pytest.raises((CannotOpenError, ReadOnlyDatabaseError)) as info:
            PersistDAO(ro / "ats.db")
    assert "writable" in str(info.value)


def test_readonly_file_write_is_refused_and_nothing_is_stored(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    path = ro / "ats.db"
    dao = PersistDAO(path)
    dao.upsert_bars(make_bars(n=3), "mock")
    dao.close()
    with readonly_dir(ro):
        try:
            dao = PersistDAO(path)
        except StorageError as exc:  # refused at open: a clear error is what we want
            assert "writable" in str(exc) or "read-only" in str(exc)
            return
        try:
            with pytest.raises(StorageError):
                dao.upsert_bars(make_bars(n=10, start=T0 + 10**9), "mock")
        finally:
            dao.close()
    check = PersistDAO(path)
    assert check.bar_count("EURUSD", "1m") == 3
    check.close()


def test_full_disk_rolls_back_the_whole_batch(dao: PersistDAO) -> None:
    dao.upsert_bars(make_bars(n=10), "mock")
    with dao.db.write() as conn:
        pages = conn.execute("PRAGMA page_count").fetchall()[0][0]
        conn.execute(f"PRAGMA max_page_count = {pages + 2}")
    big = make_bars(n=50_000, start=T0 + 10**9)
    with pytest.raises(DiskFullError) as info:
        dao.upsert_bars(big, "mock")
    assert "rolled back" in str(info.value) and "cleanup" in str(info.value)
    assert dao.bar_count("EURUSD", "1m") == 10
    with pytest.raises(DiskFullError):
        with dao.batch():
            dao.log("info", "before the big write", ts=T0)
            dao.upsert_bars(big, "mock")
    assert dao.search("before") == []
    with dao.db.write() as conn:
        conn.execute("PRAGMA max_page_count = 4294967294")
    assert dao.upsert_bars(big, "mock") == 50_000  # usable again once space is back


def test_locked_database_waits_then_succeeds(db_path: Path) -> None:
    dao = PersistDAO(db_path)
    other = apsw.Connection(str(db_path))
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO logs (ts, level, source, run_id, message) "
                  "VALUES (1, 'INFO', 'x', '', 'other process')")
    releaser = threading.Timer(0.4, lambda: other.execute("COMMIT"))
    releaser.start()
    t0 = time.monotonic()
    dao.log("info", "mine", ts=T0)
    assert time.monotonic() - t0 >= 0.3
    releaser.join()
    assert len(dao.search("other OR mine")) == 2
    other.close()
    dao.close()


def test_locked_database_gives_up_with_a_clear_error(db_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage.db, "BUSY_TIMEOUT_MS", 50)
    monkeypatch.setattr(storage.db, "BEGIN_ATTEMPTS", 2)
    dao = PersistDAO(db_path)
    other = apsw.Connection(str(db_path))
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DatabaseLockedError, match="locked"):
            dao.upsert_bars(make_bars(n=3), "mock")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert dao.upsert_bars(make_bars(n=3), "mock") == 3
    dao.close()


def test_missing_directory_and_missing_readonly_file(tmp_path: Path) -> None:
    with pytest.raises(CannotOpenError, match="directory does not exist"):
        PersistDAO(tmp_path / "nope" / "ats.db")
    with pytest.raises(CannotOpenError, match="does not exist"):
        PersistDAO(tmp_path / "absent.db", readonly=True)


def test_nan_from_numpy_views_do_not_corrupt_types(dao: PersistDAO) -> None:
    bars = make_bars(n=4)
    view = bars.slice(1, 3)
    assert dao.upsert_bars(view, "mock") == 2
    assert np.array_equal(dao.read_bars("EURUSD", "1m").ts, view.ts)


def test_chattr_is_available() -> None:
    # The read-only tests rely on chmod (normal users) or chattr (root); make the dependency
    # visible instead of letting a missing tool look like a product bug.
    assert os.geteuid() != 0 or shutil.which("chattr") is not None
