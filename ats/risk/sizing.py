"""Sizing arithmetic: stops, Kelly, lot rounding and the result type.

Kept apart from the engine's policy (how much to risk) so each rule can be property-tested
on its own: rounding must never round up, a stop must sit on the losing side of the entry,
and a Kelly cap must never allow a negative-edge trade.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from ats.domain.types import Side

# Relative slack for binary noise in quantities: (0.03 - 0.025) * 10_000 / 2 is 24.999999..
# and must floor to 25 lots, not 24.9. One in a billion is far below any money amount.
QTY_TOLERANCE = 1e-9

@dataclass(frozen=True, slots=True)
class SizingResult:
    """The size of one trade, or why there is none.

    ``rejected`` is a human-readable reason (journaled, shown in the TUI); ``code`` is a
    stable short key for counting rejections without the numbers in the text.
    """

    qty: float
    risk_amount: float
    risk_pct: float
    stop_price: float | None
    take_price: float | None
    notional: float
    rejected: str | None = None
    code: str = ""
    side: Side | None = None
    budget_pct: float = 0.0
    stop_source: str = ""  # "hint" | "atr" | "fixed"

    @property
    def ok(self) -> bool:
        return self.rejected is None and self.qty > 0

    @classmethod
    def reject(cls, code: str, reason: str, *, budget_pct: float = 0.0) -> SizingResult:
        return cls(
            qty=0.0,
            risk_amount=0.0,
            risk_pct=0.0,
            stop_price=None,
            take_price=None,
            notional=0.0,
            rejected=reason,
            code=code,
            budget_pct=budget_pct,
        )


def is_pos(x: float | None) -> bool:
    """True for a finite number > 0 (False for None, NaN, inf, zero and negatives)."""
    return x is not None and isinstance(x, int | float) and math.isfinite(x) and x > 0


def floor_to_step(qty: float, step: float) -> float:
    """Largest multiple of ``step`` that is <= ``qty`` (never rounds up, even by float noise).

    ``math.floor(qty / step)`` alone is wrong both ways in binary floating point: 0.3 / 0.1
    is 2.9999999999999996 (rounds a whole step too low) and n * step can land a hair above
    ``qty``. We correct the count up once, then down until the product is not above ``qty``.
    """
    if not (is_pos(qty) and is_pos(step)):
        return 0.0
    ratio = qty / step
    if not math.isfinite(ratio) or ratio > 1e15:
        return float(qty)  # the step is below float resolution at this size
    n = math.floor(ratio)
    if _on_grid(n + 1, step) <= qty:
        n += 1
    while n > 0:
        value = _on_grid(n, step)
        if value <= qty:
            return value
        n -= 1
    return 0.0


def _on_grid(n: int, step: float) -> float:
    """``n * step`` without float noise when the step is a plain decimal like 0.001."""
    decimals = _step_decimals(step)
    value = float(n * step)
    if decimals is None:
        return value
    return float(round(value, decimals))


def _step_decimals(step: float) -> int | None:
    """Decimal places of a step like 0.001 or 1e-05 (so 3 * 0.1 gives 0.3), None if odd."""
    exponent = Decimal(repr(float(step))).as_tuple().exponent
    if not isinstance(exponent, int):
        return None
    return max(0, -exponent)


def round_stop(stop: float, side: Side, tick: float) -> float:
    """Round a stop to the tick AWAY from the entry: a wider stop means a smaller size.

    A long's stop goes down, a short's goes up; rounding towards the entry would risk more
    than the budget once the order is placed at the venue's tick.
    """
    if not is_pos(tick):
        return stop
    steps = stop / tick
    n = math.floor(steps + 1e-9) if side is Side.BUY else math.ceil(steps - 1e-9)
    rounded = _on_grid(n, tick)
    # Float noise must never pull the stop towards the entry.
    if side is Side.BUY and rounded > stop:
        rounded = _on_grid(n - 1, tick)
    if side is Side.SELL and rounded < stop:
        rounded = _on_grid(n + 1, tick)
    return rounded


def kelly_risk_cap(confidence: float, reward_risk: float, fraction: float) -> float:
    """Fractional Kelly share of equity to risk, from win probability and reward:risk.

    With a stop, the amount "bet" is the risk amount, so the classic f* = p - (1 - p) / b
    applies directly to the risk fraction. Returns <= 0 for a negative-edge trade.
    """
    if not (math.isfinite(confidence) and is_pos(reward_risk) and is_pos(fraction)):
        return 0.0
    p = min(1.0, max(0.0, confidence))
    return fraction * (p - (1.0 - p) / reward_risk)


def stop_on_losing_side(side: Side, entry: float, stop: float) -> bool:
    return stop < entry if side is Side.BUY else stop > entry


def take_on_winning_side(side: Side, entry: float, take: float) -> bool:
    return take > entry if side is Side.BUY else take < entry
