"""Book the UTC day that a cycle has just left, before the new day's baseline is set.

A cycle that crosses midnight brings the market's move of the last minutes of the old day
together with the first of the new one. Marked only at the cycle's time, all of it would
land in the new day and the same mark would reset the day's baseline — an old day that
closed past the daily loss limit would never fire the lock. So the first cycle of a new day
first marks the book at the boundary (each held symbol at the close of its last bar that
closed by midnight), records that equity point, fires the daily lock for the old day if it
passed the limit, and only then lets the new day begin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ats.brain.agents import MonitorInput
from ats.domain import timeframe_ms
from ats.domain.clock import ms_to_datetime
from ats.i18n.said import Said, with_said

if TYPE_CHECKING:
    from ats.brain.cycle import CycleWork
    from ats.brain.ports import CycleHost

DAY_MS = 86_400_000


def boundary_prices(o: CycleHost, boundary: int) -> dict[str, float]:
    """Each held symbol's close of the last fine bar that closed by ``boundary``."""
    step = timeframe_ms(o.fine_tf)
    out: dict[str, float] = {}
    for sym in o.portfolio.positions:
        win = o.windows.get((sym, o.fine_tf))
        if win is None or not len(win):
            continue
        bars = win.view()
        i = int(np.searchsorted(bars.ts, boundary - step, side="right")) - 1
        if i >= 0:
            out[sym] = float(bars.close[i])
    return out


def book_day_boundary(o: CycleHost, w: CycleWork) -> None:
    """If ``w`` is the first cycle of a new UTC day, close the old day (see module doc)."""
    pf = o.portfolio
    day = getattr(getattr(pf, "_daily", None), "day", None)
    if day is None or w.ts // DAY_MS <= day:
        return
    boundary = (int(day) + 1) * DAY_MS
    at = boundary - 1  # the old day's last millisecond
    res = o.monitor.observe(MonitorInput(ts=at, prices=boundary_prices(o, boundary)))
    guard = o.registry.call("guard_drawdown", o.ctx, daily_pnl_pct=res.daily_pnl_pct,
                            trailing_dd_pct=res.trailing_dd_pct)
    events = list(o.locks.apply_guard(guard, at))
    date = ms_to_datetime(at).strftime("%Y-%m-%d")
    o.journal_event("day", Said("reason.lock.day_closed", date=date,
                                pnl=float(res.daily_pnl_pct), equity=float(res.equity)),
                    {"day": date, "daily_pnl_pct": res.daily_pnl_pct, "equity": res.equity,
                     "locks": [e.name for e in events]})
    for ev in events:  # journaled at the old day's last moment: the day they belong to
        o.counters.locks.append(f"{ev.kind} {ev.name}: {ev.reason}")
        body = with_said({"lock": ev.name, "reason": ev.reason, "message": ev.reason}, ev.reason)
        o.dao.journal(ev.kind, body, ts=at, run_id=o.run_id, text=ev.reason)
    o.lock_events([o.locks.roll_day(w.ts)])  # the old day's lock ends with the old day
