"""The portfolio controller: one account's positions, equity, drawdown and risk room.

It answers the risk manager's question "may this plan be added now?" against the portfolio
risk cap (cut by correlation safe mode), the leverage cap and the loss locks, and it keeps
the figures those answers depend on: equity from fills and marks, the UTC-day PnL, the
trailing-window drawdown, the losing streak. It never talks to a broker or a database:
the brain feeds it fills and prices and persists the snapshots it emits.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable, Mapping

import numpy as np

from ats.config.models import Governance
from ats.domain.types import Fill, InstrumentSpec, Position
from ats.i18n.said import Said
from ats.portfolio.allocation import plan_problem, room_qty
from ats.portfolio.correlation import max_abs_correlation, safe_mode_cap
from ats.portfolio.drawdown import DailyBaseline, TrailingPeak
from ats.portfolio.ledger import Ledger
from ats.portfolio.types import AllocationDecision, ClosedTrade, EquitySnapshot
from ats.risk.plan import TradePlan
from ats.risk.settings import RiskState
from ats.risk.sizing import QTY_TOLERANCE, floor_to_step

_TOL = QTY_TOLERANCE
CLOSED_TRADES_KEPT = 5_000


class PortfolioController:
    """Positions + pending plans + limits for one account (not thread-safe: one brain)."""

    def __init__(
        self,
        governance: Governance,
        starting_equity: float,
        *,
        on_equity: Callable[[EquitySnapshot], None] | None = None,
        instruments: Mapping[str, InstrumentSpec] | None = None,
    ) -> None:
        if not (math.isfinite(starting_equity) and starting_equity > 0):
            raise ValueError(f"starting equity {starting_equity!r} must be a positive number "
                             "(check VIRTUAL_EQUITY or the account balance)")
        self.governance = governance
        self.starting_equity = float(starting_equity)
        self._on_equity = on_equity
        self._ledger = Ledger()
        self._lot_steps: dict[str, float] = {}
        for spec in (instruments or {}).values():
            self.set_instrument(spec)
        hours = governance.locks.trailing_dd_window_hours
        self._peak = TrailingPeak(hours * 3_600_000)
        self._daily = DailyBaseline(self.starting_equity)
        self._pending: list[TradePlan] = []
        self._max_rho = 0.0
        self._rho_pair: tuple[str, str] | None = None
        self._loss_streak = 0
        self._closed: deque[ClosedTrade] = deque(maxlen=CLOSED_TRADES_KEPT)
        self.last_snapshot: EquitySnapshot | None = None
        self.bad_prices: dict[str, float] = {}

    def set_fx_rate(self, symbol: str, rate: float) -> None:
        """Quote-to-account rate of ``symbol`` (from the venue, refreshed every cycle)."""
        self._ledger.set_fx_rate(symbol, rate)

    def point_value(self, symbol: str) -> float:
        return self._ledger.point_value(symbol)

    def set_instrument(self, spec: InstrumentSpec) -> None:
        """Contract size (for PnL and notional) and lot step (for ``max_qty``) of a symbol."""
        self._ledger.set_contract_size(spec.symbol, spec.contract_size)
        self._lot_steps[spec.symbol] = spec.lot_step

    # ------------------------------------------------------------------ account figures
    @property
    def realized_pnl(self) -> float:
        return self._ledger.realized

    @property
    def fees_paid(self) -> float:
        return self._ledger.fees

    @property
    def unrealized_pnl(self) -> float:
        return self._ledger.unrealized

    @property
    def balance(self) -> float:
        return self.starting_equity + self._ledger.realized - self._ledger.fees

    @property
    def equity(self) -> float:
        return self.balance + self._ledger.unrealized

    @property
    def daily_pnl_pct(self) -> float:
        return self._daily.pnl_pct(self.equity)

    @property
    def day_start_equity(self) -> float:
        return self._daily.start_equity

    @property
    def trailing_dd_pct(self) -> float:
        return self._peak.drawdown(self.equity)

    @property
    def peak_history(self) -> list[tuple[int, float]]:
        return self._peak.history()

    @property
    def positions(self) -> dict[str, Position]:
        return self._ledger.positions()

    @property
    def loss_streak(self) -> int:
        return self._loss_streak

    @property
    def closed_trades(self) -> list[ClosedTrade]:
        return list(self._closed)

    # ------------------------------------------------------------------ risk and exposure
    @property
    def pending(self) -> tuple[TradePlan, ...]:
        return tuple(self._pending)

    def add_pending(self, plan: TradePlan) -> None:
        """Reserve a plan's risk and notional until its fills arrive or it is dropped."""
        bad = plan_problem(plan)
        if bad:
            raise ValueError(bad)
        self._pending.append(plan)

    def remove_pending(self, plan: TradePlan) -> bool:
        """Drop one pending plan (once its order is filled or cancelled); False if absent."""
        for i, p in enumerate(self._pending):
            if p is plan or p == plan:
                del self._pending[i]
                return True
        return False

    def clear_pending(self, symbol: str | None = None) -> None:
        """Drop all pending plans, or only those for ``symbol``."""
        self._pending = [] if symbol is None else [p for p in self._pending if p.symbol != symbol]

    @property
    def open_risk(self) -> float:
        """Capital lost (from entry) if every open position hit its stop.

        A position without a stop counts as one full max-risk trade: counting it as zero
        would let the cap be exceeded silently, counting its whole notional would freeze
        the account after a restart that lost the stop.
        """
        no_stop = self.governance.risk.max_risk_per_trade * max(0.0, self.equity)
        return sum(b.risk(no_stop) for b in self._ledger.books())

    @property
    def open_risk_pct(self) -> float:
        return self._pct(self.open_risk)

    @property
    def current_risk(self) -> float:
        """Fraction of equity at risk in positions plus pending plans."""
        return self._pct(self.open_risk + sum(p.risk_amount for p in self._pending))

    @property
    def gross_exposure(self) -> float:
        """Gross notional of positions (at their marks) and pending plans."""
        books = sum(abs(b.notional) for b in self._ledger.books())
        return books + sum(p.notional for p in self._pending)

    @property
    def net_exposure(self) -> float:
        books = sum(b.notional for b in self._ledger.books())
        return books + sum(p.side.sign * p.notional for p in self._pending)

    @property
    def gross_exposure_pct(self) -> float:
        return self._pct(self.gross_exposure)

    @property
    def net_exposure_pct(self) -> float:
        eq = self.equity
        return self.net_exposure / eq if eq > 0 else math.copysign(math.inf, self.net_exposure)

    def _pct(self, amount: float) -> float:
        eq = self.equity
        if eq > 0:
            return amount / eq
        return math.inf if amount > 0 else 0.0

    # ------------------------------------------------------------------ correlation
    def update_correlation(self, returns: Mapping[str, np.ndarray]) -> float:
        """Recompute max |rho| of recent returns; safe mode follows from it."""
        rho, pair = max_abs_correlation(returns, self.governance.correlation.window_bars)
        self._max_rho, self._rho_pair = rho, pair
        return rho

    @property
    def max_correlation(self) -> float:
        return self._max_rho

    @property
    def correlated_pair(self) -> tuple[str, str] | None:
        return self._rho_pair

    @property
    def safe_mode(self) -> bool:
        return self._max_rho >= self.governance.correlation.threshold

    @property
    def risk_cap_pct(self) -> float:
        c = self.governance.correlation
        return safe_mode_cap(self.governance.risk.max_portfolio_risk, self._max_rho,
                             c.threshold, c.safe_mode_action)

    # ------------------------------------------------------------------ allocation
    def can_allocate(self, plan: TradePlan) -> AllocationDecision:
        """Would ``plan`` fit now? Refusals name the limit and, for size, the largest fit."""
        bad = plan_problem(plan)
        if bad:
            return AllocationDecision(False, bad, None, "invalid_plan")
        eq = self.equity
        if eq <= 0:
            return AllocationDecision(False, Said("reason.no_equity", equity=float(eq)), None,
                                      "no_equity")
        gov = self.governance
        if self.safe_mode and gov.correlation.safe_mode_action == "block":
            return AllocationDecision(False, self._safe_mode_block(), None, "safe_mode_block")
        if self.daily_pnl_pct <= -gov.locks.daily_max_loss:
            return AllocationDecision(
                False, Said("reason.daily_lock", pnl=float(self.daily_pnl_pct),
                            limit=float(gov.locks.daily_max_loss)), None, "daily_lock")
        if self.trailing_dd_pct <= -gov.locks.trailing_dd_kill_switch:
            return AllocationDecision(
                False, Said("reason.kill_switch", dd=float(self.trailing_dd_pct),
                            limit=float(gov.locks.trailing_dd_kill_switch)), None, "kill_switch")
        cap, risk = self.risk_cap_pct, self.current_risk
        qty_by_risk = room_qty((cap - risk) * eq, plan.risk_amount / plan.qty)
        lev_room = gov.risk.leverage_cap * eq - self.gross_exposure
        qty_by_lev = room_qty(lev_room, plan.notional / plan.qty)
        max_qty = max(0.0, min(qty_by_risk, qty_by_lev))
        step = self._lot_steps.get(plan.symbol)
        shown_max = max_qty
        if step and math.isfinite(max_qty):
            shown_max = floor_to_step(max_qty * (1 + _TOL), step)
        if plan.qty <= max_qty * (1 + _TOL):
            return AllocationDecision(
                True, Said("reason.fits", risk=float(risk), add=float(plan.risk_amount / eq),
                           cap=float(cap)), shown_max, "ok")
        if qty_by_risk <= qty_by_lev:
            figures = {"risk": float(risk), "add": float(plan.risk_amount / eq), "cap": float(cap)}
            why = (Said("reason.risk_cap_safe_mode", rho=float(self._max_rho), **figures)
                   if self.safe_mode else Said("reason.risk_cap", **figures))
            return AllocationDecision(False, why, shown_max, "risk_cap")
        why = Said("reason.portfolio_leverage_cap", gross=float(self.gross_exposure / eq),
                   add=float(plan.notional / eq), cap=float(gov.risk.leverage_cap))
        return AllocationDecision(False, why, shown_max, "leverage_cap")

    def _safe_mode_block(self) -> Said:
        rho, threshold = float(self._max_rho), float(self.governance.correlation.threshold)
        if self._rho_pair:
            return Said("reason.safe_mode_block_pair", rho=rho, threshold=threshold,
                        a=str(self._rho_pair[0]), b=str(self._rho_pair[1]))
        return Said("reason.safe_mode_block", rho=rho, threshold=threshold)

    # ------------------------------------------------------------------ fills and marks
    def apply_fill(
        self,
        fill: Fill,
        *,
        stop: float | None = None,
        take: float | None = None,
        strategy: str = "",
    ) -> None:
        """Book a fill, close any trade it finishes, update the streak, emit a snapshot.

        A malformed fill raises ``ValueError`` before anything changes.
        """
        before = self.equity
        closed = self._ledger.apply(fill, stop, take, strategy)
        self._roll_day(fill.ts, before)
        for trade in closed:
            self._closed.append(trade)
            if trade.is_loss:
                self._loss_streak += 1
            elif trade.pnl > 0:
                self._loss_streak = 0
        self._record(fill.ts)

    def mark_to_market(self, prices: Mapping[str, float], ts: int) -> EquitySnapshot:
        """Revalue positions at ``prices``.

        A non-positive or non-finite price keeps the symbol's previous mark (one bad quote
        must not stop the cycle or zero a position's value) and is listed in ``bad_prices``
        until the next call, so the caller can journal it.
        """
        before = self.equity
        self._roll_day(ts, before)
        self.bad_prices = {}
        for symbol, price in prices.items():
            if not self._ledger.mark(symbol, float(price)):
                self.bad_prices[symbol] = price  # the previous mark stays in force
        return self._record(ts)

    def set_stops(self, symbol: str, stop: float | None = None, take: float | None = None) -> None:
        """Move a position's stop/take (trailing stops); the open risk follows at once."""
        self._ledger.set_stops(symbol, stop, take)

    def reset_day(self, ts: int) -> None:
        """Start a new daily-PnL day at ``ts`` with the current equity as its baseline."""
        self._daily.reset(ts, self.equity)

    def _roll_day(self, ts: int, equity_before: float) -> None:
        self._daily.roll(ts, equity_before)

    def _record(self, ts: int) -> EquitySnapshot:
        eq = self.equity
        self._peak.push(ts, eq)
        snap = EquitySnapshot(
            ts=ts, equity=eq, balance=self.balance, drawdown_pct=self._peak.drawdown(eq),
            daily_pnl_pct=self.daily_pnl_pct, unrealized=self.unrealized_pnl,
            realized=self.realized_pnl, fees=self.fees_paid,
        )
        self.last_snapshot = snap
        if self._on_equity is not None:
            self._on_equity(snap)  # state is already consistent if the callback raises
        return snap

    # ------------------------------------------------------------------ hand-off
    def risk_state(self, vol_quantile: float | None = None) -> RiskState:
        """The picture the risk engine sizes the next trade against."""
        return RiskState(
            equity=self.equity, daily_pnl_pct=self.daily_pnl_pct,
            trailing_dd_pct=self.trailing_dd_pct, open_risk_pct=self.current_risk,
            loss_streak=self._loss_streak, vol_quantile=vol_quantile,
            risk_cap_pct=self.risk_cap_pct,
        )

    def restore(
        self,
        positions: Iterable[Position],
        equity: float | None,
        balance: float,
        peak_history: Iterable[tuple[int, float]] = (),
        *,
        realized_pnl: float | None = None,
        fees_paid: float = 0.0,
        loss_streak: int = 0,
        day_start_equity: float | None = None,
        ts: int | None = None,
        closed_trades: Iterable[ClosedTrade] = (),
    ) -> None:
        """Rebuild after a restart from what the database kept.

        Positions carry their marks through ``unrealized_pnl``; ``equity`` (if given) must
        equal ``balance`` plus that unrealized PnL, otherwise the stored rows are from
        different moments and we refuse rather than invent the difference — pass
        ``equity=None`` and let the next ``mark_to_market`` revalue. ``realized_pnl``
        defaults to what the balance implies; if given, the starting equity is re-derived
        so that realized + unrealized - fees = equity - starting equity still holds.
        The R of a trade restored mid-way is measured against its stored (current) stop:
        the original stop is not kept in the database.
        """
        if not (math.isfinite(balance) and balance > 0):
            raise ValueError(f"restore: balance {balance!r} must be a positive number")
        self._ledger.restore(positions)
        unreal = self._ledger.unrealized
        if equity is not None and abs(balance + unreal - equity) > 1e-6 * max(1.0, abs(equity)):
            raise ValueError(
                f"restore: equity {equity:,.2f} != balance {balance:,.2f} + unrealized "
                f"{unreal:,.2f} of the stored positions; they were saved at different times — "
                "pass equity=None to revalue at the next mark")
        self._ledger.fees = fees_paid
        if realized_pnl is None:
            self._ledger.realized = balance - self.starting_equity + fees_paid
        else:
            self._ledger.realized = realized_pnl
            self.starting_equity = balance - realized_pnl + fees_paid
        eq = self.equity
        self._peak.restore(peak_history)
        if ts is not None:
            self._peak.push(ts, eq)
        self._daily.start_equity = eq if day_start_equity is None else day_start_equity
        self._daily.day = None if ts is None else ts // 86_400_000
        self._loss_streak = max(0, int(loss_streak))
        self._closed.clear()
        self._closed.extend(closed_trades)
        self._pending.clear()

