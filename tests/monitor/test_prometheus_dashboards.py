"""The exporter, dashboards and alert rules, proven against a real Prometheus.

A real ``prometheus`` (Debian package; ``.ci/run`` installs it) with the shipped alert rules
scrapes a running ``ats run --use-mock-feed`` on 127.0.0.1. On that live pair: ``promtool
check metrics`` finds nothing to say about ``/metrics``; every PromQL expression in the two
shipped dashboards returns data (the firing-alerts panels too: the run starts with an audit
breach on record, so ``ATSAuditBreach`` fires); and the node graph panel's queries, run
through Grafana's own data-frame code (``@grafana/data``), give the node graph the fields it
reads. One ats and one Prometheus serve the whole module and are stopped by it.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ats.monitor.audit_status import write_audit_status
from tests.monitor.grafana_node import node_graph_frames

REPO = Path(__file__).resolve().parents[2]
DASHBOARDS = [
    REPO / "dashboards" / "grafana" / "dashboard_ops.json",
    REPO / "dashboards" / "grafana" / "dashboard_nodes.json",
]
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get_json(url: str, timeout: float = 5.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 - loopback only
        return json.loads(r.read())


def _wait(pred: Any, timeout: float, what: str, interval: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    last_exc: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = pred()
            if value:
                return value
        except Exception as exc:  # the server may not be up yet
            last_exc = exc
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}" + (f": {last_exc}" if last_exc else ""))


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate a process this test started, killing it if it does not exit in time."""
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def dashboard_exprs() -> list[tuple[str, str]]:
    """Every (panel title, PromQL expr) in the shipped dashboards."""
    found: list[tuple[str, str]] = []

    def walk(node: Any, title: str) -> None:
        if isinstance(node, dict):
            title = node.get("title", title) if "targets" in node else title
            if "expr" in node and isinstance(node["expr"], str):
                found.append((title, node["expr"]))
            for v in node.values():
                walk(v, title)
        elif isinstance(node, list):
            for v in node:
                walk(v, title)

    for path in DASHBOARDS:
        walk(json.loads(path.read_text()), path.name)
    return found


def test_dashboards_are_valid_and_use_prometheus_only() -> None:
    exprs = dashboard_exprs()
    assert len(exprs) >= 20
    for path in DASHBOARDS:
        doc = json.loads(path.read_text())
        assert doc["uid"] and doc["panels"]
        for panel in doc["panels"]:
            assert panel["datasource"]["type"] == "prometheus"
    node_graph = json.loads(DASHBOARDS[1].read_text())["panels"][0]
    assert node_graph["type"] == "nodeGraph"


def test_shipped_prometheus_config_passes_promtool() -> None:
    res = subprocess.run(
        [PROMTOOL, "check", "config", str(REPO / "dashboards" / "prometheus.yml")],
        capture_output=True, text=True, timeout=60,
    )
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.fixture(scope="module")
def running_ats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    tmp_path = tmp_path_factory.mktemp("ats")
    port = _free_port()
    # An audit breach on record before the start: the exporter publishes it and the
    # ATSAuditBreach rule fires, so the firing-alerts panels have something to show.
    write_audit_status(tmp_path / "ats.db", 1, int(time.time() * 1000))
    log = (tmp_path / "ats.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ats", "run", "--paper", "--use-mock-feed", "--speed", "600",
         "--max-seconds", "240", "--metrics-port", str(port), "--db", str(tmp_path / "ats.db"),
         "--run-id", "prom-test"],
        cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        _wait(lambda: b"ats_cycles_total" in urllib.request.urlopen(  # noqa: S310
            f"http://127.0.0.1:{port}/metrics", timeout=2).read(), 90, "ats /metrics")
        yield port
    finally:
        _stop(proc)
        log.close()


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory, running_ats: int) -> Iterator[str]:
    tmp_path = tmp_path_factory.mktemp("prometheus")
    port = _free_port()
    cfg = tmp_path / "prometheus.yml"
    cfg.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        f"rule_files:\n  - {REPO / 'dashboards' / 'alerts.yml'}\n"
        "scrape_configs:\n  - job_name: ats\n    static_configs:\n"
        f"      - targets: ['127.0.0.1:{running_ats}']\n"
    )
    log = (tmp_path / "prometheus.log").open("w")
    proc = subprocess.Popen(
        [PROMETHEUS, f"--config.file={cfg}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: _get_json(f"{base}/api/v1/targets")["status"] == "success",
              60, "prometheus API")
        _wait(
            lambda: any(t["health"] == "up" for t in
                        _get_json(f"{base}/api/v1/targets")["data"]["activeTargets"]),
            60, "prometheus to scrape ats",
        )
        yield base
    finally:
        _stop(proc)
        log.close()


def _query(prometheus: str, expr: str) -> list[dict[str, Any]]:
    q = urllib.parse.urlencode({"query": expr})
    doc = _get_json(f"{prometheus}/api/v1/query?{q}")
    assert doc["status"] == "success", (expr, doc)
    result: list[dict[str, Any]] = doc["data"]["result"]
    return result


def test_live_metrics_pass_promtool_check_metrics(running_ats: int) -> None:
    """Prometheus' own linter on the live exposition: any warning fails (units, _total,
    naming), so the names stay conventional as metrics are added."""
    with urllib.request.urlopen(  # noqa: S310 - loopback only
            f"http://127.0.0.1:{running_ats}/metrics", timeout=5) as r:
        body = r.read()
    assert b"ats_stage_latency_seconds_bucket" in body and b"ats_venue_latency_seconds" in body
    res = subprocess.run([PROMTOOL, "check", "metrics"], input=body, capture_output=True,
                         timeout=60)
    said = (res.stdout + res.stderr).decode()
    assert res.returncode == 0 and not said.strip(), said
    names = {line.split()[2] for line in body.decode().splitlines()
             if line.startswith("# TYPE ")}
    assert names and all(n.startswith("ats_") for n in names), sorted(names)


def test_every_dashboard_query_returns_data(prometheus: str) -> None:
    exprs = dashboard_exprs()
    missing: dict[str, str] = {}
    deadline = time.monotonic() + 120
    pending = list(exprs)
    while pending and time.monotonic() < deadline:
        still: list[tuple[str, str]] = []
        for title, expr in pending:
            if not _query(prometheus, expr):
                still.append((title, expr))
                missing[expr] = title
            else:
                missing.pop(expr, None)
        pending = still
        if pending:
            time.sleep(2)
    assert not pending, f"queries without data: {missing}"
    firing = _query(prometheus, 'ALERTS{alertstate="firing"}')
    assert "ATSAuditBreach" in {a["metric"]["alertname"] for a in firing}


def test_node_graph_reads_its_fields_through_grafana_data(prometheus: str) -> None:
    """The node graph panel's real query results, through Grafana's transformations and
    field processing (@grafana/data), give a nodes frame and an edges frame whose fields
    carry the names the node graph looks up, one node per agent, coloured by its state."""
    panel = json.loads(DASHBOARDS[1].read_text())["panels"][0]
    assert panel["type"] == "nodeGraph"
    deadline = time.monotonic() + 90
    while True:  # the rate() based stats need a few scrapes
        results = {t["refId"]: _query(prometheus, t["expr"]) for t in panel["targets"]}
        if all(results.values()) or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert all(results.values()), {k: len(v) for k, v in results.items()}
    out = node_graph_frames(panel, results)
    names = out["fieldNames"]  # NodeGraphDataFrameFieldNames from @grafana/data itself
    assert (names["id"], names["title"], names["mainStat"], names["secondaryStat"],
            names["arc"], names["color"], names["source"], names["target"]) == (
        "id", "title", "mainstat", "secondarystat", "arc__", "color", "source", "target")
    assert out["nodeFrames"] == 1 and out["edgeFrames"] == 1, out["frames"]
    agents = {"brain", "regime", "strategy", "risk", "exec", "monitor"}
    nodes = {n["id"]: n for n in out["nodes"]}
    assert set(nodes) == agents
    states = {r["metric"]["agent"]: float(r["value"][1]) for r in results["nodes"]}
    expected_arc = {1.0: "arc__ok", 2.0: "arc__warn", 0.0: "arc__err"}
    css = {1.0: "#73BF69", 2.0: "#FADE2A", 0.0: "#F2495C"}
    theme = out["themeColors"]
    for agent, node in nodes.items():
        assert node["title"] == agent
        # numbers (JSON gives 0 for a JS 0.0: an int is a number here, a string is not)
        for stat in ("mainstat", "secondarystat"):
            assert isinstance(node[stat], int | float) and not isinstance(node[stat], bool)
        arcs = node["arcs"]
        assert set(arcs) == {"arc__ok", "arc__warn", "arc__err"}
        assert sum(arcs.values()) == 1.0 and arcs[expected_arc[states[agent]]] == 1.0
        assert node["color"] == css[states[agent]]
        assert node["arcColors"] == {"arc__ok": theme["green"], "arc__warn": theme["yellow"],
                                     "arc__err": theme["red"]}
    edges = {e["id"]: e for e in out["edges"]}
    assert set(edges) == {"brain->regime", "regime->strategy", "strategy->risk", "risk->exec",
                          "exec->monitor", "monitor->brain"}
    for eid, e in edges.items():
        assert f"{e['source']}->{e['target']}" == eid
        assert e["source"] in agents and e["target"] in agents
        assert e["mainstat"] in (0.0, 1.0)
