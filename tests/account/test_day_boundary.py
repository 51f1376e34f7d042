"""A cycle that crosses UTC midnight books the old day first, and fires its daily lock."""

from __future__ import annotations

from pathlib import Path

from ats.brain.day_boundary import DAY_MS
from ats.domain import FixedClock
from tests.brain.fakes import ScriptedStrategy, always_long
from tests.brain.helpers import START, config_dir, cycles, make_brain


async def test_old_day_past_the_limit_fires_the_lock_in_the_crossing_cycle(
        tmp_path: Path) -> None:
    cfg = config_dir(tmp_path, strategies=["longer"])
    strat = ScriptedStrategy("longer", always_long("longer"))
    clock = FixedClock(START + DAY_MS - 5 * 60_000)  # 23:55 UTC
    orch, clock = make_brain(tmp_path, {"longer": strat}, cfg=cfg, clock=clock)
    await orch.start()
    await cycles(orch, clock, 4)  # 23:56 .. 23:59, holding positions
    pf = orch.portfolio
    assert pf.positions, "the scenario needs an open position at midnight"
    old_day = (clock.now_ms()) // DAY_MS
    # The day so far lost 2.5 % (a baseline set above today's equity): the day is past
    # the -1.8 % limit only when booked; the crossing cycle must see it for the old day.
    pf._daily.start_equity = pf.equity / (1 - 0.025)
    orch.locks.daily_lock = False
    clock.advance(60_000)  # 00:00:xx — the first cycle of the new day
    assert clock.now_ms() // DAY_MS == old_day + 1
    await orch.run_cycle()
    kinds = [(r.kind, r.text) for r in orch.dao.journal_tail(30, run_id=orch.run_id)]
    day_rec = [t for k, t in kinds if k == "day"]
    assert day_rec and "closed at -2." in day_rec[0]
    lock = [t for k, t in kinds if k == "lock" and "daily lock" in t]
    assert lock, kinds
    # the boundary equity point belongs to the old day, the baseline was reset after it
    pts = orch.dao.equity_series(since_ms=START)
    at_boundary = [p for p in pts if p.ts == (old_day + 1) * DAY_MS - 1]
    assert at_boundary and at_boundary[0].daily_pnl <= -0.018
    assert pf._daily.day == old_day + 1 and abs(pf.daily_pnl_pct) < 0.018
    await orch.stop()
