"""The whole pipeline end to end, offline on a small mock history in temporary directories:
once with the seeded generator, once with the real ollama client against a fake server
(then replayed from the journal without any model)."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fake_ollama import FakeOllama

from ats.config.loader import file_hash, load_enable_map
from ats.domain import FixedClock
from ats.strategies import TradingStrategy, registry
from research_lab.dsl import dump_spec, load_strategy
from research_lab.generators import DeterministicGenerator
from research_lab.pipeline_ci.market import MarketSpec
from research_lab.pipeline_ci.pipeline import GeneratorChoice, make_generator, make_lab, new_run
from research_lab.pipeline_ci.stages import stage_generate
from research_lab.pipeline_ci.state import ResearchSettings, RunState, list_runs
from storage.dao import PersistDAO

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = {"history_bars": 1500, "candidates": 6, "shadow_cycles": 480}


def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("research_pipeline",
                                                  ROOT / "scripts" / "research_pipeline.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def settings() -> ResearchSettings:
    return ResearchSettings(market=MarketSpec(history_bars=SETTINGS["history_bars"]),
                            n_candidates=SETTINGS["candidates"],
                            shadow_cycles=SETTINGS["shadow_cycles"])


def configs(tmp: Path) -> Path:
    dst = tmp / "configs"
    shutil.copytree(ROOT / "configs", dst, ignore=shutil.ignore_patterns("local"))
    return dst


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("pipeline")
    cfg = configs(tmp)
    gov_before = file_hash(cfg / "governance.yaml")
    st, files = script().run_pipeline(
        config_dir=cfg, reports_dir=tmp / "reports", settings=settings(),
        choice=GeneratorChoice(), clock=FixedClock(1_795_000_000_000), run_id="offline")
    return {"tmp": tmp, "cfg": cfg, "st": st, "files": files, "gov_before": gov_before}


def test_at_least_one_candidate_goes_the_whole_way(offline: dict[str, Any]) -> None:
    st: RunState = offline["st"]
    assert st.promoted is not None
    c = st.candidates[st.promoted]
    for stage in ("lookahead", "backtest", "walkforward", "gates", "shadow", "promoted"):
        assert c.passed(stage), stage
    assert c.stages["shadow"]["mode"] == "brain" and c.stages["shadow"]["plans"] >= 1
    # others stopped somewhere, and the table says where and why
    stopped = [x for x in st.candidates.values() if x.name != st.promoted]
    assert stopped and all(x.furthest() != "promoted" for x in stopped)
    results = json.loads(offline["files"]["results"].read_text())
    rows = {r["candidate"]: r for r in results["candidates"]}
    assert rows[st.promoted]["promoted"] is True
    assert any(r["backtest"] is False for r in rows.values())
    assert results["trials"] == SETTINGS["candidates"] * 3


def test_promotion_wrote_a_loadable_challenger_and_kept_governance(offline: dict[str, Any]
                                                                   ) -> None:
    cfg: Path = offline["cfg"]
    st: RunState = offline["st"]
    assert file_hash(cfg / "governance.yaml") == offline["gov_before"]
    em = load_enable_map(cfg / "enable_map.yaml", set(registry.names()))
    [ch] = em.challengers
    assert ch.name == st.promoted and ch.source_run == "offline"
    strat = load_strategy(cfg / ch.spec)  # what the brain does for a challenger
    assert isinstance(strat, TradingStrategy) and strat.name == st.promoted
    patch = offline["files"]["patch"].read_text()
    assert "+challengers:" in patch and f"+  - name: {st.promoted}" in patch
    assert "governance" not in patch


def test_reports_and_state_on_disk(offline: dict[str, Any]) -> None:
    d = offline["tmp"] / "reports" / "offline"
    report = (d / "report.md").read_text()
    assert "deflated_sharpe" in report and "next open" in report
    assert (d / "equity.png").read_bytes()[:4] == b"\x89PNG"
    again = RunState.load(offline["tmp"] / "reports", "offline")
    assert again.promoted == offline["st"].promoted
    assert list_runs(offline["tmp"] / "reports") == ["offline"]


def test_pipeline_with_the_fake_ollama_and_its_replay(tmp_path: Path) -> None:
    specs = DeterministicGenerator(seed=0).generate(SETTINGS["candidates"])
    answers = ['{"name": "bad"}'] + [dump_spec(s) for s in specs]
    cfg = configs(tmp_path)
    dao = PersistDAO(tmp_path / "ats.db")
    try:
        with FakeOllama(answers).running() as fake:
            st, files = script().run_pipeline(
                config_dir=cfg, reports_dir=tmp_path / "reports", settings=settings(),
                choice=GeneratorChoice("ollama", fake.host, "llama3.1"),
                clock=FixedClock(1_795_000_000_000), run_id="llm", journal=dao)
        assert st.settings.generator == "ollama"
        assert [c for c in st.candidates] == [s.name for s in specs]
        assert st.promoted is not None and "patch" in files
        records = sorted(dao.journal_tail(100, kind="llm", run_id="llm"), key=lambda r: r.id)
        assert len(records) == len(specs) + 1 and not records[0].payload["valid"]
        assert "entry: is required" in records[1].payload["messages"][-1]["content"]
        [promo] = dao.journal_tail(10, kind="research", run_id="llm")
        assert promo.payload["candidate"] == st.promoted and "+challengers:" in promo.text + (
            promo.payload["diff"])
        # replay: the same candidates, no model
        clock = FixedClock(1_795_000_000_000)
        st2 = new_run(tmp_path / "reports", settings(), clock, "replayed")
        gen = make_generator(GeneratorChoice("replay:llm"), st2, journal=dao, clock=clock)
        names = stage_generate(st2, make_lab(cfg, clock), gen)
        assert names == [s.name for s in specs]
    finally:
        dao.close()


def test_ollama_down_falls_back_to_the_deterministic_generator(tmp_path: Path) -> None:
    with FakeOllama([]).running() as fake:
        host = fake.host
    clock = FixedClock(0)
    st = new_run(tmp_path, settings(), clock, "down")
    gen = make_generator(GeneratorChoice("ollama", host, "llama3.1"), st, journal=None,
                         clock=clock)
    assert gen.name == "deterministic"
    assert "no Ollama server answers" in st.notes[-1]
    with pytest.raises(ValueError, match="unknown generator"):
        make_generator(GeneratorChoice("magic"), st, journal=None, clock=clock)
