"""The account survives restarts: a second `ats run` continues the first one's ledger."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from storage.dao import PersistDAO
from tests.account.helpers import ats, rows, state

RUN = ["run", "--paper", "--use-mock-feed", "--speed", "20000"]


@pytest.mark.slow
def test_consecutive_runs_keep_every_fill_and_continue_the_account(tmp_path: Path) -> None:
    db = tmp_path / "acct.db"
    first = ats(*RUN, "--max-cycles", "120", "--db", str(db), "--run-id", "r1")
    assert first.returncode == 0, first.stderr
    committed = state(db, "portfolio")
    venue = state(db, "paper_venue")
    assert committed is not None and venue is not None
    last_cycle = rows(db, "SELECT max(ts) FROM journal WHERE kind='cycle' AND run_id='r1'")[0][0]
    # the same run id again: ids must still not collide (they carry a session token)
    second = ats(*RUN, "--max-cycles", "120", "--db", str(db), "--run-id", "r1b")
    assert second.returncode == 0, second.stderr
    with PersistDAO(db) as dao:
        for rid in ("r1", "r1b"):
            run = dao.get_run(rid)
            assert run is not None and run["ended_ts"] is not None
            assert len(dao.load_fills(run_id=rid)) == run["summary"]["fills"]
        assert dao.get_run("r1")["summary"]["fills"] > 0
        restored = [r for r in dao.journal_tail(50, kind="account", run_id="r1b")
                    if "restored" in r.text]
    assert restored, "the second run did not restore the account"
    doc = restored[0].payload
    # cash and positions come back exactly as the first run committed them
    assert doc["balance"] == pytest.approx(venue["balance"], abs=1e-6)
    assert doc["positions"] == {s: p[0] for s, p in venue["positions"].items() if p[0]}
    # the simulated clock continues after the last committed cycle, never before it
    first_new = rows(db, "SELECT min(ts) FROM journal WHERE kind='cycle' AND run_id='r1b'")[0][0]
    assert last_cycle < first_new <= last_cycle + 2 * 60_000
    # one account, one set of fills: nothing of the first run was overwritten
    n = rows(db, "SELECT count(*), count(DISTINCT fill_id) FROM fills")[0]
    assert n[0] == n[1] and n[0] == sum(
        json.loads(r[0])["fills"] for r in rows(db, "SELECT summary FROM runs"))


def test_a_second_trading_process_on_one_account_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "twin.db"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with PersistDAO(db) as dao:
            dao.ensure_account("paper", currency="USD", starting_equity=10_000, ts=1)
            dao.acquire_account("run-other", since_ms=1_700_000_000_000, pid=sleeper.pid)
        res = ats(*RUN, "--max-cycles", "2", "--db", str(db))
        assert res.returncode != 0
        err = " ".join(res.stderr.split())
        assert f"pid {sleeper.pid}" in err and "run-other" in err and "since" in err
        # a reader beside it keeps working
        shown = ats("account", "show", "paper", "--db", str(db))
        assert shown.returncode == 0 and "run-other" in shown.stdout
        assert rows(db, "SELECT count(*) FROM runs")[0][0] == 0  # the twin wrote nothing
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_lock_left_by_a_dead_process_is_taken_over_and_journaled(tmp_path: Path) -> None:
    db = tmp_path / "stale.db"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with PersistDAO(db) as dao:
        dao.ensure_account("paper", currency="USD", starting_equity=10_000, ts=1)
        dao.acquire_account("run-dead", since_ms=1_700_000_000_000, pid=dead.pid)
    res = ats(*RUN, "--max-cycles", "2", "--db", str(db), "--run-id", "alive")
    assert res.returncode == 0, res.stderr
    texts = [r[0] for r in rows(db, "SELECT text FROM journal WHERE kind = 'account'")]
    assert any(f"pid {dead.pid}" in t and "run-dead" in t for t in texts)
    assert rows(db, "SELECT count(*) FROM account_holders")[0][0] == 0  # released at the end


def test_a_killed_run_is_closed_by_the_next_one(tmp_path: Path) -> None:
    import signal
    import time

    from tests.account.helpers import spawn

    db = tmp_path / "k.db"
    proc = spawn(*RUN, "--max-cycles", "100000", "--db", str(db), "--run-id", "killed")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.2)
        try:
            if state(db, "clock") is not None:
                break  # at least one cycle committed
        except Exception:  # the file or its tables are not there yet
            continue
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    last = state(db, "clock")["cycle_ts"]
    res = ats(*RUN, "--max-cycles", "2", "--db", str(db), "--run-id", "next")
    assert res.returncode == 0, res.stderr
    ended, summary = rows(db, "SELECT ended_ts, summary FROM runs WHERE run_id = 'killed'")[0]
    assert ended == last and "process gone" in summary


def test_speed_that_is_not_finite_and_positive_is_refused(tmp_path: Path) -> None:
    for bad in ("nan", "inf", "0", "-5", "fast"):
        res = ats("run", "--speed", bad, "--db", str(tmp_path / "s.db"))
        assert res.returncode == 2
        assert len(res.stderr.strip().splitlines()) <= 2 and "--speed" in res.stderr
    assert not (tmp_path / "s.db").exists()


def test_unknown_account_is_refused_and_a_new_one_starts_clean(tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    res = ats(*RUN, "--max-cycles", "1", "--db", str(db), "--account", "nope")
    assert res.returncode != 0 and "ats account new nope" in " ".join(res.stderr.split())
    made = ats("account", "new", "small", "--equity", "2500", "--db", str(db))
    assert made.returncode == 0, made.stderr
    assert ats("account", "new", "small", "--db", str(db)).returncode != 0  # never overwritten
    ok = ats(*RUN, "--max-cycles", "3", "--db", str(db), "--account", "small")
    assert ok.returncode == 0, ok.stderr
    assert state(db, "portfolio", "small")["equity"] == pytest.approx(2500, rel=0.05)
    assert os.path.exists(db)


def test_the_mock_market_of_an_account_keeps_its_seed(tmp_path: Path) -> None:
    """A restart with another --seed would move the account's positions into another
    market's prices: refused with one line naming the seed it trades; the same seed (given or
    left out) continues, and another account may take another seed."""
    db = tmp_path / "seed.db"
    first = ats(*RUN, "--max-cycles", "3", "--db", str(db), "--seed", "7")
    assert first.returncode == 0, first.stderr
    other = ats(*RUN, "--max-cycles", "1", "--db", str(db), "--seed", "8")
    said = " ".join(other.stderr.split())
    assert other.returncode == 2, other.stderr
    assert "account paper trades the mock market of seed 7" in said and "--seed 7" in said
    assert "Traceback" not in other.stderr
    again = ats(*RUN, "--max-cycles", "1", "--db", str(db), "--seed", "7")
    assert again.returncode == 0, again.stderr
    made = ats("account", "new", "b", "--db", str(db))
    assert made.returncode == 0, made.stderr
    ok = ats(*RUN, "--max-cycles", "1", "--db", str(db), "--account", "b", "--seed", "8")
    assert ok.returncode == 0, ok.stderr
    assert state(db, "clock", "b")["mock_seed"] == 8 and state(db, "clock")["mock_seed"] == 7
