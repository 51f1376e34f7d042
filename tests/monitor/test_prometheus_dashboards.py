"""The Grafana dashboards' queries, proven against a real Prometheus.

A real ``prometheus`` (Debian package; ``.ci/run`` installs it) scrapes a running
``ats run --use-mock-feed`` on 127.0.0.1, and every PromQL expression found in the two shipped
dashboards must return data through Prometheus's HTTP API. Both processes are stopped by
the test.
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


@pytest.fixture
def running_ats(tmp_path: Path) -> Iterator[int]:
    port = _free_port()
    log = (tmp_path / "ats.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ats", "run", "--paper", "--use-mock-feed", "--speed", "600",
         "--max-seconds", "240", "--metrics-port", str(port), "--db", str(tmp_path / "ats.db"),
         "--run-id", "prom-test"],
        cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        _wait(lambda: b"brain_cycles_total" in urllib.request.urlopen(  # noqa: S310
            f"http://127.0.0.1:{port}/metrics", timeout=2).read(), 90, "ats /metrics")
        yield port
    finally:
        _stop(proc)
        log.close()


@pytest.fixture
def prometheus(tmp_path: Path, running_ats: int) -> Iterator[str]:
    port = _free_port()
    cfg = tmp_path / "prometheus.yml"
    cfg.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
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


def test_every_dashboard_query_returns_data(prometheus: str) -> None:
    exprs = dashboard_exprs()
    missing: dict[str, str] = {}
    deadline = time.monotonic() + 120
    pending = list(exprs)
    while pending and time.monotonic() < deadline:
        still: list[tuple[str, str]] = []
        for title, expr in pending:
            q = urllib.parse.urlencode({"query": expr})
            doc = _get_json(f"{prometheus}/api/v1/query?{q}")
            assert doc["status"] == "success", (title, expr, doc)
            result = doc["data"]["result"]
            if not result:
                still.append((title, expr))
                missing[expr] = title
            else:
                missing.pop(expr, None)
        pending = still
        if pending:
            time.sleep(2)
    assert not pending, f"queries without data: {missing}"
