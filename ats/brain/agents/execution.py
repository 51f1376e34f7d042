"""ExecutionAgent: sends exits and plans to the venue and books what came back.

Exits go first (they reduce risk and never wait on a liquidity opinion). Entries pass
``liquidity_check`` and ``slippage_estimator`` before ``place_order``; every order is on disk
before it is sent and every fill is on disk before the portfolio sees it. A venue that stops
answering mid-batch stops the batch: the rest of the plans are rejected with the reason,
not half-sent.
"""

from __future__ import annotations

import inspect
import logging
import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ats.brain.agents.risk import ExitRequest, Rejection
from ats.brain.tools import ToolContext, ToolRegistry
from ats.domain import Fill, InstrumentSpec, Order, Quote
from ats.i18n.said import Said
from ats.risk import TradePlan, floor_to_step
from broker_adapters.errors import CapabilityError, VenueError
from storage.errors import FillConflictError

log = logging.getLogger(__name__)

# Size to this share of the per-trade maximum at the expected fill: the fill's real slippage
# can differ a little from the estimate, and the maximum is a ceiling, not a target.
RISK_MARGIN = 0.97


@dataclass(frozen=True, slots=True)
class ExecInput:
    plans: list[TradePlan]
    exits: list[ExitRequest]
    instruments: dict[str, InstrumentSpec]
    range_bps: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class ExecResult:
    orders: list[Order] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    plan_by_order: dict[str, TradePlan] = field(default_factory=dict)
    slippage_bps: list[float] = field(default_factory=list)
    venue_error: str = ""
    quotes: dict[str, Quote] = field(default_factory=dict)  # the quotes orders were sent on


class ExecutionAgent:
    name = "exec"

    def __init__(self, registry: ToolRegistry, ctx: ToolContext, *,
                 seen_fills: int = 20_000) -> None:
        self.registry = registry
        self.ctx = ctx
        self.open_orders: dict[str, Order] = {}
        self._seen: set[str] = set()
        self._seen_order: deque[str] = deque()
        self._seen_cap = seen_fills
        self.fill_cursor_ms: int = 0
        self.conflicts: list[str] = []  # fills whose id is stored with other content
        self._placed: set[str] = set()  # ids of orders this process sent (and recorded)
        # symbol -> (stop, take) resting at the venue, to send the book's stop moves there
        self.venue_stops: dict[str, tuple[float | None, float | None]] = {}

    @property
    def adapter(self) -> Any:
        return self.ctx.adapter

    async def execute(self, inp: ExecInput) -> ExecResult:
        res = ExecResult()
        for ex in inp.exits:
            if res.venue_error:
                break
            await self._exit(ex, inp, res)
        for plan in inp.plans:
            if res.venue_error:
                res.rejections.append(Rejection(plan.symbol, plan.strategy, "venue_error",
                                                Said("reason.not_sent", error=res.venue_error)))
                continue
            await self._entry(plan, inp, res)
        if not res.venue_error:
            try:
                res.fills = await self.collect_fills()
            except (VenueError, OSError) as exc:
                res.venue_error = f"fills: {exc}"
        return res

    async def _exit(self, ex: ExitRequest, inp: ExecInput, res: ExecResult) -> None:
        spec = inp.instruments.get(ex.symbol)
        try:
            q: Quote = await self.adapter.quote(ex.symbol)
        except (VenueError, OSError) as exc:
            res.venue_error = f"quote {ex.symbol}: {exc}"
            return
        res.quotes[ex.symbol] = q
        price = q.bid if ex.side.sign < 0 else q.ask
        placed = await self.registry.acall(
            "place_order", self.ctx, symbol=ex.symbol, side=ex.side, qty=ex.qty, price=price,
            instrument=spec, strategy=ex.strategy, reduce_only=True, reason=ex.reason)
        self._booked(placed, res)

    async def _entry(self, plan: TradePlan, inp: ExecInput, res: ExecResult) -> None:
        def reject(code: str, reason: str) -> None:
            res.rejections.append(Rejection(plan.symbol, plan.strategy, code, reason))

        spec = inp.instruments.get(plan.symbol)
        try:
            q: Quote = await self.adapter.quote(plan.symbol)
            book = None
            if getattr(self.adapter.capabilities, "depth", False):
                try:
                    book = await self.adapter.order_book(plan.symbol, 10)
                except CapabilityError:
                    book = None
        except (VenueError, OSError) as exc:
            res.venue_error = f"quote {plan.symbol}: {exc}"
            reject("venue_error", Said("reason.not_sent", error=res.venue_error))
            return
        res.quotes[plan.symbol] = q
        liq = self.registry.call("liquidity_check", self.ctx, quote=q, side=plan.side, book=book)
        if not liq.ok:
            reject("liquidity", liq.reason)
            return
        slip = self.registry.call("slippage_estimator", self.ctx, qty=plan.qty,
                                  visible_depth=liq.visible_depth,
                                  range_bps=inp.range_bps.get(plan.symbol, 0.0))
        if not slip.ok:
            reject("slippage", slip.reason)
            return
        price = q.ask if plan.side.sign > 0 else q.bid
        cap = self.ctx.governance.execution.max_slippage_bps
        off = plan_slippage_bps(price, plan)
        if off > cap:  # the market left the plan behind: refuse rather than chase it
            reject("slippage", Said("reason.price_moved", symbol=plan.symbol, price=float(price),
                                    off=float(off), entry=float(plan.entry), cap=float(cap)))
            return
        qty = self._qty_within_risk(plan, price, slip.bps, spec, reject)
        if qty is None:
            return
        bound = self._entry_bound(plan, qty) if _paper_venue(self.adapter) else None
        placed = await self.registry.acall(
            "place_order", self.ctx, symbol=plan.symbol, side=plan.side, qty=qty,
            price=price, instrument=spec, visible_depth=liq.visible_depth,
            strategy=plan.strategy, stop_loss=plan.stop, take_profit=plan.take,
            limit_price=bound)
        for oid in placed.order_ids:
            res.plan_by_order[oid] = plan
        for order in placed.orders:
            off = plan_slippage_bps(order.avg_price, plan) if order.filled_qty > 0 else 0.0
            if off > cap:
                reject("slippage_breach", Said(
                    "reason.slippage_breach", symbol=plan.symbol, order=order.client_order_id,
                    price=float(order.avg_price), off=float(off), entry=float(plan.entry),
                    cap=float(cap)))
                if not order.status.is_terminal:
                    await self._cancel(order)
        res.slippage_bps.append(slip.bps)
        self._booked(placed, res)
        for err in placed.errors:
            reject("order_rejected", err)

    def _qty_within_risk(self, plan: TradePlan, price: float, slip_bps: float,
                         spec: InstrumentSpec | None, reject: Any) -> float | None:
        """The plan's size, cut so the risk *at the expected fill* stays within the
        per-trade maximum (the plan was sized at its entry; the market may have moved
        toward the stop since). The plan's own risk (account currency, costs included)
        scales with the distance to the stop, so no conversion is redone here. None, with
        the reason, when nothing fits."""
        pf = getattr(self.ctx, "portfolio", None)
        eq = float(getattr(pf, "equity", 0.0) or 0.0)
        if plan.stop is None or eq <= 0 or plan.qty <= 0 or plan.risk_amount <= 0:
            return plan.qty
        eff = price * (1 + plan.side.sign * slip_bps / 10_000.0)
        room = (eff - plan.stop) * plan.side.sign
        planned = (plan.entry - plan.stop) * plan.side.sign
        if room <= 0:
            reject("risk_at_fill", Said("reason.fill_past_stop", symbol=plan.symbol,
                                        fill=float(eff), stop=float(plan.stop)))
            return None
        if planned <= 0:
            return plan.qty
        risk = plan.risk_amount * room / planned
        limit = self.ctx.governance.risk.max_risk_per_trade * RISK_MARGIN * eq
        if risk <= limit:
            return plan.qty
        fit = plan.qty * limit / risk
        qty = floor_to_step(fit, spec.lot_step) if spec else fit
        if qty <= 0 or (spec is not None and qty < spec.min_qty):
            reject("risk_at_fill", Said("reason.min_lot_too_risky", symbol=plan.symbol,
                                        fill=float(eff)))
            return None
        return qty

    def _entry_bound(self, plan: TradePlan, qty: float) -> float | None:
        """The worst price an entry may fill at: within max_slippage_bps of the plan's
        entry and where its risk at the stop is still within max_risk_per_trade. Sent as a
        LIMIT IOC, what would breach either is never filled (and never left resting)."""
        sign = plan.side.sign
        cap = self.ctx.governance.execution.max_slippage_bps
        bound = plan.entry * (1 + sign * cap / 10_000.0)
        pf = getattr(self.ctx, "portfolio", None)
        eq = float(getattr(pf, "equity", 0.0) or 0.0)
        planned = (plan.entry - plan.stop) * sign if plan.stop is not None else 0.0
        if planned > 0 and plan.risk_amount > 0 and qty > 0 and eq > 0:
            limit = self.ctx.governance.risk.max_risk_per_trade * eq
            room = limit * planned * plan.qty / (plan.risk_amount * qty)
            by_risk = plan.stop + sign * room  # type: ignore[operator]
            bound = min(bound, by_risk) if sign > 0 else max(bound, by_risk)
        return bound if bound > 0 else None

    async def _cancel(self, order: Order) -> None:
        try:
            cur = await self.adapter.cancel_order(order.client_order_id, order.symbol)
        except (VenueError, OSError) as exc:
            log.warning("cancel of %s after a slippage breach failed: %s",
                        order.client_order_id, exc)
            return
        if self.ctx.dao is not None:
            self.ctx.dao.record_order(cur, self.ctx.run_id)
        if cur.status.is_terminal:
            self.open_orders.pop(cur.client_order_id, None)

    def _booked(self, placed: Any, res: ExecResult) -> None:
        for order in placed.orders:
            self._placed.add(order.client_order_id)
            res.orders.append(order)
            if not order.status.is_terminal:
                self.open_orders[order.client_order_id] = order
        if placed.fatal and placed.errors:
            res.venue_error = placed.errors[-1]

    async def collect_fills(self) -> list[Fill]:
        """New fills since the cursor, persisted; resting orders' status refreshed."""
        pending = getattr(self.adapter, "process_pending", None)
        if pending is not None:  # paper venues match resting orders only when asked
            out = pending()
            if inspect.isawaitable(out):
                await out
        fills = await self.adapter.fills_since(self.fill_cursor_ms)
        new: list[Fill] = []
        dao = self.ctx.dao
        for f in fills:
            if f.fill_id in self._seen:
                continue
            if dao is not None:
                try:
                    dao.record_fill(f, self.ctx.run_id)
                except FillConflictError as exc:
                    # Not booked, not remembered: it is reported again every cycle until
                    # someone looks (`ats doctor`), never dropped.
                    self.conflicts.append(str(exc))
                    continue
            self._remember(f.fill_id)
            new.append(f)
            self.fill_cursor_ms = max(self.fill_cursor_ms, f.ts)
        await self._record_venue_orders(new)
        if self.open_orders:
            await self._refresh_open()
        return new

    async def _record_venue_orders(self, fills: list[Fill]) -> None:
        """Orders the venue placed itself (a position's resting stop-loss/take-profit legs)
        enter the ledger with their first fill: every fill has its order row."""
        dao = self.ctx.dao
        if dao is None:
            return
        for cid, sym in {(f.client_order_id, f.symbol) for f in fills}:
            if cid in self._placed or cid in self.open_orders:
                continue
            try:
                order = await self.adapter.fetch_order(cid, sym)
            except (VenueError, OSError) as exc:
                log.warning("order %s of a fill is unknown at the venue: %s", cid, exc)
                continue
            dao.record_order(order, self.ctx.run_id)
            self._placed.add(cid)

    async def _refresh_open(self) -> None:
        dao = self.ctx.dao
        for oid, order in list(self.open_orders.items()):
            try:
                cur = await self.adapter.fetch_order(oid, order.symbol)
            except VenueError as exc:
                log.debug("fetch_order %s failed: %s", oid, exc)
                continue
            if cur != order and dao is not None:
                dao.record_order(cur, self.ctx.run_id)
            if cur.status.is_terminal:
                del self.open_orders[oid]
            else:
                self.open_orders[oid] = cur

    def _remember(self, fill_id: str) -> None:
        self._seen.add(fill_id)
        self._seen_order.append(fill_id)
        while len(self._seen_order) > self._seen_cap:
            self._seen.discard(self._seen_order.popleft())


def _paper_venue(adapter: Any) -> bool:
    """A venue whose fills this process simulates (the paper engine): its LIMIT IOC
    semantics are ours, so entries can carry a protective limit."""
    from broker_adapters.paper_engine import PaperEngine

    return isinstance(getattr(adapter, "engine", None), PaperEngine)


def plan_slippage_bps(price: float, plan: TradePlan) -> float:
    """How far ``price`` is from the plan's entry against the trader, in bps (>= 0 worse)."""
    if not (plan.entry > 0 and math.isfinite(price) and price > 0):
        return 0.0
    return (price - plan.entry) / plan.entry * 10_000.0 * plan.side.sign


def range_bps(high: float, low: float, close: float) -> float:
    if close > 0 and math.isfinite(high) and math.isfinite(low):
        return max(0.0, (high - low) / close * 10_000.0)
    return 0.0
