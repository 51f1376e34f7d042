"""The cycle's stages depend on ``CycleHost``, not on ``BrainOrchestrator`` (issue #12 item 9).

Three checks: no stage module imports the orchestrator back (the circle stays broken, also
under ``TYPE_CHECKING``); the real brain satisfies ``CycleHost`` at run time and keeps its
collaborators behind the adapters' Protocol; and, where mypy is installed (the ``test``
extra), the stages, the orchestrator and the storage contract type-check against each
other, so a member the stages start using without declaring it fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ats.brain.ports import ActionHost, CycleHost
from broker_adapters.base import BrokerAdapter

REPO = Path(__file__).resolve().parents[2]
STAGES = ("cycle", "cycle_support", "recovery", "snapshot", "day_boundary", "funding",
          "account", "actions", "ports")
TYPED = [f"ats/brain/{m}.py" for m in (*STAGES, "orchestrator")] + [
    "storage/protocol.py"] + sorted(
    str(p.relative_to(REPO)) for p in (REPO / "ats" / "brain" / "tools").glob("*.py"))


def _imports(path: Path) -> set[str]:
    """Every module a file imports, wherever the import sits (TYPE_CHECKING blocks too)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


@pytest.mark.parametrize("module", STAGES)
def test_stage_does_not_import_the_orchestrator(module: str) -> None:
    found = _imports(REPO / "ats" / "brain" / f"{module}.py")
    assert not {m for m in found if m == "ats.brain.orchestrator"
                or m.startswith("ats.brain.orchestrator.")}, (
        f"ats/brain/{module}.py imports ats.brain.orchestrator; take a CycleHost instead")


def test_import_scan_sees_a_type_checking_import(tmp_path: Path) -> None:
    src = tmp_path / "m.py"
    src.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                   "    from ats.brain.orchestrator import BrainOrchestrator\n")
    assert "ats.brain.orchestrator" in _imports(src)


async def test_real_brain_is_a_cycle_host(tmp_path: Path) -> None:
    from tests.brain.helpers import config_dir, cycles, make_brain

    cfg = config_dir(tmp_path, strategies=[])
    orch, clock = make_brain(tmp_path, {}, cfg=cfg)
    assert isinstance(orch, CycleHost) and isinstance(orch, ActionHost)
    assert isinstance(orch.adapter, BrokerAdapter)
    await orch.start()
    try:
        snaps = await cycles(orch, clock, 2)
        assert all(s.cycle for s in snaps) and orch.counters.cycles == 2
    finally:
        await orch.stop()


def test_a_host_missing_a_member_is_not_a_cycle_host() -> None:
    class Partial:
        adapter = None

    assert not isinstance(Partial(), CycleHost)


@pytest.mark.slow
def test_stages_type_check_against_the_orchestrator(tmp_path: Path) -> None:
    from mypy import api  # in the test extra: a missing mypy fails this test
    conform = tmp_path / "conform.py"
    conform.write_text(
        "from ats.brain.orchestrator import BrainOrchestrator\n"
        "from ats.brain.ports import ActionHost\n"
        "from storage.dao import PersistDAO\n"
        "from storage.protocol import Ledger\n\n\n"
        "def host(o: BrainOrchestrator) -> ActionHost:\n    return o\n\n\n"
        "def ledger(d: PersistDAO) -> Ledger:\n    return d\n")
    out, err, code = api.run([
        *[str(REPO / f) for f in TYPED], str(conform), "--follow-imports=silent",
        "--ignore-missing-imports", "--cache-dir", str(tmp_path / "cache"),
        "--no-error-summary"])
    assert code == 0, out + err
