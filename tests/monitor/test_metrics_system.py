"""Metric meanings on the real brain (real strategies' plumbing, mock market through the
real adapter factory, real DAO), and the exporter's switches on the real ``ats run``."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from ats.cli.main import main
from ats.monitor.metrics import BrainMetrics
from broker_adapters.paper import PaperBroker
from tests.brain.fakes import ScriptedStrategy
from tests.brain.helpers import REPO, config_dir, cycles, make_brain

REGIMES = ("trend_up", "trend_down", "range_lowvol", "range_highvol", "panic")


def _samples(m: BrainMetrics, name: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for fam in text_string_to_metric_families(generate_latest(m.registry).decode()):
        for s in fam.samples:
            if s.name == name:
                out[",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))] = s.value
    return out


def _silent(ctx: Any) -> list[Any]:
    return []


async def test_strategy_active_follows_regimes_and_locks_as_the_desk_does(tmp_path: Path) -> None:
    """``ats_strategy_active`` = may open a position now under the current regime: the
    strategy the enable map lists for every regime is 1, the one listed for no regime is 0,
    the one listed for a single regime is 1 exactly when a symbol is in it; the desk's
    "enabled" says the same; the kill switch turns them all to 0 / standby."""
    cfg = config_dir(tmp_path, strategies=["everywhere"])
    em = yaml.safe_load((cfg / "enable_map.yaml").read_text())
    em["regimes"] = {r: ["everywhere"] + (["panic_only"] if r == "panic" else [])
                     for r in REGIMES}
    (cfg / "enable_map.yaml").write_text(yaml.safe_dump(em))
    strategies = {n: ScriptedStrategy(n, _silent)
                  for n in ("everywhere", "panic_only", "nowhere")}
    orch, clock = make_brain(tmp_path, strategies, cfg=cfg)
    metrics = BrainMetrics()
    orch.add_sink(metrics.update)
    await orch.start()
    snap = (await cycles(orch, clock, 3))[-1]
    current = {rv.regime.value for rv in snap.regimes}
    assert current, "the regime agent classified no symbol"
    active = _samples(metrics, "ats_strategy_active")
    want = {"everywhere": 1.0, "panic_only": 1.0 if "panic" in current else 0.0,
            "nowhere": 0.0}
    assert {k.removeprefix("strategy="): v for k, v in active.items()} == want
    assert _samples(metrics, "ats_active_strategies")[""] == sum(want.values())
    desk = {v.name: v.status for v in snap.strategies}
    assert desk["everywhere"] == "enabled" and desk["nowhere"] == "standby"
    assert desk["panic_only"] == ("enabled" if "panic" in current else "standby")

    await orch.engage_kill_switch("test")
    snap = (await cycles(orch, clock, 1))[-1]
    assert set(_samples(metrics, "ats_strategy_active").values()) == {0.0}
    assert _samples(metrics, "ats_active_strategies")[""] == 0.0
    assert _samples(metrics, "ats_kill_switch_engaged") == {"cause=drawdown": 0.0,
                                                            "cause=manual": 1.0}
    assert {v.status for v in snap.strategies} == {"standby"}
    await orch.stop()


async def test_venue_round_trips_are_timed_through_a_transparent_wrapper(tmp_path: Path) -> None:
    cfg = config_dir(tmp_path, strategies=["everywhere"])
    orch, clock = make_brain(tmp_path, {"everywhere": ScriptedStrategy("everywhere", _silent)},
                             cfg=cfg)
    assert isinstance(orch.adapter, PaperBroker) and orch.book_venue == "paper:mock"
    metrics = BrainMetrics()
    orch.add_sink(metrics.update)
    await orch.start()
    await cycles(orch, clock, 2)
    counts = _samples(metrics, "ats_venue_latency_seconds_count")
    assert counts.get("method=latest_bars", 0) > 0, counts
    assert all(v >= 0 for v in _samples(metrics, "ats_venue_latency_seconds_sum").values())
    assert _samples(metrics, "ats_stage_latency_seconds_count")["stage=regime"] >= 2
    await orch.stop()


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("ATS_CONFIG_DIR", str(REPO / "configs"))
    return CliRunner()


def _run(runner: CliRunner, tmp_path: Path, *extra: str) -> Any:
    return runner.invoke(main, ["run", "--paper", "--use-mock-feed", "--max-cycles", "3",
                                "--speed", "600", "--db", str(tmp_path / "m.db"), *extra])


def test_run_serves_metrics_by_default_at_prometheus_port(runner: CliRunner,
                                                          tmp_path: Path) -> None:
    res = _run(runner, tmp_path)  # conftest sets PROMETHEUS_PORT=0: any free port
    assert res.exit_code == 0, res.output
    assert "Metrics on http://127.0.0.1:" in res.output


def test_no_metrics_turns_the_exporter_off(runner: CliRunner, tmp_path: Path) -> None:
    res = _run(runner, tmp_path, "--no-metrics")
    assert res.exit_code == 0, res.output
    assert "Metrics on" not in res.output and "summary" in res.output


def test_busy_metrics_port_warns_once_and_the_run_goes_on(runner: CliRunner, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        monkeypatch.setenv("PROMETHEUS_PORT", str(port))
        res = _run(runner, tmp_path)
    assert res.exit_code == 0, res.output
    warning = [ln for ln in res.output.splitlines() if "metrics not served" in ln]
    assert len(warning) == 1 and str(port) in warning[0], res.output
    assert "Metrics on" not in res.output and "summary" in res.output


@pytest.mark.parametrize(("args", "env_port", "port"), [
    ([], "0", 0), ([], "19464", 19464), (["--metrics-port", "5555"], "19464", 5555),
    (["--no-metrics"], "19464", None),
])
def test_the_desk_serves_metrics_by_default_unless_told_not_to(
    args: list[str], env_port: str, port: int | None, monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from ats.cli import tui_cmd

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PROMETHEUS_PORT", env_port)
    ports: list[int | None] = []
    monkeypatch.setattr(tui_cmd, "run_desk", lambda opts, p=None: ports.append(p))
    res = CliRunner().invoke(main, ["tui", "--paper", "--db", str(tmp_path / "d.db"), *args])
    assert res.exit_code == 0, res.output
    assert ports == [port]
