"""How much to risk on the next trade, and how many units that buys.

The budget is policy (governance): a base share of equity, a small bonus on a green day,
cut as the day's loss approaches the daily lock and as the trailing drawdown approaches
the kill switch, never more than the room left under the portfolio cap, and reduced after
a losing streak or in high volatility. Sizing turns that budget into a quantity through the
stop distance, then applies the hard limits (Kelly, leverage, lot step, minimum quantity)
that can only ever make the position smaller.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

from ats.domain.types import InstrumentSpec, Side, StrategySignal
from ats.i18n.said import Said
from ats.risk.settings import RiskSettings, RiskState
from ats.risk.sizing import (
    QTY_TOLERANCE,
    SizingResult,
    floor_to_step,
    is_pos,
    kelly_risk_cap,
    round_stop,
    stop_on_losing_side,
    take_on_winning_side,
)


@dataclass(frozen=True, slots=True)
class RiskBudget:
    """The budget and how it was reached (journaled with every plan)."""

    pct: float
    base_pct: float = 0.0
    dd_factor: float = 1.0
    room_pct: float = 0.0  # portfolio cap minus open risk
    reductions: tuple[str, ...] = ()  # "loss_streak", "high_vol"
    blocked: str | None = None
    code: str = ""
    # The most a multiplier may raise ``pct`` to: the governance maximum per trade, the
    # day's room under the daily lock and the room under the portfolio cap.
    ceiling_pct: float = 0.0


class RiskEngine:
    """Stateless apart from its settings: the same inputs always give the same size."""

    def __init__(self, settings: RiskSettings | None = None) -> None:
        self.settings = settings or RiskSettings()

    # ------------------------------------------------------------------ budget
    def risk_budget_pct(self, state: RiskState) -> float:
        """Fraction of equity the next trade may lose at its stop (0 when blocked)."""
        return self.risk_budget(state).pct

    def risk_budget(self, state: RiskState) -> RiskBudget:
        """The budget with its components; ``blocked`` says why it is zero."""
        s = self.settings
        if not is_pos(state.equity):
            return RiskBudget(0.0, blocked=Said("reason.invalid_equity",
                                                equity=_plain(state.equity)),
                              code="invalid_equity")
        numbers = (state.daily_pnl_pct, state.trailing_dd_pct, state.open_risk_pct)
        if not all(math.isfinite(x) for x in numbers):
            return RiskBudget(0.0, blocked=Said("reason.invalid_state",
                                                daily_pnl=_plain(numbers[0]),
                                                trailing_dd=_plain(numbers[1]),
                                                open_risk=_plain(numbers[2])),
                              code="invalid_state")
        base = s.base_risk_per_trade
        if state.daily_pnl_pct > 0:
            base += s.bonus_risk_on_profit
        base = min(base, s.max_risk_per_trade)

        # A stop-out must not carry the day past the daily lock.
        daily_room = s.daily_max_loss + min(0.0, state.daily_pnl_pct)
        if daily_room <= 0:
            return RiskBudget(0.0, base_pct=base, code="daily_lock",
                              blocked=Said("reason.budget_daily_lock",
                                           pnl=state.daily_pnl_pct, limit=s.daily_max_loss))
        # Linear fade to zero as the trailing drawdown approaches the kill switch.
        dd = max(0.0, -state.trailing_dd_pct)
        dd_factor = max(0.0, 1.0 - dd / s.kill_switch_dd)
        if dd_factor <= 0:
            return RiskBudget(0.0, base_pct=base, dd_factor=0.0, code="kill_switch",
                              blocked=Said("reason.budget_kill_switch",
                                           dd=state.trailing_dd_pct, limit=s.kill_switch_dd))
        cap = state.cap(s)
        room = cap - max(0.0, state.open_risk_pct) if math.isfinite(cap) else 0.0
        if room <= 1e-12:
            return RiskBudget(0.0, base_pct=base, dd_factor=dd_factor, room_pct=max(0.0, room),
                              code="portfolio_cap",
                              blocked=Said("reason.budget_portfolio_cap",
                                           open_risk=state.open_risk_pct, cap=max(0.0, cap)))
        budget = min(base * dd_factor, daily_room, room)
        budget, reductions = self._apply_dynamic_reduction(budget, state)
        budget = min(max(0.0, budget), s.max_risk_per_trade)
        ceiling = min(s.max_risk_per_trade, daily_room, room)
        if reductions or dd_factor < 1.0:
            ceiling = min(ceiling, budget)  # a cut budget is not raised back by a multiplier
        return RiskBudget(budget, base_pct=base, dd_factor=dd_factor, room_pct=room,
                          reductions=reductions, ceiling_pct=ceiling)

    def _apply_dynamic_reduction(
        self, budget: float, state: RiskState
    ) -> tuple[float, tuple[str, ...]]:
        """Multiply the budget down after a losing streak and in high volatility.

        Multipliers compound (both at once: 0.5 x 0.7) because the two risks are separate:
        a strategy out of tune with the market and a market moving more than the stops.
        """
        s = self.settings
        reductions: list[str] = []
        if state.loss_streak >= s.loss_streak_trigger:
            budget *= s.loss_streak_reduction
            reductions.append("loss_streak")
        vq = state.vol_quantile
        if vq is not None and math.isfinite(vq) and vq >= s.high_vol_quantile:
            budget *= s.high_vol_reduction
            reductions.append("high_vol")
        return budget, tuple(reductions)

    # ------------------------------------------------------------------ sizing
    def size_position(
        self,
        signal: StrategySignal,
        entry_price: float,
        state: RiskState,
        atr: float | None,
        instrument: InstrumentSpec,
        *,
        stop_atr_mult: float = 1.2,
        fixed_stop_pct: float | None = None,
        confidence_mult: float = 1.0,
        gross_exposure: float = 0.0,
        quote_rate: float = 1.0,
        cost_per_unit: float = 0.0,
        edge: tuple[float, float, int] | None = None,
    ) -> SizingResult:
        """Quantity = equity x budget / (loss per unit at the stop), then hard caps.

        The loss per unit is (stop distance + ``cost_per_unit``) x contract size x
        ``quote_rate``: the price distance and the round trip's fees, spread and expected
        slippage (price units, ``ats.risk.costs``), converted from the instrument's quote
        currency to the account currency at the venue's rate (USDJPY on a USD account:
        1/USDJPY). The stop comes from the signal's ``stop_hint``, else
        ``atr * stop_atr_mult``, else ``fixed_stop_pct`` of the entry. ``gross_exposure`` is
        the notional already open or pending (account currency); the new notional plus it
        stays within the leverage cap. ``confidence_mult`` (0.5-1.25 from ``plan_position``)
        scales the budget, up to the budget's ceiling: the governance maximum per trade and
        the room under the daily lock and the portfolio cap (never above a budget already
        cut for drawdown, a losing streak or high volatility).

        Kelly: a signal's confidence is not a win probability, so the Kelly cap uses only
        ``edge`` = (win rate, payoff ratio, trades) measured on the strategy's own closed
        trades (``ats.risk.edge``); without enough of them there is no Kelly cap.
        Bad inputs never raise: they come back as a rejection with the reason.
        """
        bad = _check_inputs(signal, entry_price, state, atr, instrument, stop_atr_mult,
                            fixed_stop_pct, confidence_mult, gross_exposure)
        if bad is None and not is_pos(quote_rate):
            bad = ("no_fx_rate", Said("reason.sizing_no_fx_rate",
                                      currency=instrument.quote_currency,
                                      symbol=instrument.symbol, rate=_plain(quote_rate)))
        if bad is None and not (math.isfinite(cost_per_unit) and cost_per_unit >= 0):
            bad = ("invalid_param", Said("reason.param_not_negative", name="cost_per_unit",
                                         value=_plain(cost_per_unit)))
        if bad is not None:
            return SizingResult.reject(*bad)
        side = signal.side
        budget = self.risk_budget(state)
        if budget.pct <= 0:
            return SizingResult.reject(budget.code or "no_budget",
                                       budget.blocked or Said("reason.budget_zero"))
        stop, source = _resolve_stop(signal, entry_price, atr, stop_atr_mult, fixed_stop_pct)
        if isinstance(source, tuple):
            return SizingResult.reject(*source, budget_pct=budget.pct)
        stop = round_stop(stop, side, instrument.tick_size)
        if not (is_pos(stop) and stop_on_losing_side(side, entry_price, stop)):
            return SizingResult.reject("bad_stop", Said("reason.bad_stop", stop=_plain(stop),
                                                        entry=_plain(entry_price)),
                                       budget_pct=budget.pct)
        distance = abs(entry_price - stop)
        cs = instrument.contract_size * quote_rate  # account currency per 1.0 move per unit
        if not (is_pos(distance * cs) and is_pos(entry_price * cs)):
            return SizingResult.reject("invalid_price", Said(
                "reason.stop_too_close", entry=_plain(entry_price), stop=_plain(stop)),
                budget_pct=budget.pct)
        take = signal.take_hint
        if take is not None and not (is_pos(take) and take_on_winning_side(side, entry_price,
                                                                             take)):
            take = None

        ceiling = budget.ceiling_pct if budget.ceiling_pct > 0 else budget.pct
        risk_pct = min(budget.pct * confidence_mult, max(ceiling, 0.0))
        if self.settings.kelly_cap and edge is not None:
            p, payoff, n = edge
            kelly = kelly_risk_cap(p, payoff, self.settings.kelly_fraction)
            if kelly <= 0:
                return SizingResult.reject(
                    "negative_edge", Said("reason.kelly_no_edge", strategy=signal.strategy,
                                          n=int(n), win_rate=float(p), payoff=float(payoff)),
                    budget_pct=budget.pct)
            risk_pct = min(risk_pct, kelly)
        if risk_pct <= 0:
            return SizingResult.reject("no_budget", Said("reason.confidence_no_risk"),
                                       budget_pct=budget.pct)

        equity = state.equity
        loss = distance + cost_per_unit  # price units lost per unit at the stop, costs in
        qty = equity * risk_pct / (loss * cs)
        leverage = min(self.settings.leverage_cap, instrument.max_leverage)
        notional_room = leverage * equity - gross_exposure
        if notional_room <= 0:
            return SizingResult.reject(
                "leverage_cap", Said("reason.leverage_used", gross=float(gross_exposure),
                                     leverage=float(leverage), equity=float(equity)),
                budget_pct=budget.pct)
        qty = min(qty, notional_room / (entry_price * cs))
        # Binary noise in the stop distance (1.1 - 1.09 = 0.010000000000000009) must not cost
        # a whole lot step; a one-in-a-billion tolerance absorbs it and nothing more.
        qty = floor_to_step(qty * (1.0 + QTY_TOLERANCE), instrument.lot_step)
        if qty <= 0 or qty < instrument.min_qty:
            return SizingResult.reject(
                "below_min_qty", Said(
                    "reason.below_min_qty", qty=float(qty), min_qty=float(instrument.min_qty),
                    symbol=instrument.symbol, min_risk=float(instrument.min_qty * loss * cs),
                    risk_pct=float(risk_pct), equity=float(equity),
                    budget=float(equity * risk_pct), distance=float(distance),
                    costs=float(cost_per_unit)),
                budget_pct=budget.pct)
        risk_amount = qty * loss * cs
        return SizingResult(
            qty=qty,
            risk_amount=risk_amount,
            risk_pct=risk_amount / equity,
            stop_price=stop,
            take_price=take,
            notional=qty * entry_price * cs,
            side=side,
            budget_pct=budget.pct,
            stop_source=source,
        )


def _check_inputs(
    signal: StrategySignal,
    entry_price: float,
    state: RiskState,
    atr: float | None,
    instrument: InstrumentSpec,
    stop_atr_mult: float,
    fixed_stop_pct: float | None,
    confidence_mult: float,
    gross_exposure: float,
) -> tuple[str, Said] | None:
    """First unusable input as (code, reason), or None when everything can be sized."""
    if signal.is_exit:
        return "exit_signal", Said("reason.exit_not_sized")
    if not isinstance(signal.side, Side):
        return "bad_side", Said("reason.bad_side", side=_plain(signal.side))
    if not is_pos(state.equity):
        return "invalid_equity", Said("reason.invalid_equity", equity=_plain(state.equity))
    if not is_pos(entry_price):
        return "invalid_price", Said("reason.invalid_entry", entry=_plain(entry_price),
                                     symbol=signal.symbol)
    if atr is not None and not is_pos(atr):
        return "invalid_atr", Said("reason.invalid_atr", atr=_plain(atr), symbol=signal.symbol)
    if not (is_pos(instrument.lot_step) and is_pos(instrument.contract_size)
            and math.isfinite(instrument.min_qty) and instrument.min_qty >= 0
            and is_pos(instrument.max_leverage)):
        return "invalid_instrument", Said("reason.invalid_instrument", symbol=instrument.symbol)
    if not is_pos(stop_atr_mult):
        return "invalid_param", Said("reason.param_positive", name="stop_atr_mult",
                                     value=_plain(stop_atr_mult))
    if fixed_stop_pct is not None and not (is_pos(fixed_stop_pct) and fixed_stop_pct < 1):
        return "invalid_param", Said("reason.param_fraction", name="fixed_stop_pct",
                                     value=_plain(fixed_stop_pct))
    if not (math.isfinite(confidence_mult) and confidence_mult >= 0):
        return "invalid_param", Said("reason.param_not_negative", name="confidence_mult",
                                     value=_plain(confidence_mult))
    if not (math.isfinite(gross_exposure) and gross_exposure >= 0):
        return "invalid_param", Said("reason.param_not_negative", name="gross_exposure",
                                     value=_plain(gross_exposure))
    if not math.isfinite(signal.confidence):
        return "invalid_param", Said("reason.confidence_nan",
                                     confidence=_plain(signal.confidence))
    return None


def _resolve_stop(
    signal: StrategySignal,
    entry: float,
    atr: float | None,
    atr_mult: float,
    fixed_pct: float | None,
) -> tuple[float, str | tuple[str, Said]]:
    """(stop, source) or (nan, (code, reason)) when no stop can be placed."""
    side = signal.side
    hint = signal.stop_hint
    if hint is not None:
        if is_pos(hint) and stop_on_losing_side(side, entry, hint):
            return hint, "hint"
        return math.nan, ("bad_stop", Said(
            "reason.stop_hint_wrong_side_buy" if side is Side.BUY
            else "reason.stop_hint_wrong_side_sell", hint=_plain(hint), entry=_plain(entry)))
    if atr is not None:
        return entry - side.sign * atr * atr_mult, "atr"
    if fixed_pct is not None:
        return entry * (1.0 - side.sign * fixed_pct), "fixed"
    return math.nan, ("no_stop", Said("reason.no_stop", symbol=signal.symbol))


def _plain(v: object) -> str | int | float | bool | None:
    """An argument for a reason: numbers as they are, anything else (an enum, an object a
    caller passed by mistake) as its text, so the journal's record stays plain JSON."""
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, numbers.Real):
        return float(v)
    return str(v.value) if isinstance(v, Side) else str(v)
