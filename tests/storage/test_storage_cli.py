"""`ats sync`, `ats db ...` and `ats search` through click's CliRunner."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ats.cli.main import main
from ats.domain import RealClock
from storage.dao import PersistDAO
from storage.protocol import EquityPoint
from storage.schema import LATEST

DAY = 86_400_000


def run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, list(args))
    assert not isinstance(res.exception, Exception) or isinstance(res.exception, SystemExit), (
        res.exception)
    return res.exit_code, " ".join(res.output.split())  # rich wraps at 80 columns


def test_sync_once_then_rerun_adds_nothing(tmp_path: Path, configs_copy: Path) -> None:
    db = tmp_path / "ats.db"
    args = ("sync", "--adapter", "mock", "--symbols", "EURUSD,XAUUSD", "--timeframes", "4h",
            "--once", "--db", str(db), "--config-dir", str(configs_copy), "--seed", "3")
    code, out = run(*args)
    assert code == 0, out
    assert "Sync summary (mock)" in out and "4,000 new row(s), 0 error(s)" in out
    code, out = run(*args)
    assert code == 0 and "0 new row(s)" in out
    dao = PersistDAO(db)
    try:
        assert dao.bar_count("XAUUSD", "4h") == 2000
    finally:
        dao.close()


def test_sync_follow_a_few_polls(tmp_path: Path, configs_copy: Path) -> None:
    code, out = run("sync", "--adapter", "mock", "--symbols", "EURUSD", "--timeframes", "1h",
                    "--follow", "--max-polls", "2", "--speed", "100000", "--ticks",
                    "--db", str(tmp_path / "a.db"), "--config-dir", str(configs_copy))
    assert code == 0, out
    assert "2 poll(s)" in out and "ticks" in out


@pytest.mark.parametrize(("args", "code", "needle"), [
    (("--live",), 3, "live trading refused"),
    (("--mode", "live"), 3, "live trading refused"),
    (("--since", "yesterday"), 2, "is not a date"),
    (("--timeframes", "7m"), 2, "unknown timeframe '7m'"),
    (("--adapter", "nyse"), 2, "unknown adapter 'nyse'"),
])
def test_sync_bad_arguments(tmp_path: Path, configs_copy: Path, args: tuple[str, ...],
                            code: int, needle: str) -> None:
    got, out = run("sync", "--once", "--db", str(tmp_path / "a.db"), "--config-dir",
                   str(configs_copy), *args)
    assert got == code, out
    assert needle in out


def test_sync_on_a_corrupt_file_fails_cleanly(tmp_path: Path, configs_copy: Path) -> None:
    db = tmp_path / "bad.db"
    db.write_bytes(b"garbage" * 1000)
    code, out = run("sync", "--once", "--adapter", "mock", "--db", str(db), "--config-dir",
                    str(configs_copy))
    assert code == 4 and "not an SQLite database" in out and "Traceback" not in out


@pytest.fixture
def filled_db(tmp_path: Path) -> Path:
    db = tmp_path / "ats.db"
    now = RealClock().now_ms()
    dao = PersistDAO(db)
    dao.journal("lock", {}, ts=now - 200 * DAY, run_id="r1", text="Kill switch engaged [old]")
    dao.journal("cycle", {}, ts=now - DAY, run_id="r1", text="regime trend_up, no trades")
    dao.record_equity(EquityPoint(now - 200 * DAY, 1.0, 1.0, 0.0, 0.0, "r1"))
    dao.record_equity(EquityPoint(now - DAY, 1.0, 1.0, 0.0, 0.0, "r1"))
    dao.log("warning", "kill switch reset", ts=now - 2 * DAY)
    dao.close()
    return db


def test_db_stats_check_backup(filled_db: Path, tmp_path: Path) -> None:
    code, out = run("db", "stats", "--db", str(filled_db))
    assert code == 0 and "journal" in out and f"schema v{LATEST}" in out and "WAL" in out
    code, out = run("db", "check", "--db", str(filled_db))
    assert code == 0 and "healthy" in out
    code, out = run("db", "backup", str(tmp_path / "b" / "copy.db"), "--db", str(filled_db))
    assert code == 0 and (tmp_path / "b" / "copy.db").exists()
    code, out = run("search", "kill", "--db", str(tmp_path / "b" / "copy.db"))
    assert code == 0 and "2 hit(s)" in out


def test_db_cleanup(filled_db: Path, tmp_path: Path) -> None:
    code, out = run("db", "cleanup", "--older-than", "90d", "--db", str(filled_db),
                    "--archive-dir", str(tmp_path / "arch"))
    assert code == 0, out
    assert "equity_snapshots" in out and len(list((tmp_path / "arch").glob("*.parquet"))) == 2
    code, out = run("db", "cleanup", "--older-than", "90d", "--db", str(filled_db),
                    "--archive-dir", str(tmp_path / "arch"))
    assert code == 0 and "Nothing older" in out
    code, out = run("db", "cleanup", "--older-than", "ninety", "--db", str(filled_db))
    assert code == 2 and "not an age" in out


def test_db_cleanup_default_archive_dir(filled_db: Path) -> None:
    code, out = run("db", "cleanup", "--older-than", "2w", "--db", str(filled_db))
    assert code == 0, out
    assert len(list((filled_db.parent / "archive").glob("journal_*.parquet"))) == 1


def test_db_check_fails_on_problems(filled_db: Path) -> None:
    import apsw

    conn = apsw.Connection(str(filled_db))
    conn.execute("INSERT INTO fills VALUES ('v','f','c','ghost','S','buy',1,1,0,1,'taker','',"
                 "NULL, 'paper')")
    conn.close()
    code, out = run("db", "check", "--db", str(filled_db))
    assert code == 4 and "foreign key" in out


def test_db_commands_on_a_corrupt_file(tmp_path: Path) -> None:
    bad = tmp_path / "x.db"
    bad.write_bytes(b"\x00not sqlite" * 500)
    for cmd in (("db", "stats"), ("db", "check"), ("search", "kill")):
        code, out = run(*cmd, "--db", str(bad))
        assert code == 4 and "ats db backup" in out, out


def test_search_table_and_bad_queries(filled_db: Path) -> None:
    code, out = run("search", "kill", "switch", "--db", str(filled_db))
    assert code == 0 and "2 hit(s)" in out and "journal" in out and "log" in out
    code, out = run("search", "trend_up", "--limit", "1", "--db", str(filled_db))
    assert code == 0 and "1 hit(s)" in out
    code, out = run("search", "nothing-like-this", "--db", str(filled_db))
    assert code == 0 and "No matches" in out
    code, out = run("search", "NEAR(", "--db", str(filled_db))
    assert code == 0 and "No matches" in out  # searched as the literal word NEAR
    for nasty in ('"', "*", "-", "((", "^"):
        code, out = run("search", nasty, "--db", str(filled_db))
        assert code == 2 and "Error" in out and "Traceback" not in out
    code, out = run("--lang", "ru", "search", "(", "--db", str(filled_db))
    assert code == 2 and "Некорректный запрос" in out


def test_db_commands_refuse_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    for cmd in (("db", "stats"), ("db", "check"), ("db", "cleanup"), ("search", "kill"),
                ("db", "backup", str(tmp_path / "b.db"))):
        code, out = run(*cmd, "--db", str(missing))
        assert code == 2 and "no database at" in out, (cmd, out)
    assert not missing.exists()
