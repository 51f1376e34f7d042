from __future__ import annotations

import json
import logging
import socket
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ats.brain.latency import LATENCY_BUCKETS_S
from ats.brain.state import (
    AgentView,
    BrainSnapshot,
    EdgeView,
    LatencyView,
    RegimeView,
    RiskView,
    StrategyView,
    ToolStat,
)
from ats.domain import Regime
from ats.monitor.audit_status import write_audit_status
from ats.monitor.exporter import ExporterPortInUse, MetricsServer
from ats.monitor.metrics import BrainMetrics
from ats.monitor.telemetry import TelemetryExporter


def _samples(metrics: BrainMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    from prometheus_client import generate_latest

    out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for fam in text_string_to_metric_families(generate_latest(metrics.registry).decode()):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _snap(cycle: int, **kw: object) -> BrainSnapshot:
    base = BrainSnapshot(
        cycle=cycle,
        cycle_latency_ms=4.0,
        regimes=(RegimeView("BTC", Regime.PANIC, 3, 0),),
        risk=RiskView(trailing_dd=-0.012, daily_pnl=-0.004, safe_mode=True, kill_switch=False),
        tool_stats={"place_order": ToolStat(calls=cycle * 2, errors=0, total_ms=1, last_ms=0.5)},
        orders_total=cycle,
        rejections={"daily lock": cycle},
        spread_bps={"BTC": 2.5},
        edges=(EdgeView("brain", "regime", True), EdgeView("risk", "exec", False)),
        agents=(AgentView("brain"), AgentView("risk", "error", last_error="boom")),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_snapshot_becomes_contract_metrics() -> None:
    m = BrainMetrics()
    m.update(_snap(1))
    m.update(_snap(3))
    s = _samples(m)
    # agent_state by the seed's contract: 1 OK, 0 ERR, 2 WARN
    assert s[("ats_agent_state", (("agent", "risk"),))] == 0.0
    assert s[("ats_agent_state", (("agent", "brain"),))] == 1.0
    assert s[("ats_agent_edge_active", (("id", "brain->regime"), ("source", "brain"),
                                        ("target", "regime")))] == 1.0
    assert s[("ats_regime_label", (("regime", "panic"), ("symbol", "BTC")))] == 1.0
    assert s[("ats_regime_label", (("regime", "trend_up"), ("symbol", "BTC")))] == 0.0
    # ratios, not percent or basis points
    assert s[("ats_drawdown_ratio", ())] == pytest.approx(-0.012)
    assert s[("ats_daily_pnl_ratio", ())] == pytest.approx(-0.004)
    assert s[("ats_spread_ratio", (("symbol", "BTC"),))] == pytest.approx(0.00025)
    assert s[("ats_safe_mode_engaged", ())] == 1.0
    assert s[("ats_kill_switch_engaged", (("cause", "manual"),))] == 0.0
    # counters follow the cumulative snapshot totals, not the number of updates
    assert s[("ats_tool_calls_total", (("tool", "place_order"),))] == 6.0
    assert s[("ats_orders_total", ())] == 3.0
    assert s[("ats_rejections_total", (("reason", "daily lock"),))] == 3.0
    assert s[("ats_cycles_total", ())] == 3.0
    assert s[("ats_cycle_latency_seconds_count", ())] == 2.0


def test_latency_histograms_add_the_difference_between_snapshots() -> None:
    """Stage, tool and venue latencies are histograms built from cumulative bucket counts:
    the second snapshot adds only what is new, and a brain restarted in the same process
    (counts lower than before) adds its counts instead of going backwards."""
    n = len(LATENCY_BUCKETS_S) + 1

    def view(k: int, total: float) -> LatencyView:
        counts = [0] * n
        counts[3] = k  # 2.5 ms < x <= 5 ms
        return LatencyView(tuple(counts), total)

    m = BrainMetrics()
    m.update(_snap(1, venue_latency={"quote": view(2, 0.006)},
                   stage_latency={"exec": view(1, 0.004)}))
    m.update(_snap(2, venue_latency={"quote": view(5, 0.015)},
                   stage_latency={"exec": view(2, 0.008)}))
    s = _samples(m)
    assert s[("ats_venue_latency_seconds_count", (("method", "quote"),))] == 5.0
    assert s[("ats_venue_latency_seconds_bucket", (("le", "0.0025"), ("method", "quote")))] == 0.0
    assert s[("ats_venue_latency_seconds_bucket", (("le", "0.005"), ("method", "quote")))] == 5.0
    assert s[("ats_venue_latency_seconds_sum", (("method", "quote"),))] == pytest.approx(0.015)
    assert s[("ats_stage_latency_seconds_count", (("stage", "exec"),))] == 2.0
    m.update(_snap(3, venue_latency={"quote": view(1, 0.003)}))  # a new brain object
    assert _samples(m)[("ats_venue_latency_seconds_count", (("method", "quote"),))] == 6.0


def test_strategy_active_means_may_open_now() -> None:
    m = BrainMetrics()
    m.update(_snap(1, strategies=(
        StrategyView("trend", "enabled", may_open=True),
        StrategyView("revert", "standby"),
        StrategyView("held", "active", may_open=False),
        StrategyView("chal", "shadow", shadow=True, may_open=True),
    )))
    s = _samples(m)
    assert s[("ats_strategy_active", (("strategy", "trend"),))] == 1.0
    assert s[("ats_strategy_active", (("strategy", "revert"),))] == 0.0
    assert s[("ats_strategy_active", (("strategy", "held"),))] == 0.0
    assert s[("ats_strategy_active", (("strategy", "chal"),))] == 0.0  # shadow never opens
    assert s[("ats_active_strategies", ())] == 1.0


def test_kill_switch_cause_label_is_bounded() -> None:
    m = BrainMetrics()
    m.update(_snap(1, risk=RiskView(kill_switch=True,
                                    lock_reason="kill switch engaged manually: user 42")))
    s = _samples(m)
    assert s[("ats_kill_switch_engaged", (("cause", "manual"),))] == 1.0
    assert s[("ats_kill_switch_engaged", (("cause", "drawdown"),))] == 0.0
    m.update(_snap(2, risk=RiskView(kill_switch=True, lock_reason="trailing dd -3.6%")))
    assert _samples(m)[("ats_kill_switch_engaged", (("cause", "manual"),))] == 0.0
    # a governance lock outranks the kill switch in lock_reason; the cause still comes
    # from the kill switch's own reason
    m.update(_snap(3, risk=RiskView(kill_switch=True, governance_locked=True,
                                    lock_reason="governance file changed",
                                    kill_reason="kill switch engaged manually: desk")))
    assert _samples(m)[("ats_kill_switch_engaged", (("cause", "manual"),))] == 1.0
    m.update(_snap(4, risk=RiskView(kill_switch=True, lock_reason="trailing dd -3.6%",
                                    kill_reason="trailing dd -3.6%")))
    s = _samples(m)
    assert s[("ats_kill_switch_engaged", (("cause", "drawdown"),))] == 1.0
    assert {k[1] for k in s if k[0] == "ats_kill_switch_engaged"} == {
        (("cause", "drawdown"),), (("cause", "manual"),)}


def test_audit_breaches_come_from_the_audit_status_file(tmp_path: Path) -> None:
    db = tmp_path / "ats.db"
    m = BrainMetrics(db_path=db)
    m.update(_snap(1))
    assert _samples(m)[("ats_audit_breaches", ())] == 0.0  # no audit yet
    write_audit_status(db, 2, 1_700_000_000_000)
    m.update(_snap(2))
    assert _samples(m)[("ats_audit_breaches", ())] == 2.0


def test_same_cycle_twice_does_not_double_count() -> None:
    m = BrainMetrics()
    m.update(_snap(2))
    m.update(_snap(2))
    s = _samples(m)
    assert s[("ats_cycles_total", ())] == 2.0
    assert s[("ats_cycle_latency_seconds_count", ())] == 1.0


def _get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=5) as r:  # noqa: S310 - loopback only
        return r.status, r.headers.get("Content-Type"), r.read()


def test_server_serves_metrics_and_graph() -> None:
    m = BrainMetrics()
    snap = _snap(1)
    m.update(snap)
    with MetricsServer(m.registry, snap.graph, port=0) as srv:
        status, ctype, body = _get(f"http://127.0.0.1:{srv.port}/metrics")
        assert status == 200 and "text/plain" in ctype and b"ats_agent_state" in body
        status, ctype, body = _get(f"http://127.0.0.1:{srv.port}/graph")
        doc = json.loads(body)
        assert ctype == "application/json"
        assert {"id": "risk", "state": "error"} in doc["nodes"]
        assert {"id": "brain->regime", "source": "brain", "target": "regime",
                "active": True} in doc["edges"]
        with pytest.raises(urllib.error.HTTPError) as err:
            _get(f"http://127.0.0.1:{srv.port}/nope")
        assert err.value.code == 404


def test_graph_provider_error_is_500_not_a_dead_thread() -> None:
    def broken() -> dict[str, object]:
        raise RuntimeError("no snapshot")

    with MetricsServer(BrainMetrics().registry, broken, port=0) as srv:
        with pytest.raises(urllib.error.HTTPError) as err:
            _get(f"http://127.0.0.1:{srv.port}/graph")
        assert err.value.code == 500
        assert _get(f"http://127.0.0.1:{srv.port}/metrics")[0] == 200


def test_port_in_use_names_the_port() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        srv = MetricsServer(BrainMetrics().registry, dict, port=port)
        with pytest.raises(ExporterPortInUse, match=str(port)):
            srv.start()


def test_non_loopback_bind_warns(caplog: pytest.LogCaptureFixture) -> None:
    srv = MetricsServer(BrainMetrics().registry, dict, host="0.0.0.0", port=0)
    with caplog.at_level(logging.WARNING):
        srv.start()
        srv.stop()
    assert any("0.0.0.0" in r.getMessage() for r in caplog.records)


def test_telemetry_csv_rows_and_rotation(tmp_path: Path) -> None:
    path = tmp_path / "telemetry" / "events.csv"
    tel = TelemetryExporter(path, max_bytes=600, backups=2)
    for i in range(1, 30):
        tel(_snap(i))
        tel(_snap(i))  # the same cycle again is ignored
    assert tel.rows_written == 29
    assert path.with_name("events.csv.1").exists()
    assert not path.with_name("events.csv.3").exists()
    lines = path.read_text().splitlines()
    assert lines[0].startswith("ts,run_id,cycle")
    last = lines[-1].split(",")
    assert last[2] == "29"
