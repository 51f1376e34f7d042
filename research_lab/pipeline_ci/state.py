"""A research run on disk: ``reports/research/<run>/state.json`` plus its candidates.

Each ``ats research`` sub-command reads the run, does one stage and writes it back, so the
stages can run one at a time (and be inspected in between) or all in a row by
``scripts/research_pipeline.py``; both produce the same files.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from research_lab.dsl.errors import dump_spec, parse_spec
from research_lab.dsl.models import StrategySpec
from research_lab.pipeline_ci.market import MarketSpec

STAGES = ("lookahead", "backtest", "walkforward", "gates", "shadow", "promoted")
RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")


@dataclass(slots=True)
class ResearchSettings:
    market: MarketSpec = field(default_factory=MarketSpec)
    n_candidates: int = 12
    seed: int = 0
    generator: str = "deterministic"
    train_bars: int = 0  # 0: a quarter of the history
    test_bars: int = 0  # 0: an eighth of the history
    variants: int = 3
    shadow_cycles: int = 480
    shadow_top: int = 3
    min_trades: int = 10

    def windows(self) -> tuple[int, int]:
        n = self.market.history_bars
        return self.train_bars or n // 4, self.test_bars or n // 8

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["market"] = self.market.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ResearchSettings:
        d = dict(d)
        market = MarketSpec(**d.pop("market", {}))
        return cls(market=market, **d)


@dataclass(slots=True)
class Candidate:
    spec: StrategySpec
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name

    def passed(self, stage: str) -> bool:
        return bool(self.stages.get(stage, {}).get("passed"))

    def furthest(self) -> str:
        last = "generated"
        for s in STAGES:
            if self.passed(s):
                last = s
            else:
                break
        return last


@dataclass(slots=True)
class RunState:
    run_id: str
    root: Path
    created_at: str
    settings: ResearchSettings
    candidates: dict[str, Candidate] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    promoted: str | None = None
    trials: int = 0

    @property
    def dir(self) -> Path:
        return self.root / self.run_id

    def add(self, spec: StrategySpec) -> None:
        self.candidates[spec.name] = Candidate(spec)

    def save(self) -> Path:
        self.dir.mkdir(parents=True, exist_ok=True)
        cdir = self.dir / "candidates"
        cdir.mkdir(exist_ok=True)
        for c in self.candidates.values():
            (cdir / f"{c.name}.json").write_text(dump_spec(c.spec), encoding="utf-8")
        doc = {
            "run_id": self.run_id, "created_at": self.created_at,
            "settings": self.settings.to_dict(), "notes": self.notes,
            "promoted": self.promoted, "trials": self.trials,
            "candidates": {n: {"spec": json.loads(dump_spec(c.spec)), "stages": c.stages}
                           for n, c in self.candidates.items()},
        }
        path = self.dir / "state.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(doc, indent=2, default=_jsonable), encoding="utf-8")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, root: Path | str, run_id: str) -> RunState:
        path = Path(root) / run_id / "state.json"
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise FileNotFoundError(f"no research run {run_id!r} under {root} (expected "
                                    f"{path}); start one with `ats research generate`") from None
        st = cls(doc["run_id"], Path(root), doc["created_at"],
                 ResearchSettings.from_dict(doc["settings"]), notes=doc.get("notes", []),
                 promoted=doc.get("promoted"), trials=int(doc.get("trials", 0)))
        for name, c in doc["candidates"].items():
            st.candidates[name] = Candidate(parse_spec(c["spec"], source=f"{path}:{name}"),
                                            c.get("stages", {}))
        return st


def list_runs(root: Path | str) -> list[str]:
    r = Path(root)
    if not r.is_dir():
        return []
    return sorted(p.name for p in r.iterdir() if (p / "state.json").is_file())


def check_run_id(run_id: str) -> str:
    if not RUN_ID.match(run_id):
        raise ValueError(f"run id {run_id!r}: use letters, digits, '-', '_' or '.' (max 80)")
    return run_id


def _jsonable(x: Any) -> Any:
    if hasattr(x, "item"):
        return x.item()
    if hasattr(x, "tolist"):
        return x.tolist()
    return str(x)
