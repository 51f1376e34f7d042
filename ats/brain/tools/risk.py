"""Risk tools: the drawdown guard, protective stops and position sizing.

Every limit comes from the locked governance in the tool context; nothing here hard-codes a
percentage, so editing ``governance.yaml`` (before start-up) is the only way to move them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from ats.brain.tools.base import ToolContext, ToolError, ToolSpec
from ats.domain import InstrumentSpec, Side, StrategySignal
from ats.i18n.said import Said
from ats.risk.edge import round_trip_cost


@dataclass(frozen=True, slots=True)
class GuardResult:
    ok: bool
    daily_lock: bool
    kill_switch: bool
    reason: str = ""
    # Each lock's own cause (the reason joins them): the lock keeps only its own.
    kill_reason: str = ""
    daily_reason: str = ""


class GuardDrawdown:
    """Daily loss and trailing drawdown against governance ``locks``.

    Blocks at daily PnL <= -daily_max_loss or trailing DD <= -trailing_dd_kill_switch (both
    inclusive: reaching the limit is enough).
    """

    spec = ToolSpec("guard_drawdown", "risk.guard", "risk",
                    description="daily lock / kill switch thresholds from governance")

    def __call__(self, ctx: ToolContext, *, daily_pnl_pct: float, trailing_dd_pct: float,
                 **_: Any) -> GuardResult:
        locks = ctx.governance.locks
        eps = 1e-12
        daily = daily_pnl_pct <= -locks.daily_max_loss + eps
        kill = trailing_dd_pct <= -locks.trailing_dd_kill_switch + eps
        kill_why = Said("reason.guard_kill_switch", dd=float(trailing_dd_pct),
                        limit=float(locks.trailing_dd_kill_switch),
                        hours=locks.trailing_dd_window_hours) if kill else ""
        daily_why = Said("reason.guard_daily_lock", pnl=float(daily_pnl_pct),
                         limit=float(locks.daily_max_loss)) if daily else ""
        reason = (Said("reason.guard_both", kill=kill_why, daily=daily_why)
                  if kill_why and daily_why else kill_why or daily_why)
        return GuardResult(not (daily or kill), daily, kill, reason, kill_why, daily_why)


@dataclass(frozen=True, slots=True)
class StopPlan:
    stop: float
    take: float | None  # None: the strategy manages its exit itself (partials, trailing)
    source: str  # "hint" (the strategy's own stop) | "atr" (protective stop added here)


class PlanStops:
    """The position's stop and take: the strategy's own levels, a protective stop if none.

    Each strategy owns its exits: a stop hint is kept as given, a take hint is kept as given,
    and no take is invented — Breakout4H's partials at 1R/2R and channel exit, VolExp15M's
    trailing and time stops are signals the strategy sends later, and a take here would cut
    them short. Only when a strategy gives no usable stop does the risk layer add a
    protective one at ``stop_atr`` x ATR (``source="atr"``).
    """

    spec = ToolSpec("plan_stops", "risk.stops", "risk",
                    description="the strategy's stop and take; a 1.2x ATR protective stop "
                                "only where it gives none")

    def __init__(self, stop_atr: float = 1.2) -> None:
        self.stop_atr = stop_atr

    def __call__(self, ctx: ToolContext, *, side: Side, entry: float, atr: float,
                 stop_hint: float | None = None, take_hint: float | None = None,
                 tick_size: float = 0.0, **_: Any) -> StopPlan:
        if not (math.isfinite(entry) and entry > 0 and math.isfinite(atr) and atr > 0):
            raise ToolError(f"plan_stops: needs a positive entry and ATR (got {entry!r}, {atr!r})")
        sign = side.sign
        source = "atr"
        stop = entry - sign * self.stop_atr * atr
        take: float | None = None
        if stop_hint is not None and math.isfinite(stop_hint) and stop_hint > 0 \
                and (entry - stop_hint) * sign > 0:
            stop, source = stop_hint, "hint"
        if take_hint is not None and math.isfinite(take_hint) and take_hint > 0 \
                and (take_hint - entry) * sign > 0:
            take = take_hint
        if tick_size > 0:
            # Round away from the entry for the stop (never tighter than planned).
            n = (stop / tick_size)
            stop = (math.floor(n) if sign > 0 else math.ceil(n)) * tick_size
            if take is not None:
                take = round(take / tick_size) * tick_size
        if stop <= 0:
            stop = entry * 0.5 if sign > 0 else entry * 1.5
        return StopPlan(stop, take, source)


MULT_MIN, MULT_MAX = 0.5, 1.25


def confidence_multiplier(confidence: float, atr: float, atr_ref: float | None,
                          fit: float | None = None) -> float:
    """0.5…1.25 times the risk budget: signal quality, market fit, volatility.

    Quality is the mean of the strategy's confidence and ``fit`` (the selection agent's
    ``score_strategy`` for this market, 0…1; the confidence alone when absent), mapped
    linearly onto 0.5…1.25. ATR above its reference level scales it down (at twice the
    usual ATR, half), calm markets up to 1.5x, and the product is clipped to 0.5…1.25.
    1.25 x the 0.8 % base budget is the 1.0 % governance maximum, so the whole range is
    usable: the engine honours it up to the budget's ceiling.
    """
    conf = min(1.0, max(0.0, confidence))
    if fit is not None and math.isfinite(fit):
        conf = 0.5 * conf + 0.5 * min(1.0, max(0.0, fit))
    quality = MULT_MIN + (MULT_MAX - MULT_MIN) * conf
    vol = 1.0
    if atr_ref is not None and atr_ref > 0 and atr > 0 and math.isfinite(atr_ref):
        vol = min(1.5, max(0.5, atr_ref / atr))
    return min(MULT_MAX, max(MULT_MIN, quality * vol))


class PlanPosition:
    """Size an entry with ``RiskEngine.size_position`` after a confidence/ATR multiplier."""

    spec = ToolSpec("plan_position", "risk.size", "risk",
                    description="quality/fit/ATR multiplier 0.5..1.25, costs in the risk, "
                                "then RiskEngine sizing")

    def __call__(self, ctx: ToolContext, *, signal: StrategySignal, entry: float, atr: float,
                 state: Any, instrument: InstrumentSpec, stops: StopPlan,
                 atr_ref: float | None = None, gross_exposure: float = 0.0,
                 stop_atr_mult: float = 1.2, quote_rate: float = 1.0, spread: float = 0.0,
                 range_bps: float = 0.0, edge: tuple[float, float, int] | None = None,
                 **_: Any) -> Any:
        engine = ctx.risk_engine
        if engine is None:
            raise ToolError("plan_position: the tool context has no risk engine")
        fit = signal.meta.get("fit_score") if signal.meta else None
        mult = confidence_multiplier(signal.confidence, atr, atr_ref,
                                     fit if isinstance(fit, int | float) else None)
        cm = ctx.cost_model.for_class(instrument.asset_class)
        cost = round_trip_cost(entry, stops.stop, spread, cm.taker_fee,
                               cm.slippage_bps_base + cm.vol_impact * max(0.0, range_bps))
        sig = replace(signal, stop_hint=stops.stop, take_hint=stops.take)
        return engine.size_position(
            sig, entry, state, atr, instrument, stop_atr_mult=stop_atr_mult,
            confidence_mult=mult, gross_exposure=gross_exposure, quote_rate=quote_rate,
            cost_per_unit=cost, edge=edge,
        )
