"""Execution tools: is there liquidity, what will it cost, and placing (split) orders.

``place_order`` records each child order as NEW *before* it goes to the venue, then records
the venue's answer; a crash between the two leaves a NEW row that recovery can reconcile —
never an order the database does not know about.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field, replace
from typing import Any

from ats.brain.tools.base import ToolContext, ToolError, ToolSpec
from ats.domain import (
    InstrumentSpec,
    Order,
    OrderIntent,
    OrderStatus,
    OrderType,
    Quote,
    Side,
    TimeInForce,
)
from ats.i18n.said import Said
from ats.risk import floor_to_step
from broker_adapters.errors import OrderFatalError, VenueError


@dataclass(frozen=True, slots=True)
class LiquidityResult:
    ok: bool
    reason: str
    visible_depth: float  # base units on the side we take; inf when the venue shows none
    spread_bps: float


def _num(x: Any) -> float | str:
    """A quote figure for a reason's arguments (plain JSON; a broken one as its text)."""
    return float(x) if isinstance(x, int | float) else str(x)


class LiquidityCheck:
    """A sane two-sided quote whose spread is within ``execution.max_slippage_bps``."""

    spec = ToolSpec("liquidity_check", "exec.liquidity", "exec",
                    description="quote sanity, spread and visible depth")

    def __call__(self, ctx: ToolContext, *, quote: Quote, side: Side, book: Any = None,
                 **_: Any) -> LiquidityResult:
        bid, ask = quote.bid, quote.ask
        if not (math.isfinite(bid) and math.isfinite(ask) and bid > 0 and ask >= bid):
            return LiquidityResult(False, Said("reason.no_quote", symbol=quote.symbol,
                                               bid=_num(bid), ask=_num(ask)), 0.0, math.inf)
        mid = (bid + ask) / 2.0
        spread_bps = (ask - bid) / mid * 10_000.0
        limit = ctx.governance.execution.max_slippage_bps
        if spread_bps > limit:
            return LiquidityResult(False, Said("reason.spread_wide", spread=float(spread_bps),
                                               symbol=quote.symbol, limit=float(limit)),
                                   0.0, spread_bps)
        depth = math.inf
        if book is not None:
            levels = book.asks if side is Side.BUY else book.bids
            if levels:
                depth = float(sum(lv.size for lv in levels))
        elif (quote.ask_size if side is Side.BUY else quote.bid_size) > 0:
            depth = quote.ask_size if side is Side.BUY else quote.bid_size
        if depth <= 0:
            return LiquidityResult(False, Said("reason.no_depth", symbol=quote.symbol), 0.0,
                                   spread_bps)
        return LiquidityResult(True, "", depth, spread_bps)


@dataclass(frozen=True, slots=True)
class SlippageEstimate:
    ok: bool
    bps: float
    reason: str = ""


class SlippageEstimator:
    """Expected slippage from the shared ``CostModel``; refused above the governance cap."""

    spec = ToolSpec("slippage_estimator", "exec.slippage", "exec",
                    description="CostModel slippage vs execution.max_slippage_bps")

    def __call__(self, ctx: ToolContext, *, qty: float, visible_depth: float,
                 range_bps: float = 0.0, **_: Any) -> SlippageEstimate:
        depth = visible_depth if math.isfinite(visible_depth) else 0.0
        bps = (ctx.cost_model.slippage_bps(qty, depth, range_bps) if depth > 0
               else ctx.cost_model.slippage_bps_base + ctx.cost_model.vol_impact * range_bps)
        limit = ctx.governance.execution.max_slippage_bps
        if bps > limit:
            return SlippageEstimate(False, bps, Said("reason.slippage_expected", bps=float(bps),
                                                     limit=float(limit)))
        return SlippageEstimate(True, bps)


@dataclass(slots=True)
class PlaceResult:
    order_ids: list[str] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    fatal: bool = False  # a SessionFatal/Retryable venue error: stop sending this cycle


def split_quantity(qty: float, price: float, contract_size: float, visible_depth: float,
                   share: float, max_notional: float, lot_step: float,
                   min_qty: float) -> list[float]:
    """Children no larger than ``share`` of visible depth nor ``max_notional`` each.

    Children are equal lots (floored to ``lot_step``) with the remainder on the last one,
    so the total is exactly ``qty``. A remainder below ``min_qty`` joins the previous child.
    """
    cap = math.inf
    if math.isfinite(visible_depth) and visible_depth > 0:
        cap = share * visible_depth
    if price > 0 and contract_size > 0:
        cap = min(cap, max_notional / (price * contract_size))
    if not math.isfinite(cap) or qty <= cap:
        return [qty]
    n = math.ceil(qty / cap)
    child = floor_to_step(qty / n, lot_step) if lot_step > 0 else qty / n
    if child <= 0 or child < min_qty:
        return [qty]
    parts = [child] * (n - 1)
    rest = qty - child * (n - 1)
    if rest < min_qty and parts:
        parts[-1] += rest
    else:
        parts.append(rest)
    return [round(p, 12) for p in parts if p > 0]


class PlaceOrder:
    """Send an order (split into children when large) through the adapter; returns ids."""

    spec = ToolSpec("place_order", "exec.place", "exec",
                    safety_tags=("sends_orders", "writes_db"), cost_hint_ms=2.0,
                    description="split by depth/notional, record intent, send, record answer")

    def __init__(self) -> None:
        self._seq = 0

    def next_id(self, ctx: ToolContext) -> str:
        """``<account+run hash>-<cycle time, base 36>-<n>``: unique across processes and
        runs — a run id may be reused (``--run-id``), but an account's clock never goes back
        and only one process trades it — and the same on every replay of a test. The id is
        on disk before the order is sent, so a retried send carries it and the venue and
        the ledger recognise the order."""
        self._seq += 1
        account = getattr(ctx.dao, "account", "") if ctx.dao is not None else ""
        tag = hashlib.sha1(f"{account}|{ctx.run_id}".encode()).hexdigest()[:6]
        return f"{tag}-{_base36(max(0, int(ctx.ts)))}-{self._seq}"

    async def __call__(self, ctx: ToolContext, *, symbol: str, side: Side, qty: float,
                       price: float, instrument: InstrumentSpec | None = None,
                       visible_depth: float = math.inf, strategy: str = "",
                       reduce_only: bool = False, stop_loss: float | None = None,
                       take_profit: float | None = None, limit_price: float | None = None,
                       reason: str = "", **_: Any) -> PlaceResult:
        """``limit_price`` makes each child a LIMIT IOC: it fills only as far as the limit
        allows and the rest is canceled, never left resting (the entry guard's bound).
        ``reason`` (why an exit is sent: the strategy's exit rule, a stop, a lock) is kept
        on the order row so the desk and ``ats audit`` can show why a position closed."""
        if ctx.adapter is None:
            raise ToolError("place_order: the tool context has no adapter")
        if not (qty > 0 and math.isfinite(qty)):
            raise ToolError(f"place_order: quantity must be positive (got {qty!r})")
        ex = ctx.governance.execution
        spec = instrument
        # max_child_notional is account currency: a USDJPY lot is 100,000 USD, not 15M "USD"
        rate = ctx.fx.quote_rate(spec) if spec is not None and ctx.fx is not None else None
        parts = split_quantity(
            qty, price, (spec.contract_size * (rate or 1.0)) if spec else 1.0, visible_depth,
            ex.max_child_share_of_depth, ex.max_child_notional,
            spec.lot_step if spec else 0.0, spec.min_qty if spec else 0.0,
        )
        parent = self.next_id(ctx) if len(parts) > 1 else None
        result = PlaceResult()
        for part in parts:
            intent = OrderIntent(
                client_order_id=self.next_id(ctx), symbol=symbol, side=side, qty=part,
                type=OrderType.MARKET if limit_price is None else OrderType.LIMIT,
                limit_price=limit_price,
                tif=TimeInForce.GTC if limit_price is None else TimeInForce.IOC,
                reduce_only=reduce_only, strategy=strategy,
                stop_loss=stop_loss, take_profit=take_profit,
                virtual_asset=ctx.virtual_asset, parent_id=parent,
            )
            pending = Order(
                client_order_id=intent.client_order_id, symbol=symbol, side=side, qty=part,
                type=intent.type, status=OrderStatus.NEW, ts=ctx.ts, reduce_only=reduce_only,
                limit_price=limit_price, tif=intent.tif,
                strategy=strategy, venue=ctx.venue, virtual_asset=ctx.virtual_asset,
                reason="; ".join(x for x in (reason, f"child of {parent}" if parent else "")
                                 if x)[:500],
            )
            if ctx.dao is not None:
                ctx.dao.record_order(pending, ctx.run_id)  # the intent is on disk first
            try:
                order = await ctx.adapter.place_order(intent)
            except OrderFatalError as exc:
                order = _rejected(pending, str(exc))
                result.errors.append(f"{symbol}: order rejected by venue: {exc}")
            except (VenueError, OSError) as exc:
                order = _rejected(pending, f"not sent: {exc}")
                result.errors.append(f"{symbol}: venue error: {exc}")
                result.fatal = True
            if pending.reason and not order.reason:
                order = replace(order, reason=pending.reason)
            if ctx.dao is not None:
                try:
                    ctx.dao.record_order(order, ctx.run_id)
                except Exception as exc:
                    # The venue has the order in this state; the file could not take it.
                    # Carry it so the run can retry the write once and name it.
                    exc.unrecorded_order = order  # type: ignore[attr-defined]
                    raise
            result.orders.append(order)
            result.order_ids.append(order.client_order_id)
            if result.fatal:
                break
        return result


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def _rejected(order: Order, reason: str) -> Order:
    return Order(
        client_order_id=order.client_order_id, symbol=order.symbol, side=order.side,
        qty=order.qty, type=order.type, status=OrderStatus.REJECTED, ts=order.ts,
        reduce_only=order.reduce_only, strategy=order.strategy, venue=order.venue,
        virtual_asset=order.virtual_asset, reason=reason[:500],
    )
