"""``/graph`` and the Prometheus gauges follow a failing agent within one cycle."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from ats.monitor.exporter import MetricsServer
from ats.monitor.metrics import BrainMetrics
from tests.brain.fakes import ScriptedStrategy, always_long, raising
from tests.brain.helpers import config_dir, cycles, make_brain


def _graph(port: int) -> dict[str, object]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/graph", timeout=5) as r:  # noqa: S310
        return json.loads(r.read())


async def test_graph_turns_red_in_the_cycle_a_strategy_raises(tmp_path: Path) -> None:
    cfg = config_dir(tmp_path, strategies=["broken", "longer"])
    broken = ScriptedStrategy("broken", raising(RuntimeError("bad math")))
    longer = ScriptedStrategy("longer", always_long("longer"))
    orch, clock = make_brain(tmp_path, {"broken": broken, "longer": longer}, cfg=cfg,
                             symbols=("BTC/USDT:USDT",))
    metrics = BrainMetrics()
    orch.add_sink(metrics.update)
    with MetricsServer(metrics.registry, lambda: orch.snapshot.graph(), port=0) as srv:
        await orch.start()
        before = {n["id"]: n["state"] for n in _graph(srv.port)["nodes"]}  # type: ignore[index]
        assert before["strategy"] == "ok"
        await cycles(orch, clock, 1)
        doc = _graph(srv.port)
        nodes = {n["id"]: n["state"] for n in doc["nodes"]}  # type: ignore[index]
        assert nodes["strategy"] == "error"
        assert any(e["active"] for e in doc["edges"])  # type: ignore[index]
        assert metrics.agent_state.labels("strategy")._value.get() == 0.0  # 0 = ERR
        await orch.stop()
