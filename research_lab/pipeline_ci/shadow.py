"""Shadow stage: the candidate runs inside the real brain, as a challenger, on the paper venue.

A scratch copy of the configs gets the candidate promoted into it (the same code path as
the real promotion, so a challenger that cannot be promoted fails here first), then
``build_orchestrator`` builds the brain — live book from the registry, the candidate loaded
by ``research_lab.dsl.load_strategy`` from the scratch enable map, exactly as ``ats run``
will — on the paper venue over the mock feed, with a fixed clock this stage steps one bar
at a time: every cycle the brain evaluates the candidate, sizes its plans like live ones
and scores them in its shadow book; challenger plans are never sent. The brain's mock
market is its own path (a different market than the research history), so these bars are
genuinely unseen.

Pass: every cycle ran, the challenger never raised, it produced at least one plan, and its
shadow P&L did not lose more than the governance drawdown allowance.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ats.domain import FixedClock, Mode
from ats.domain.types import timeframe_ms
from broker_adapters.mock import parse_start
from research_lab.dsl.models import StrategySpec
from research_lab.pipeline_ci.market import START
from research_lab.pipeline_ci.promote import promote

if TYPE_CHECKING:
    from research_lab.pipeline_ci.stages import Lab
    from research_lab.pipeline_ci.state import ResearchSettings

CONFIG_FILES = ("governance.yaml", "enable_map.yaml", "symbols.yaml", "adapters.yaml")


def scratch_configs(src: Path, dst: Path) -> Path:
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    for name in CONFIG_FILES:
        shutil.copy2(src / name, dst / name)
    for sub in ("challengers", "local"):  # shipped challengers and the local override layer
        if (src / sub).is_dir():
            shutil.copytree(src / sub, dst / sub)
    return dst


async def _drive(spec: StrategySpec, cfg_dir: Path, db: Path, settings: ResearchSettings,
                 cycles: int) -> dict[str, Any]:
    from ats.brain.runtime import RunOptions, build_orchestrator

    step = timeframe_ms(spec.timeframe)
    start = parse_start(START) // step * step
    clock = FixedClock(start)
    opts = RunOptions(
        mode=Mode.PAPER, adapter="mock", config_dir=cfg_dir, db_path=db,
        symbols=(settings.market.symbol,), timeframes=(spec.timeframe,), use_mock_feed=True,
        skip_feed_check=True, clock=clock, seed=settings.market.seed,
        run_id=f"shadow-{spec.name}",
    )
    # no ``strategies=``: the brain loads the live book from the registry and the challenger
    # through research_lab.dsl.load_strategy, exactly as `ats run` will after promotion
    orch = build_orchestrator(opts, env={})
    done = 0
    errors: list[str] = []
    try:
        await orch.start()
        for _ in range(cycles):
            clock.advance(step)
            snap = await orch.run_cycle()
            done += 1
            errs = getattr(orch.selection, "error_counts", {})
            if errs.get(spec.name):
                errors.append(f"cycle {done}: {snap.ts if hasattr(snap, 'ts') else ''} "
                              f"{errs[spec.name]} error(s)")
                break
        score = orch.shadow.scores.get(spec.name)
        equity = float(orch.portfolio.starting_equity)
    finally:
        await orch.stop()
    return {
        "cycles": done, "errors": errors,
        "plans": score.plans if score else 0, "trades": score.trades if score else 0,
        "wins": score.wins if score else 0, "pnl": score.pnl if score else 0.0,
        "open_positions": score.open_positions if score else 0, "equity": equity,
    }


def shadow_run(spec: StrategySpec, lab: Lab, settings: ResearchSettings, *,
               workdir: Path) -> dict[str, Any]:
    cfg_dir = scratch_configs(lab.config_dir, workdir / "configs")
    promote(spec, cfg_dir, promoted_at="shadow", source_run="shadow")
    db = workdir / "shadow.db"
    for old in workdir.glob("shadow.db*"):
        old.unlink()
    res = asyncio.run(_drive(spec, cfg_dir, db, settings, settings.shadow_cycles))
    allowance = lab.governance.locks.trailing_dd_kill_switch * res["equity"]
    why = []
    if res["cycles"] < settings.shadow_cycles:
        why.append(f"ran {res['cycles']}/{settings.shadow_cycles} cycles")
    if res["errors"]:
        why.append("strategy raised in the brain: " + "; ".join(res["errors"]))
    if res["plans"] < 1:
        why.append(f"no shadow plan in {res['cycles']} cycles")
    if res["pnl"] < -allowance:
        why.append(f"shadow pnl {res['pnl']:.2f} below -{allowance:.2f}")
    return {"passed": not why, "why": "; ".join(why), "mode": "brain", **res}
