"""Small allocation arithmetic shared by the controller's checks."""

from __future__ import annotations

import math

from ats.risk.plan import TradePlan


def plan_problem(plan: TradePlan) -> str:
    """Why a plan cannot be booked at all (empty string when it can)."""
    nums = (plan.qty, plan.risk_amount, plan.notional, plan.entry)
    if not all(isinstance(x, int | float) and math.isfinite(x) for x in nums):
        return f"plan for {plan.symbol} has a non-finite number {nums!r}"
    if plan.qty <= 0 or plan.risk_amount < 0 or plan.notional < 0 or plan.entry <= 0:
        return (f"plan for {plan.symbol} needs qty > 0, entry > 0, risk >= 0, notional >= 0 "
                f"(got qty={plan.qty}, entry={plan.entry}, risk={plan.risk_amount}, "
                f"notional={plan.notional})")
    return ""


def room_qty(room: float, per_unit: float) -> float:
    """Units that fit in ``room`` at ``per_unit`` each (unlimited when a unit costs nothing)."""
    if per_unit <= 0:
        return math.inf if room >= 0 else 0.0
    return max(0.0, room) / per_unit
