"""Forward-only migrations: from an empty file and from every earlier version."""

from __future__ import annotations

from pathlib import Path

import apsw
import pytest

from storage import schema
from storage.dao import PersistDAO
from storage.errors import SchemaVersionError
from tests.storage.helpers import T0

EXPECTED_TABLES = {
    "runs", "instruments", "bars", "ticks", "orders", "fills", "positions", "equity_snapshots",
    "signals", "journal", "journal_fts", "logs", "logs_fts", "locks", "sync_state", "sync_logs",
}


def _tables(path: Path) -> set[str]:
    conn = apsw.Connection(str(path))
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()


def test_empty_file_to_latest(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    PersistDAO(path).close()
    assert EXPECTED_TABLES <= _tables(path)
    conn = apsw.Connection(str(path))
    assert schema.user_version(conn) == schema.LATEST >= 2
    conn.close()


@pytest.mark.parametrize("version", range(0, schema.LATEST))
def test_each_earlier_version_to_latest(tmp_path: Path, version: int) -> None:
    path = tmp_path / f"v{version}.db"
    conn = apsw.Connection(str(path))
    schema.migrate(conn, version)
    assert schema.user_version(conn) == version
    if version >= 1:  # data written by an older ATS must survive and become searchable
        conn.execute("INSERT INTO journal (doc, text) VALUES (?, ?)",
                     (f'{{"kind":"lock","run_id":"r0","ts":{T0},"payload":{{}}}}',
                      "daily lock engaged"))
        conn.execute("INSERT INTO logs (ts, level, source, run_id, message) "
                     "VALUES (?, 'INFO', 'ats', '', 'old log about margin')", (T0,))
    conn.close()
    dao = PersistDAO(path)
    try:
        assert EXPECTED_TABLES <= _tables(path)
        with dao.db.read() as c:
            assert schema.user_version(c) == schema.LATEST
        if version >= 1:
            assert [h.source for h in dao.search("daily lock")] == ["journal"]
            assert [h.source for h in dao.search("margin")] == ["log"]
            assert dao.journal_tail(1)[0].kind == "lock"
    finally:
        dao.close()


def test_reopening_latest_is_a_no_op(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    PersistDAO(path).close()
    conn = apsw.Connection(str(path))
    assert schema.migrate(conn) == (schema.LATEST, schema.LATEST)
    conn.close()


def test_failed_migration_leaves_previous_version(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.db"
    PersistDAO(path).close()
    broken = "CREATE TABLE half_done (a); SELECT * FROM no_such_table;"
    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, broken))
    conn = apsw.Connection(str(path))
    with pytest.raises(apsw.SQLError):
        schema.migrate(conn, schema.LATEST + 1)
    assert schema.user_version(conn) == schema.LATEST
    assert "half_done" not in _tables(path)
    conn.close()


def test_newer_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    conn = apsw.Connection(str(path))
    conn.execute(f"PRAGMA user_version = {schema.LATEST + 5}")
    conn.close()
    with pytest.raises(SchemaVersionError, match="newer"):
        PersistDAO(path)


def test_readonly_open_of_old_file_says_to_migrate(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = apsw.Connection(str(path))
    schema.migrate(conn, 1)
    conn.close()
    with pytest.raises(SchemaVersionError, match="read-write"):
        PersistDAO(path, readonly=True)
