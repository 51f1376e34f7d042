"""Cases that need a real process: the environment as a shell sets it, the run scripts,
a full disk during `ats run`, unreachable venues, `--debug`."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import DANGEROUS_ENV, REPO, Outcome, check_one_line, fingerprint

HERE = Path(__file__).resolve().parent


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DANGEROUS_ENV}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["COLUMNS"] = "200"
    env.update(extra)
    return env


def run(cmd: list[str], cwd: Path, timeout: float = 60, **env: str) -> Outcome:
    proc = subprocess.run(cmd, cwd=cwd, env=clean_env(**env), capture_output=True, text=True,
                          timeout=timeout)
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


def ats(*args: str, cwd: Path, timeout: float = 60, **env: str) -> Outcome:
    return run([sys.executable, "-m", "ats", *args], cwd, timeout, **env)


def test_mode_live_sync_exits_3(tmp_path: Path, db: Path, cfg: Path) -> None:
    before = fingerprint(db)
    out = ats("sync", "--once", "--db", str(db), "--config-dir", str(cfg), cwd=tmp_path,
              MODE="live")
    check_one_line(out, 3, "live trading refused", "MODE")
    assert fingerprint(db) == before


def test_run_paper_script_live_exits_3(tmp_path: Path) -> None:
    out = run(["bash", str(REPO / "scripts" / "run_paper.sh"), "--hours", "0.001", "--",
               "--mode", "live"], tmp_path)
    assert out.code == 3, (out.stdout, out.stderr)
    assert "live trading refused" in out.stdout and "Traceback" not in out.stdout + out.stderr
    assert not list((tmp_path / "reports").glob("*")) if (tmp_path / "reports").exists() else True


def test_run_paper_script_bad_hours(tmp_path: Path) -> None:
    out = run(["bash", str(REPO / "scripts" / "run_paper.sh"), "--hours", "abc"], tmp_path)
    check_one_line(out, 2, "--hours", "abc")


# ------------------------------------------------------------------ a full disk during run
def _db_facts(path: Path) -> dict[str, object]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {
            "orders": conn.execute("SELECT client_order_id, status FROM orders").fetchall(),
            "fills": conn.execute("SELECT count(*) FROM fills").fetchone()[0],
            "orphan_fills": conn.execute(
                "SELECT count(*) FROM fills WHERE client_order_id NOT IN "
                "(SELECT client_order_id FROM orders)").fetchone()[0],
            "cycles": conn.execute(
                "SELECT count(*) FROM journal WHERE kind = 'cycle'").fetchone()[0],
            "integrity": conn.execute("PRAGMA integrity_check").fetchone()[0],
        }
    finally:
        conn.close()


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["cap", "cap+fail"])
def test_full_disk_stops_the_run_within_one_cycle(mode: str, tmp_path: Path, cfg: Path) -> None:
    """The issue's worst case: the disk filled and the run went on for 24,113 cycles with
    50,000 tracebacks, exited 0 and left the last order `new`."""
    db = tmp_path / "full.db"
    out = run([sys.executable, str(HERE / "full_disk_run.py"), mode, "run", "--db", str(db),
               "--config-dir", str(cfg), "--speed", "6000", "--max-cycles", "400",
               "--timeframes", "1m,5m", "--run-id", "disk", "--no-metrics"], tmp_path, timeout=120)
    # The run may have warned about its own trading (a lock engaging) before the disk
    # filled; of the fault itself there is one line, the last, and no traceback.
    assert out.code == 4 and "Traceback" not in out.stderr, out.stderr
    errors = [ln for ln in out.lines if not ln.startswith("warning: ")]
    assert len(errors) == 1 and errors[0] == out.lines[-1], out.stderr
    line = errors[0]
    for needle in (str(db), "the run stopped after cycle", "disk is full"):
        assert needle in line, line
    assert len(out.lines) < 10, out.stderr
    assert "Cycles" in out.stdout  # the run's summary is still printed
    stopped_at = int(re.search(r"after cycle (\d+)", line).group(1))  # type: ignore[union-attr]
    facts = _db_facts(db)
    assert facts["integrity"] == "ok"
    assert facts["orphan_fills"] == 0  # committed fills intact, none half-written
    # A paper cycle commits whole or not at all (issue 11): the cycle whose write hit the
    # full disk is rolled back with its order and fill, and the saved paper book is the one
    # from before it — the ledger is consistent, nothing is half there.
    from ats.audit.ledger import read_state

    ledger = read_state(db)
    assert ledger.problems == [] and ledger.lost == 0 and ledger.duplicated == 0
    statuses = dict(facts["orders"])  # type: ignore[arg-type]
    assert "new" not in statuses.values(), statuses  # no order left half-recorded
    # Within one cycle: every cycle before the failing one is journaled, none after it.
    # (the failing cycle's own journal record lands only if it still fit)
    assert facts["cycles"] in (stopped_at - 1, stopped_at)
    if mode == "cap+fail":
        assert "Last order" in line and "filled" in line


# ------------------------------------------------------------------ venues that fail
def test_bingx_auth_failure_one_line_no_unclosed_connector(
        fake_bingx: str, tmp_path: Path, db: Path, cfg: Path) -> None:
    """aiohttp warned "Unclosed connector" after an authentication failure: the venue is
    now closed on every error path (a real process, so the warning would show)."""
    p = cfg / "adapters.yaml"
    p.write_text(p.read_text().replace("base_url: null", f"base_url: {fake_bingx}"))
    out = ats("run", "--max-cycles", "1", "--skip-feed-check", "--no-metrics", "--mode", "vst",
              "--adapter", "bingx", "--db", str(db), "--config-dir", str(cfg), cwd=tmp_path,
              BINGX_API_KEY="wrong-key", BINGX_API_SECRET="wrong-secret")
    assert "Unclosed" not in out.stderr, out.stderr
    check_one_line(out, 1, "credentials")
    assert "wrong-secret" not in out.stderr


def test_copy_of_seed_is_untouched(seeded_db_file: Path, tmp_path: Path) -> None:
    """The session seed is shared: no case may have written to it."""
    copy = tmp_path / "copy.db"
    shutil.copy(seeded_db_file, copy)
    assert fingerprint(copy) == fingerprint(seeded_db_file)


@pytest.mark.parametrize("run_id", ["../../x", "a/b", ".."])
def test_run_paper_script_refuses_unsafe_run_id(run_id: str, tmp_path: Path) -> None:
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    out = run(["bash", str(REPO / "scripts" / "run_paper.sh"), "--hours", "0.001"], work,
              RUN_ID=run_id)
    check_one_line(out, 2, "RUN_ID", "safe run id")
    assert not (work / "logs").exists() and not list(tmp_path.glob("*.log"))
