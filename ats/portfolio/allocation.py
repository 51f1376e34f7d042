"""Small allocation arithmetic shared by the controller's checks."""

from __future__ import annotations

import math

from ats.i18n.said import Said
from ats.risk.plan import TradePlan


def plan_problem(plan: TradePlan) -> str:
    """Why a plan cannot be booked at all (empty string when it can)."""
    nums = (plan.qty, plan.risk_amount, plan.notional, plan.entry)
    if not all(isinstance(x, int | float) and math.isfinite(x) for x in nums):
        return Said("reason.plan_non_finite", symbol=plan.symbol, qty=_arg(plan.qty),
                    risk=_arg(plan.risk_amount), notional=_arg(plan.notional),
                    entry=_arg(plan.entry))
    if plan.qty <= 0 or plan.risk_amount < 0 or plan.notional < 0 or plan.entry <= 0:
        return Said("reason.plan_invalid", symbol=plan.symbol, qty=plan.qty, entry=plan.entry,
                    risk=plan.risk_amount, notional=plan.notional)
    return ""


def _arg(x: object) -> float | str:
    return float(x) if isinstance(x, int | float) else str(x)


def room_qty(room: float, per_unit: float) -> float:
    """Units that fit in ``room`` at ``per_unit`` each (unlimited when a unit costs nothing)."""
    if per_unit <= 0:
        return math.inf if room >= 0 else 0.0
    return max(0.0, room) / per_unit
