"""kill -9 in the middle of a sync: the file stays sound and a rerun resumes exactly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import apsw

from ats.domain import timeframe_ms
from storage.dao import PersistDAO
from storage.maintenance import check

SYMBOLS = "EURUSD,BTC/USDT:USDT,XAUUSD"
TIMEFRAMES = ("1m", "5m")


def _sync_cmd(db: Path, configs: Path) -> list[str]:
    return [
        sys.executable, "-c", "from ats.cli.main import main; main()", "sync", "--adapter",
        "mock", "--symbols", SYMBOLS, "--timeframes", ",".join(TIMEFRAMES), "--once",
        "--batch-size", "7", "--db", str(db), "--config-dir", str(configs), "--seed", "11",
    ]


def _cursor_rows(db: Path) -> int:
    try:
        conn = apsw.Connection(str(db), flags=apsw.SQLITE_OPEN_READONLY)
    except apsw.Error:
        return 0
    try:
        conn.setbusytimeout(1000)
        return int(conn.execute("SELECT count(*) FROM sync_state").fetchall()[0][0])
    except apsw.Error:
        return 0
    finally:
        conn.close()


def _targets_consistent(dao: PersistDAO) -> dict[tuple[str, str], tuple[int, int]]:
    """Every cursor equals its last stored bar and the bars have no gap; returns spans."""
    spans: dict[tuple[str, str], tuple[int, int]] = {}
    for source, symbol, tf, stream, cursor in dao.cursors():
        if stream != "bars":
            continue
        assert source == "mock"
        ts = dao.read_bars(symbol, tf).ts
        assert len(ts) and int(ts[-1]) == cursor, (symbol, tf)
        assert ((ts[1:] - ts[:-1]) == timeframe_ms(tf)).all(), (symbol, tf)
        spans[(symbol, tf)] = (int(ts[0]), int(ts[-1]))
    with dao.db.read() as conn:
        stored = {(s, tf) for s, tf in conn.execute(
            "SELECT DISTINCT symbol, timeframe FROM bars")}
    assert stored == set(spans)  # no rows without a cursor covering them
    return spans


def test_kill_9_mid_batch_then_resume(tmp_path: Path, configs_copy: Path) -> None:
    db = tmp_path / "crash.db"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(_sync_cmd(db, configs_copy), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=env, cwd=tmp_path)
    deadline = time.monotonic() + 60
    try:
        while _cursor_rows(db) < 2:  # progress: some batches of a couple of targets committed
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "sync made no progress"
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL  # it really died mid-run, not at the end

    dao = PersistDAO(db)
    try:
        assert check(dao) == []
        before = _targets_consistent(dao)
        assert before
        counts_before = {k: dao.bar_count(*k) for k in before}
    finally:
        dao.close()

    done = subprocess.run(_sync_cmd(db, configs_copy), capture_output=True, env=env,
                          cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()

    dao = PersistDAO(db)
    try:
        assert check(dao) == []
        after = _targets_consistent(dao)
        assert len(after) == 3 * len(TIMEFRAMES)
        for key, (first, last) in before.items():
            assert after[key][0] == first  # resumed from the cursor, not a fresh backfill
            assert after[key][1] >= last
            assert dao.bar_count(*key) >= counts_before[key]
        with dao.db.read() as conn:
            dupes = conn.execute("SELECT count(*) - count(DISTINCT symbol || timeframe || ts) "
                                 "FROM bars").fetchall()[0][0]
        assert dupes == 0
    finally:
        dao.close()


def test_sigterm_stops_follow_cleanly(tmp_path: Path, configs_copy: Path) -> None:
    db = tmp_path / "term.db"
    cmd = _sync_cmd(db, configs_copy)
    cmd[cmd.index("--once")] = "--follow"
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"}, cwd=tmp_path)
    deadline = time.monotonic() + 60
    try:
        while _cursor_rows(db) < 1:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "sync made no progress"
            time.sleep(0.01)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    text = " ".join(out.decode().split())
    assert proc.returncode == 0, text + err.decode()
    assert "Stopped on request" in text and "Traceback" not in err.decode()
    dao = PersistDAO(db)
    try:
        assert check(dao) == []
        _targets_consistent(dao)
        assert dao.sync_logs()[-1].phase == "run"
    finally:
        dao.close()
