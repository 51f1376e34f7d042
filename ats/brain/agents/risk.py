"""RiskManagerAgent: turns signals into sized trade plans, or rejections with a reason.

Entries pass the lock gate (daily lock, kill switch, governance edit), the drawdown guard,
stop planning, sizing (``RiskEngine`` through ``plan_position``) and the portfolio's room
(``PortfolioController.can_allocate``, shrinking the plan when only size is the problem).
Exits are never blocked by a lock: closing risk is always allowed. Each strategy owns its
exits: a position carries the strategy's own stop and take (a protective ATR stop only when
the strategy gave none, never an invented take), and ``protect`` turns a touched stop or
take into an exit request; partial takes, trailing and time stops arrive as the strategy's
exit signals and are carried out as sent (``qty_fraction``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ats import indicators as ind
from ats.brain.tools import ToolContext, ToolRegistry
from ats.domain import Bars, FxRates, InstrumentSpec, Position, Quote, Side, StrategySignal
from ats.i18n.said import Said
from ats.risk import TradePlan, floor_to_step
from ats.risk.edge import strategy_edge


@dataclass(frozen=True, slots=True)
class Rejection:
    symbol: str
    strategy: str
    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class ExitRequest:
    symbol: str
    side: Side  # the closing side
    qty: float
    reason: str
    strategy: str = ""


@dataclass(frozen=True, slots=True)
class LockStatus:
    blocked: bool = False
    code: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class RiskInput:
    signals: list[StrategySignal]
    bars: dict[tuple[str, str], Bars]
    instruments: dict[str, InstrumentSpec]
    lock: LockStatus = LockStatus()
    vol_quantile: dict[str, float] = field(default_factory=dict)
    # The venue's rates to the account currency; None only in unit tests of same-currency
    # books (every amount then counts 1:1).
    fx: FxRates | None = None


@dataclass(slots=True)
class RiskResult:
    plans: list[TradePlan] = field(default_factory=list)
    exits: list[ExitRequest] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


class RiskManagerAgent:
    name = "risk"

    def __init__(self, registry: ToolRegistry, ctx: ToolContext, *, atr_period: int = 14) -> None:
        self.registry = registry
        self.ctx = ctx
        self.atr_period = atr_period

    @property
    def portfolio(self) -> Any:
        return self.ctx.portfolio

    def evaluate(self, inp: RiskInput) -> RiskResult:
        res = RiskResult()
        positions: dict[str, Position] = self.portfolio.positions
        planned: set[str] = set()
        closing: set[str] = set()  # symbols whose whole position an exit closes this cycle
        # Exits first: they free risk for the entries behind them.
        for sig in inp.signals:
            if not sig.is_exit:
                continue
            pos = positions.get(sig.symbol)
            if pos is None or pos.qty == 0:
                continue
            if pos.side is sig.side:
                continue  # an exit signal closes the opposite side; this one is a no-op
            qty = abs(pos.qty)
            frac = sig.meta.get("qty_fraction", 1.0) if sig.meta else 1.0
            if isinstance(frac, int | float) and 0 < frac < 1:
                spec = inp.instruments.get(sig.symbol)
                part = floor_to_step(qty * frac, spec.lot_step) if spec else qty * frac
                if spec is not None and (part < spec.min_qty or qty - part < spec.min_qty):
                    part = qty  # a remainder too small to trade: close it all
                qty = part if part > 0 else qty
            res.exits.append(ExitRequest(sig.symbol, pos.side.opposite, qty,
                                         Said("reason.exit_signal", reason=sig.reason),
                                         sig.strategy))
            if qty >= abs(pos.qty):
                closing.add(sig.symbol)
        entries = sorted((s for s in inp.signals if not s.is_exit), key=lambda s: -s.confidence)
        for sig in entries:
            # a position closed by this cycle's exit does not block an entry the other way
            # (a reversal: the exit goes to the venue first, then the entry)
            held = {k: v for k, v in positions.items()
                    if not (k in closing and k == sig.symbol and v.side is not sig.side)}
            rej = self._entry(sig, inp, held, planned, res)
            if rej is not None:
                res.rejections.append(rej)
        return res

    def shadow_plans(self, inp: RiskInput) -> RiskResult:
        """Challenger plans sized exactly like live ones, ignoring locks and portfolio room:
        a shadow trade costs nothing, and scoring it the same way keeps the comparison fair."""
        res = RiskResult()
        for sig in inp.signals:
            if sig.is_exit:
                continue
            rej = self._entry(sig, inp, {}, set(), res, shadow=True)
            if rej is not None:
                res.rejections.append(rej)
        return res

    def _entry(self, sig: StrategySignal, inp: RiskInput, positions: dict[str, Position],
               planned: set[str], res: RiskResult, *, shadow: bool = False) -> Rejection | None:
        def reject(code: str, reason: str) -> Rejection:
            return Rejection(sig.symbol, sig.strategy, code, reason)

        pf = self.portfolio
        if not shadow:
            if inp.lock.blocked:
                return reject(inp.lock.code, inp.lock.reason)
            guard = self.registry.call("guard_drawdown", self.ctx,
                                       daily_pnl_pct=pf.daily_pnl_pct,
                                       trailing_dd_pct=pf.trailing_dd_pct)
            if not guard.ok:
                return reject("kill_switch" if guard.kill_switch else "daily_lock", guard.reason)
            pos = positions.get(sig.symbol)
            if pos is not None and pos.qty != 0:
                return reject("position_open", Said(
                    "reason.position_open_long" if pos.qty > 0 else "reason.position_open_short",
                    symbol=sig.symbol))
            if sig.symbol in planned:
                return reject("one_per_symbol", Said("reason.one_per_symbol", symbol=sig.symbol))
        spec = inp.instruments.get(sig.symbol)
        if spec is None:
            return reject("no_instrument", Said("reason.no_instrument", symbol=sig.symbol))
        bars = inp.bars.get((sig.symbol, sig.timeframe))
        if bars is None or len(bars) <= self.atr_period:
            return reject("no_atr", Said("reason.no_atr_bars", timeframe=sig.timeframe,
                                         symbol=sig.symbol))
        atr_s = ind.atr(bars.high, bars.low, bars.close, self.atr_period)
        atr = float(atr_s[-1])
        finite = atr_s[np.isfinite(atr_s)]
        atr_ref = float(np.median(finite)) if len(finite) else None
        if not (atr > 0 and np.isfinite(atr)):
            return reject("no_atr", Said("reason.atr_not_positive", symbol=sig.symbol))
        entry = sig.entry
        stops = self.registry.call("plan_stops", self.ctx, side=sig.side, entry=entry, atr=atr,
                                   stop_hint=sig.stop_hint, take_hint=sig.take_hint,
                                   tick_size=spec.tick_size)
        rate = inp.fx.quote_rate(spec) if inp.fx is not None else 1.0
        if rate is None:
            assert inp.fx is not None
            return reject("no_fx_rate", Said(
                "reason.no_fx_rate", source=inp.fx.source or Said("reason.the_venue"),
                currency=spec.quote_currency, account=inp.fx.account, symbol=sig.symbol))
        state = pf.risk_state(inp.vol_quantile.get(sig.symbol))
        cap = self.ctx.equity_cap
        if cap is not None and 0 < cap < state.equity:
            state = replace(state, equity=cap)  # VIRTUAL_EQUITY bounds a VST/demo balance
        hi, lo, last = float(bars.high[-1]), float(bars.low[-1]), float(bars.close[-1])
        spread = float(bars.spread[-1]) if len(bars.spread) else 0.0
        sizing = self.registry.call(
            "plan_position", self.ctx, signal=sig, entry=entry, atr=atr, atr_ref=atr_ref,
            state=state, instrument=spec, stops=stops, gross_exposure=pf.gross_exposure,
            quote_rate=rate, spread=spread if np.isfinite(spread) else 0.0,
            range_bps=(hi - lo) / last * 1e4 if last > 0 else 0.0,
            edge=strategy_edge(pf.closed_trades, sig.strategy, now_ms=self.ctx.ts or None))
        if not sizing.ok:
            return reject(sizing.code or "sizing", sizing.rejected or Said("reason.size_zero"))
        plan = TradePlan.from_sizing(sig, sizing, entry)
        if shadow:
            res.plans.append(plan)
            return None
        decision = pf.can_allocate(plan)
        if not decision.ok:
            mq = decision.max_qty
            if mq is not None and mq >= spec.min_qty and 0 < mq < plan.qty:
                plan = plan.scaled(mq)
            else:
                return reject(decision.code or "portfolio", decision.reason)
        pf.add_pending(plan)
        planned.add(sig.symbol)
        res.plans.append(plan)
        return None

    def protect(self, positions: dict[str, Position], last_bars: dict[str, tuple[int, float,
                float]], quotes: dict[str, Quote]) -> list[ExitRequest]:
        """Exit requests for positions whose stop or take was reached.

        ``last_bars`` maps symbol -> (close ts, high, low) of its newest closed bar; a bar
        counts only if it closed after the position opened (no stop hit from before entry,
        but the bar the entry filled in does count: its range after the fill is real).
        """
        out: list[ExitRequest] = []
        for sym, pos in positions.items():
            if pos.qty == 0 or (pos.stop is None and pos.take is None):
                continue
            lo = hi = None
            bar = last_bars.get(sym)
            if bar is not None and bar[0] > pos.ts:
                hi, lo = bar[1], bar[2]
            q = quotes.get(sym)
            if q is not None:
                px = q.bid if pos.qty > 0 else q.ask
                lo = px if lo is None else min(lo, px)
                hi = px if hi is None else max(hi, px)
            if lo is None or hi is None:
                continue
            long = pos.qty > 0
            reason: str = ""
            if pos.stop is not None and ((long and lo <= pos.stop) or (not long
                                                                      and hi >= pos.stop)):
                reason = Said("reason.stop_hit", stop=float(pos.stop))
            elif pos.take is not None and ((long and hi >= pos.take) or (not long
                                                                       and lo <= pos.take)):
                reason = Said("reason.take_hit", take=float(pos.take))
            if reason:
                out.append(ExitRequest(sym, pos.side.opposite, abs(pos.qty), reason,
                                       pos.strategy))
        return out
