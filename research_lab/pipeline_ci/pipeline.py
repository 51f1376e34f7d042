"""The whole pipeline in one call, shared by ``scripts/research_pipeline.py`` and the CLI.

Generator choice: ``ollama`` asks the configured server and falls back, with the reason in
the run notes, to the seeded ``deterministic`` generator when none answers; ``replay:<run>``
rebuilds an earlier LLM run's candidates from the journal without any model.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ats.config.loader import ConfigError, load_enable_map, load_governance
from ats.domain.clock import Clock, ms_to_datetime
from research_lab.dsl.errors import DslError, read_spec
from research_lab.dsl.models import StrategySpec
from research_lab.generators import (
    DeterministicGenerator,
    OllamaGenerator,
    OllamaUnavailable,
    ReplayGenerator,
)
from research_lab.pipeline_ci import stages
from research_lab.pipeline_ci.state import ResearchSettings, RunState, check_run_id


@dataclass(frozen=True, slots=True)
class GeneratorChoice:
    kind: str = "deterministic"  # "deterministic" | "ollama" | "replay:<run id>"
    ollama_host: str = "http://127.0.0.1:11434"
    ollama_model: str = "llama3.1"
    max_retries: int = 3


def new_run_id(clock: Clock) -> str:
    return "rs-" + ms_to_datetime(clock.now_ms()).strftime("%Y%m%d-%H%M%S") + "-" + (
        secrets.token_hex(2))


def make_lab(config_dir: Path | str, clock: Clock, progress: stages.Progress | None = None
             ) -> stages.Lab:
    cfg = Path(config_dir)
    gov = load_governance(cfg / "governance.yaml").governance
    lab = stages.Lab(cfg, gov, clock)
    if progress is not None:
        lab.progress = progress
    return lab


def new_run(root: Path | str, settings: ResearchSettings, clock: Clock,
            run_id: str | None = None) -> RunState:
    rid = check_run_id(run_id) if run_id else new_run_id(clock)
    when = ms_to_datetime(clock.now_ms()).strftime("%Y-%m-%dT%H:%M:%SZ")
    st = RunState(rid, Path(root), when, settings)
    st.dir.mkdir(parents=True, exist_ok=True)
    return st


def existing_specs(config_dir: Path | str) -> list[StrategySpec]:
    """DSL documents of the current challengers: seeds for the mutation generator."""
    try:
        em = load_enable_map(Path(config_dir) / "enable_map.yaml")
    except ConfigError:
        return []
    out = []
    for ch in em.challengers:
        if ch.spec:
            try:
                out.append(read_spec(Path(config_dir) / ch.spec))
            except DslError:
                continue
    return out


def make_generator(choice: GeneratorChoice, st: RunState, *, journal: Any, clock: Clock,
                   seeds: list[StrategySpec] | None = None) -> stages.Generator:
    """The generator ``choice`` names; ``seeds`` (existing strategies) get mutated too."""
    s = st.settings
    det = DeterministicGenerator(seed=s.seed, timeframe=s.market.timeframe, seeds=seeds)
    if choice.kind == "deterministic":
        return det
    if choice.kind.startswith("replay:"):
        if journal is None:
            raise ValueError("replay needs the journal database (--db)")
        return ReplayGenerator(journal, choice.kind.split(":", 1)[1])
    if choice.kind != "ollama":
        raise ValueError(f"unknown generator {choice.kind!r}; use deterministic, ollama or "
                         "replay:<run id>")
    gen = OllamaGenerator(choice.ollama_host, choice.ollama_model, journal=journal,
                          run_id=st.run_id, clock=clock, timeframe=s.market.timeframe,
                          symbols=[s.market.symbol], max_retries=choice.max_retries,
                          seed=s.seed)
    try:
        gen.check()
    except OllamaUnavailable as exc:
        st.notes.append(f"Ollama unavailable: {exc}")
        return det
    return gen


def run_all(st: RunState, lab: stages.Lab, gen: stages.Generator, *, promote: bool = True
            ) -> dict[str, Path]:
    """Every stage in order; reports written at the end (and state after every stage)."""
    from research_lab.pipeline_ci.report import write_reports

    st.settings.generator = gen.name
    stages.stage_generate(st, lab, gen)
    st.save()
    stages.stage_backtest(st, lab)
    st.save()
    stages.stage_walkforward(st, lab)
    st.save()
    stages.stage_gates(st, lab)
    st.save()
    stages.stage_shadow(st, lab)
    st.save()
    out: dict[str, Path] = {}
    if promote and any(c.passed("shadow") for c in st.candidates.values()):
        res = stages.stage_promote(st, lab)
        if res.patch_path is not None:
            out["patch"] = res.patch_path
    elif promote:
        st.notes.append("no candidate passed every stage: nothing promoted")
    out.update(write_reports(st, lab))
    return out
