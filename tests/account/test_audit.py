"""`ats audit` recomputes the invariants from the ledger and the journal; breaches fail it."""

from __future__ import annotations

import json
from pathlib import Path

import apsw
import pytest

from ats.audit import last_verdict
from storage.dao import PersistDAO
from tests.account.helpers import ats

RUN = ["run", "--paper", "--use-mock-feed", "--speed", "20000"]


@pytest.fixture(scope="module")
def traded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("audit") / "a.db"
    res = ats(*RUN, "--max-cycles", "150", "--db", str(db), "--run-id", "a1")
    assert res.returncode == 0, res.stderr
    return db


def test_a_clean_account_passes_and_the_verdict_is_stored(traded: Path) -> None:
    res = ats("audit", "--db", str(traded))
    assert res.returncode == 0, res.stdout + res.stderr
    out = " ".join(res.stdout.split())
    assert "positions = sum of fills" in out and "All invariants held" in out
    with PersistDAO(traded) as dao:
        v = last_verdict(dao, "paper")
    assert v is not None and v.ok and v.breaches == 0
    status = traded.with_name(traded.name + ".audit.json")  # for the metrics exporter
    assert json.loads(status.read_text())["breaches"] == 0
    assert ats("audit", "--db", str(traded), "--run", "a1").returncode == 0
    assert ats("audit", "--db", str(traded), "--run", "nope").returncode == 2


def test_a_day_past_the_limit_without_the_lock_is_a_breach(traded: Path,
                                                          tmp_path: Path) -> None:
    db = tmp_path / "tampered.db"
    db.write_bytes(traded.read_bytes())
    conn = apsw.Connection(str(db))
    ts, eq = list(conn.execute("SELECT ts, equity FROM equity_snapshots ORDER BY ts DESC "
                               "LIMIT 1"))[0]
    # the day dropped 3 % and no lock was journaled for it
    conn.execute("INSERT INTO equity_snapshots (account, run_id, ts, equity, balance, "
                 "drawdown_pct, daily_pnl) VALUES ('paper', 'a1', ?, ?, ?, 0, 0)",
                 (ts + 1, eq * 0.96, eq * 0.96))
    conn.execute("DELETE FROM journal WHERE kind = 'lock'")
    conn.close()
    res = ats("audit", "--db", str(db))
    assert res.returncode == 1
    out = " ".join(res.stdout.split())
    assert "without a daily lock" in out
    with PersistDAO(db) as dao:
        v = last_verdict(dao, "paper")
        assert v is not None and not v.ok and v.breaches >= 1
        report = dao.last_audit("paper")["report"]
    names = {c["name"]: c["breaches"] for c in report["checks"]}
    assert names["daily lock fired on every day past the limit"] == 1


def test_a_fill_missing_from_the_ledger_is_a_breach(traded: Path, tmp_path: Path) -> None:
    db = tmp_path / "lost.db"
    db.write_bytes(traded.read_bytes())
    conn = apsw.Connection(str(db))
    fid, = list(conn.execute("SELECT fill_id FROM fills ORDER BY ts DESC LIMIT 1"))[0]
    conn.execute("DELETE FROM fills WHERE fill_id = ?", (fid,))
    conn.close()
    res = ats("audit", "--db", str(db))
    assert res.returncode == 1
    with PersistDAO(db) as dao:
        report = dao.last_audit("paper")["report"]
    names = {c["name"]: c["breaches"] for c in report["checks"]}
    assert names["every filled order has its fills"] >= 1
    assert json.dumps(report)  # the stored report is plain JSON for the desk
