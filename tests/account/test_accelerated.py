"""Accelerated time never skips a bar, and fills never stray past the slippage guard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ats.domain import Side, StrategySignal, timeframe_ms
from tests.account.helpers import ats, rows
from tests.brain.fakes import ScriptedStrategy
from tests.brain.helpers import config_dir, cycles, make_brain


@pytest.mark.slow
def test_every_closed_bar_gets_its_own_cycle_at_any_speed(tmp_path: Path) -> None:
    db = tmp_path / "fast.db"
    res = ats("run", "--paper", "--use-mock-feed", "--speed", "1000000", "--max-cycles", "120",
              "--db", str(db), "--run-id", "fast")
    assert res.returncode == 0, res.stderr
    ts = [r[0] for r in rows(db, "SELECT ts FROM journal WHERE kind = 'cycle' AND "
                                 "run_id = 'fast' ORDER BY id")]
    minutes = [t // 60_000 for t in ts]
    assert len(minutes) == 120
    assert all(b - a == 1 for a, b in zip(minutes, minutes[1:], strict=False)), minutes
    # this machine cannot run a million times real time: the run says the clock slowed
    assert rows(db, "SELECT count(*) FROM journal WHERE kind = 'clock'")[0][0] >= 1
    assert "slowed" in " ".join(res.stdout.split())


def _far_entry(name: str, off: float) -> Any:
    def fn(ctx: Any) -> list[StrategySignal]:
        if ctx.position is not None and ctx.position.qty:
            return []
        b = ctx.bars
        close = float(b.close[-1])
        return [StrategySignal(name, ctx.symbol, b.timeframe, Side.BUY, close * (1 - off),
                               close * (1 - off) * 0.99, 0.7, "entry far below the market",
                               int(b.ts[-1]) + timeframe_ms(b.timeframe))]
    return fn


async def test_an_entry_far_from_the_plan_is_refused_not_chased(tmp_path: Path) -> None:
    cfg = config_dir(tmp_path, strategies=["chaser"])
    strat = ScriptedStrategy("chaser", _far_entry("chaser", 0.03))
    orch, clock = make_brain(tmp_path, {"chaser": strat}, cfg=cfg)
    await orch.start()
    snaps = await cycles(orch, clock, 3)
    assert snaps[-1].orders_total == 0
    rejected = [r for r in orch.dao.journal_tail(10, kind="cycle", run_id=orch.run_id)
                for x in r.payload.get("rejections", []) if x["code"] == "slippage"]
    assert rejected
    await orch.stop()


async def test_the_desks_pacing_advances_a_held_clock_bar_by_bar(tmp_path: Path) -> None:
    """The desk drives cycles with its own pacer (not ``run``): the held clock must still
    move one bar per cycle, never freeze and never skip."""
    from ats.brain.runtime import RunOptions, build_orchestrator
    from ats.tui.launch import desk_for
    from tests.brain.helpers import REPO

    orch = build_orchestrator(RunOptions(db_path=tmp_path / "d.db", use_mock_feed=True,
                                         skip_feed_check=True, speed=1e6,
                                         config_dir=REPO / "configs"), env={})
    app = desk_for(orch, tick_interval=None, refresh_interval=None)
    await orch.start()
    seen = []
    for _ in range(4):
        await app.pacer()
        seen.append((await orch.run_cycle()).ts // 60_000)
    assert [b - a for a, b in zip(seen, seen[1:], strict=False)] == [1, 1, 1]
    await orch.stop()
