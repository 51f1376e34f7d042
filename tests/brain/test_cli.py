"""``ats run`` and ``ats unlock`` through click's runner, on the mock market and a tmp DB."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ats.brain.locks import KILL
from ats.cli.main import main
from storage.dao import PersistDAO
from tests.brain.helpers import REPO


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("ATS_CONFIG_DIR", str(REPO / "configs"))
    monkeypatch.delenv("MODE", raising=False)
    return CliRunner()


def test_run_paper_on_the_mock_feed_trades_journals_and_summarises(runner: CliRunner,
                                                                   tmp_path: Path) -> None:
    db = tmp_path / "run.db"
    res = runner.invoke(main, ["run", "--paper", "--use-mock-feed", "--max-cycles", "200",
                               "--speed", "600", "--db", str(db), "--run-id", "cli-t"])
    assert res.exit_code == 0, res.output
    assert "Run cli-t summary" in res.output and "Cycle latency" in res.output
    with PersistDAO(db) as dao:
        run = dao.get_run("cli-t")
        assert run is not None and run["ended_ts"] is not None
        summary = run["summary"]
        assert summary["cycles"] == 200
        assert summary["orders"] > 0 and summary["fills"] > 0
        assert len(dao.journal_tail(500, kind="cycle", run_id="cli-t")) == 200
        assert dao.load_fills(run_id="cli-t")
    assert f"{summary['orders']}" in res.output


@pytest.mark.parametrize("args", [["--live"], ["--mode", "live"]])
def test_run_refuses_live(runner: CliRunner, tmp_path: Path, args: list[str]) -> None:
    res = runner.invoke(main, ["run", *args, "--db", str(tmp_path / "x.db")])
    assert res.exit_code == 3 and "refused" in res.output.lower()
    assert not (tmp_path / "x.db").exists()


def test_run_refuses_live_from_the_environment(runner: CliRunner, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODE", "live")
    res = runner.invoke(main, ["run", "--paper", "--db", str(tmp_path / "x.db")])
    assert res.exit_code == 3 and "refused" in res.output.lower()


def test_run_reports_a_broken_config(runner: CliRunner, tmp_path: Path) -> None:
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    for name in ("adapters.yaml", "symbols.yaml", "enable_map.yaml"):
        (cfg / name).write_text((REPO / "configs" / name).read_text())
    (cfg / "governance.yaml").write_text("risk: {base_risk_per_trade: 8}\n")
    res = runner.invoke(main, ["run", "--config-dir", str(cfg), "--db", str(tmp_path / "x.db"),
                               "--max-cycles", "1"])
    out = res.output.replace("\n", "")
    assert res.exit_code == 2 and "governance.yaml" in out and "base_risk_per_trade" in out


def test_mock_feed_is_paper_only(runner: CliRunner, tmp_path: Path) -> None:
    res = runner.invoke(main, ["run", "--mode", "vst", "--use-mock-feed", "--db",
                               str(tmp_path / "x.db"), "--max-cycles", "1"])
    assert res.exit_code == 2 and "paper" in res.output.replace("\n", " ")


def test_unlock_kill_switch_is_journaled(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "u.db"
    with PersistDAO(db) as dao:
        dao.save_lock_state(KILL, {"engaged": True, "reason": "kill switch: dd -3.6%"}, ts=1)
    res = runner.invoke(main, ["unlock", "--kill-switch", "--reason", "venue checked",
                               "--db", str(db)])
    assert res.exit_code == 0, res.output
    with PersistDAO(db) as dao:
        state = dao.load_lock_state(KILL)
        assert state is not None and state["engaged"] is False
        assert state["released_reason"] == "venue checked" and state["released_at"] > 0
        assert any("venue checked" in h.snippet or h.kind == "unlock"
                   for h in dao.search("unlocked"))
    again = runner.invoke(main, ["unlock", "--kill-switch", "--reason", "x", "--db", str(db)])
    assert again.exit_code == 0 and "not engaged" in again.output


def test_unlock_needs_a_target_a_reason_and_a_database(runner: CliRunner,
                                                       tmp_path: Path) -> None:
    db = tmp_path / "none.db"
    assert runner.invoke(main, ["unlock", "--reason", "x", "--db", str(db)]).exit_code == 2
    assert runner.invoke(main, ["unlock", "--kill-switch", "--db", str(db)]).exit_code == 2
    res = runner.invoke(main, ["unlock", "--kill-switch", "--reason", " ", "--db", str(db)])
    assert res.exit_code == 2
    res = runner.invoke(main, ["unlock", "--daily-lock", "--reason", "ok", "--db", str(db)])
    assert res.exit_code == 2 and "does not exist" in " ".join(res.output.split())


def test_sigterm_stops_gracefully_with_a_summary(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    db = tmp_path / "sig.db"
    env = {**os.environ, "ATS_CONFIG_DIR": str(REPO / "configs")}
    env.pop("MODE", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ats", "run", "--paper", "--use-mock-feed", "--speed", "600",
         "--max-seconds", "120", "--db", str(db), "--run-id", "sig"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        assert proc.stdout is not None
        seen = []
        while not any("Run sig" in line for line in seen):  # printed once started
            line = proc.stdout.readline()
            assert line, "".join(seen)
            seen.append(line)
        time.sleep(1.0)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    out = "".join(seen) + out
    assert proc.returncode == 0, out
    assert "Run sig summary" in out
    with PersistDAO(db) as dao:
        run = dao.get_run("sig")
    assert run is not None and run["ended_ts"] is not None and run["summary"]["cycles"] >= 1


def test_run_serves_metrics_when_asked(runner: CliRunner, tmp_path: Path) -> None:
    res = runner.invoke(main, ["run", "--use-mock-feed", "--max-cycles", "2", "--speed", "6000",
                               "--metrics-port", "0", "--db", str(tmp_path / "m.db")])
    assert res.exit_code == 0, res.output
    assert "Metrics on http://127.0.0.1:" in res.output and "/graph" in res.output


async def test_run_options_limits_apply_to_run(tmp_path: Path) -> None:
    from ats.brain.runtime import RunOptions, build_orchestrator
    from ats.domain import FixedClock
    from tests.brain.helpers import START

    clock = FixedClock(START)
    orch = build_orchestrator(RunOptions(config_dir=REPO / "configs", db_path=tmp_path / "o.db",
                                         clock=clock, symbols=("BTC/USDT:USDT",),
                                         timeframes=("1m",), skip_feed_check=True,
                                         max_cycles=4, run_id="lim"), env={})
    await orch.run()
    assert orch.snapshot.cycle == 4 and clock.now_ms() >= START + 4 * 60_000
    await orch.stop()
