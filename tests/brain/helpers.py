"""Build a real brain for integration tests: configs copied to a tmp dir, a FixedClock, the
mock market through the real adapter factory (paper mode), the real PersistDAO."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from ats.brain.orchestrator import BrainOrchestrator
from ats.brain.runtime import RunOptions, build_orchestrator
from ats.config import load_adapters, load_settings, load_symbols
from ats.domain import FixedClock, Mode
from broker_adapters.factory import create_adapter
from broker_adapters.mock import parse_start

REPO = Path(__file__).resolve().parents[2]
START = parse_start("2026-01-05T00:00:00Z")
MINUTE = 60_000
SYMBOLS = ("BTC/USDT:USDT", "ETH/USDT:USDT", "EURUSD")


def config_dir(tmp: Path, *, strategies: list[str], challengers: list[dict[str, Any]] = (),
               cooldown_bars: int = 0, governance: dict[str, Any] | None = None) -> Path:
    cfg = tmp / "configs"
    if not cfg.exists():
        shutil.copytree(REPO / "configs", cfg, ignore=shutil.ignore_patterns("local"))
    em = {"min_bars_hold": 3, "cooldown_after_2_losses": False, "cooldown_bars": cooldown_bars,
          "regimes": {r: list(strategies) for r in ("trend_up", "trend_down", "range_lowvol",
                                                   "range_highvol", "panic")},
          "challengers": list(challengers)}
    (cfg / "enable_map.yaml").write_text(yaml.safe_dump(em))
    if governance:
        gov = yaml.safe_load((cfg / "governance.yaml").read_text())
        for section, values in governance.items():
            gov[section].update(values)
        (cfg / "governance.yaml").write_text(yaml.safe_dump(gov))
    return cfg


def make_brain(tmp: Path, strategies: dict[str, Any], *, cfg: Path,
               symbols: tuple[str, ...] = SYMBOLS, timeframes: tuple[str, ...] = ("1m",),
               clock: FixedClock | None = None, run_id: str = "t1", db: Path | None = None,
               **market: Any) -> tuple[BrainOrchestrator, FixedClock]:
    clock = clock or FixedClock(START)
    settings = load_settings(env={}, dotenv_path=None)
    adapter = create_adapter(
        "mock", mode=Mode.PAPER, adapters_cfg=load_adapters(cfg / "adapters.yaml"),
        symbols_cfg=load_symbols(cfg / "symbols.yaml"), settings=settings, clock=clock,
        seed=7, symbols=symbols, history_days=3, **market)
    opts = RunOptions(config_dir=cfg, db_path=db or tmp / "ats.db", clock=clock,
                      symbols=symbols, timeframes=timeframes, skip_feed_check=True,
                      run_id=run_id)
    orch = build_orchestrator(opts, adapter=adapter, strategies=strategies, env={})
    return orch, clock


async def cycles(orch: BrainOrchestrator, clock: FixedClock, n: int,
                 step_ms: int = MINUTE) -> list[Any]:
    out = []
    for _ in range(n):
        clock.advance(step_ms)
        out.append(await orch.run_cycle())
    return out
