"""The Prometheus alert rules and the metric-name contract, checked by Prometheus' own tools.

``promtool test rules`` runs the unit tests in ``rules/alerts_test.yml`` (each alert fires on
the bad series, stays silent on the good one, waits its ``for:``). The node graph's PromQL is
run by promtool too, so each agent state gets its colour and arc. And every ``ats_`` name
the rules and dashboards use must be one the exporter really exposes.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import yaml
from prometheus_client import generate_latest

from ats.brain.state import BrainSnapshot, RegimeView, StrategyView
from ats.domain import Regime
from ats.monitor.metrics import BrainMetrics

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "dashboards" / "alerts.yml"
RULE_TESTS = Path(__file__).resolve().parent / "rules" / "alerts_test.yml"
DASHBOARDS = sorted((REPO / "dashboards" / "grafana").glob("*.json"))
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


def _promtool(*args: str, cwd: Path | None = None) -> str:
    res = subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=120,
                         cwd=cwd)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    return out


def test_rules_file_is_valid() -> None:
    assert "SUCCESS: 7 rules found" in _promtool("check", "rules", str(RULES))


def test_alert_rule_unit_tests_pass() -> None:
    assert "SUCCESS" in _promtool("test", "rules", RULE_TESTS.name, cwd=RULE_TESTS.parent)


def test_every_alert_has_a_firing_and_a_silent_unit_test() -> None:
    alerts = {r["alert"] for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]}
    assert alerts == {"ATSKillSwitchEngaged", "ATSDailyLockEngaged", "ATSFeedStale",
                      "ATSVenueDisconnected", "ATSCycleLatencyP99OverBudget", "ATSExporterDown",
                      "ATSAuditBreach"}
    cases = [c for t in yaml.safe_load(RULE_TESTS.read_text())["tests"]
             for c in t["alert_rule_test"]]
    for alert in alerts:
        mine = [c for c in cases if c["alertname"] == alert]
        assert any(c["exp_alerts"] for c in mine), f"{alert}: no test where it fires"
        assert any(not c["exp_alerts"] for c in mine), f"{alert}: no test where it is silent"


def _exported_names() -> set[str]:
    m = BrainMetrics()
    m.update(BrainSnapshot(cycle=1, regimes=(RegimeView("BTC", Regime.PANIC, 1, 0),),
                           strategies=(StrategyView("s", "enabled", may_open=True),),
                           feed_age_ms={"BTC": 1}, spread_bps={"BTC": 1.0}))
    text = generate_latest(m.registry).decode()
    return {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")}


def test_rules_and_dashboards_use_only_exported_names() -> None:
    exported = _exported_names()
    suffixes = ("_bucket", "_sum", "_count")
    used: set[str] = set()
    texts = [RULES.read_text()] + [p.read_text() for p in DASHBOARDS]
    for text in texts:
        used |= set(re.findall(r"\bats_[a-z_]+", text))
    used -= {"ats_"}  # a prefix in prose
    unknown = {n for n in used
               if n not in exported and not (n.endswith(suffixes)
                                             and n.rsplit("_", 1)[0] in exported)}
    assert not unknown, f"names the exporter does not serve: {sorted(unknown)}"


def test_node_graph_promql_gives_each_state_its_colour_and_arc(tmp_path: Path) -> None:
    """The node graph panel's own queries, evaluated by promtool on one agent per state."""
    panel = json.loads((REPO / "dashboards" / "grafana" / "dashboard_nodes.json").read_text())[
        "panels"][0]
    exprs = {t["refId"]: t["expr"] for t in panel["targets"]}
    series = [
        {"series": f'ats_agent_state{{agent="{a}",job="ats",instance="x"}}', "values": v}
        for a, v in (("risk", "1 1"), ("exec", "0 0"), ("strategy", "2 2"))
    ]

    def sample(agent: str, colour: str) -> dict[str, object]:
        return {"labels": (f'ats_agent_state{{agent="{agent}",color="{colour}",id="{agent}",'
                           f'instance="x",job="ats",title="{agent}"}}'), "value": v[agent]}

    v = {"risk": 1, "exec": 0, "strategy": 2}
    arc = {"nodes_ok": {"risk": 1, "exec": 0, "strategy": 0},
           "nodes_warn": {"risk": 0, "exec": 0, "strategy": 1},
           "nodes_err": {"risk": 0, "exec": 1, "strategy": 0}}
    cases = [{"expr": exprs["nodes"], "eval_time": "1m", "exp_samples": [
        sample("risk", "#73BF69"), sample("exec", "#F2495C"), sample("strategy", "#FADE2A")]}]
    for ref, want in arc.items():
        cases.append({"expr": exprs[ref], "eval_time": "1m", "exp_samples": [
            {"labels": f'{{agent="{a}",id="{a}",instance="x",job="ats"}}', "value": n}
            for a, n in want.items()]})
    doc = {"rule_files": [], "evaluation_interval": "1m",
           "tests": [{"interval": "1m", "input_series": series, "promql_expr_test": cases}]}
    (tmp_path / "nodes_test.yml").write_text(yaml.safe_dump(doc, sort_keys=False))
    assert "SUCCESS" in _promtool("test", "rules", "nodes_test.yml", cwd=tmp_path)


def test_dashboards_readme_documents_every_exported_metric() -> None:
    readme = (REPO / "dashboards" / "README.md").read_text()
    # prometheus_client adds a <counter>_created gauge per counter/histogram: not ours.
    ours = {n for n in _exported_names() if not n.endswith("_created")}
    missing = sorted(n for n in ours if not re.search(rf"`{n}`|`{n}\{{|{n}`", readme))
    assert not missing, f"dashboards/README.md does not describe {missing}"
