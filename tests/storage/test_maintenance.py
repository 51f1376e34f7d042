"""Stats, online backup while writing, retention to Parquet (readable back), integrity check."""

from __future__ import annotations

import threading
from pathlib import Path

import apsw
import pytest

from storage.dao import PersistDAO
from storage.errors import StorageError
from storage.maintenance import backup, check, cleanup, read_archive, stats
from storage.protocol import EquityPoint
from storage.schema import LATEST
from tests.storage.helpers import T0, make_bars

DAY = 86_400_000


def fill(dao: PersistDAO) -> None:
    for i in range(10):
        ts = T0 + i * DAY
        dao.record_equity(EquityPoint(ts, 10_000 + i, 10_000, -0.01 * i, 1.0, "r1"))
        dao.journal("cycle", {"i": i}, ts=ts, run_id="r1", text=f"cycle number {i} quiet")
        with dao.db.write() as conn:
            conn.execute("INSERT INTO ticks VALUES ('mock', 'EURUSD', ?, 1.1, 1.2, 1, 1, NULL)",
                         (ts,))


def test_stats(dao: PersistDAO) -> None:
    dao.upsert_bars(make_bars(n=7), "mock")
    s = stats(dao)
    assert s.rows["bars"] == 7 and s.rows["journal"] == 0 and s.user_version == LATEST
    assert s.file_bytes > 0 and s.wal_bytes >= 0


def test_backup_while_another_thread_writes(dao: PersistDAO, tmp_path: Path) -> None:
    dao.upsert_bars(make_bars(n=20_000), "mock")
    stop = threading.Event()

    def writer() -> None:
        i = 0
        while not stop.is_set():
            dao.log("info", f"busy {i}", ts=T0 + i)
            i += 1

    th = threading.Thread(target=writer)
    th.start()
    try:
        out = backup(dao, tmp_path / "copies", pages_per_step=8)
    finally:
        stop.set()
        th.join()
    copy = PersistDAO(out)
    try:
        assert copy.bar_count("EURUSD", "1m") == 20_000
        assert check(copy) == []
    finally:
        copy.close()
    with pytest.raises(StorageError, match="itself"):
        backup(dao, dao.path)


def test_cleanup_archives_then_deletes_in_one_go(dao: PersistDAO, tmp_path: Path) -> None:
    fill(dao)
    cutoff = T0 + 4 * DAY
    res = cleanup(dao, cutoff_ms=cutoff, archive_dir=tmp_path / "archive", stamp="s1")
    assert res.deleted == {"equity_snapshots": 4, "ticks": 4, "journal": 4}
    eq = read_archive(res.archives["equity_snapshots"]).to_pylist()
    assert [r["ts"] for r in eq] == [T0 + i * DAY for i in range(4)]
    assert eq[0]["equity"] == 10_000 and eq[3]["run_id"] == "r1"
    journal = read_archive(res.archives["journal"]).to_pylist()
    assert journal[0]["text"] == "cycle number 0 quiet" and journal[0]["kind"] == "cycle"
    assert read_archive(res.archives["ticks"]).num_rows == 4
    assert len(dao.equity_series()) == 6 and len(dao.journal_tail(50)) == 6
    assert [h.ts for h in dao.search("number")][-1] == T0 + 4 * DAY  # FTS follows deletes
    assert check(dao) == []
    again = cleanup(dao, cutoff_ms=cutoff, archive_dir=tmp_path / "archive", stamp="s2")
    assert again.deleted == {"equity_snapshots": 0, "ticks": 0, "journal": 0}
    assert again.archives == {}


def test_cleanup_that_fails_deletes_nothing_and_leaves_no_archive(
        dao: PersistDAO, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fill(dao)
    import storage.maintenance as m

    real = m._write_parquet
    calls = {"n": 0}

    def second_fails(path: Path, names: list[str], rows: list[tuple[object, ...]]) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise StorageError("disk full while archiving", path=path)
        real(path, names, rows)

    monkeypatch.setattr(m, "_write_parquet", second_fails)
    adir = tmp_path / "archive"
    with pytest.raises(StorageError, match="disk full"):
        cleanup(dao, cutoff_ms=T0 + 5 * DAY, archive_dir=adir, stamp="x")
    assert list(adir.iterdir()) == []
    assert len(dao.equity_series()) == 10 and len(dao.journal_tail(50)) == 10


def test_check_reports_foreign_key_and_index_problems(dao: PersistDAO) -> None:
    dao.journal("cycle", {}, ts=T0, run_id="r", text="alpha beta")
    assert check(dao) == []
    conn = apsw.Connection(str(dao.path))
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("INSERT INTO equity_snapshots (run_id, ts, equity, balance, drawdown_pct, "
                 "daily_pnl) VALUES ('ghost', 1, 1, 1, 0, 0)")
    conn.execute("DROP TRIGGER journal_ai")
    conn.execute("INSERT INTO journal (doc, text) VALUES "
                 "('{\"kind\":\"x\",\"run_id\":\"r\",\"ts\":1}', 'unindexed words')")
    conn.close()
    problems = check(dao)
    assert any("foreign key" in p and "equity_snapshots" in p for p in problems)
    assert any("journal_fts" in p for p in problems)
