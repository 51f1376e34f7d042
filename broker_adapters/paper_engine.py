"""The synchronous core of the paper fill simulator: orders, fills, positions, account.

It knows nothing about where prices come from: callers hand it a ``BookView`` (the venue's
quote, depth where the venue has it, and recent volatility) and the clock time. That keeps
one set of fill rules for every venue — ``PaperBroker`` feeds it any adapter's quotes and the
mock market feeds it its own — and lets it run ~100k orders/s.

Fill rules (stated, because numbers are the product):

* market: crosses the spread (buys pay the ask, sells hit the bid), then slips against the
  trader by ``CostModel.slippage_bps(size, visible depth, bar range)``; taker fee.
* size above the visible depth of the opposite side fills partially; the IOC remainder is
  canceled, a GTC remainder rests and fills on later books.
* limit: marketable on arrival → taker at the slipped price capped at the limit, only against
  depth priced within the limit; otherwise it rests and fills at its limit price (maker fee)
  once the opposite quote crosses it (ask <= limit for a buy, bid >= limit for a sell).
* stop: triggers when the quote reaches it (ask >= stop for a buy, bid <= stop for a sell;
  at once if already there) and then executes as a market order.
* reduce-only: refused on arrival when there is no opposite position; at fill time its size
  is capped at the position so it can never flip or grow exposure.
"""

from __future__ import annotations

import bisect
import logging
import math
from dataclasses import dataclass, replace

from ats.domain import (
    AccountState,
    Fill,
    InstrumentSpec,
    Order,
    OrderIntent,
    OrderStatus,
    OrderType,
    Position,
    Quote,
    Side,
    TimeInForce,
)
from ats.domain.costs import CostModel
from broker_adapters.base import DepthLevel
from broker_adapters.errors import (
    BadSymbolError,
    InsufficientFundsError,
    InvalidOrderError,
    OrderFatalError,
)

log = logging.getLogger(__name__)

_EPS = 1e-12

# The order state machine: anything else is a bug, not a market event.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.NEW: frozenset(
        {OrderStatus.PARTIAL, OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED}
    ),
    OrderStatus.PARTIAL: frozenset(
        {OrderStatus.PARTIAL, OrderStatus.FILLED, OrderStatus.CANCELED}
    ),
    OrderStatus.FILLED: frozenset(),
    OrderStatus.CANCELED: frozenset(),
    OrderStatus.REJECTED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class BookView:
    """What the engine sees of a market at one instant."""

    quote: Quote
    bids: tuple[DepthLevel, ...] = ()  # best first; empty = depth unknown
    asks: tuple[DepthLevel, ...] = ()
    range_bps: float = 0.0  # recent bar range, feeds the volatility part of slippage

    def levels(self, side: Side) -> tuple[DepthLevel, ...]:
        """Liquidity an order of ``side`` takes: asks for buys, bids for sells."""
        lv = self.asks if side is Side.BUY else self.bids
        if lv:
            return lv
        size = self.quote.ask_size if side is Side.BUY else self.quote.bid_size
        price = self.quote.ask if side is Side.BUY else self.quote.bid
        return (DepthLevel(price, size),) if size > 0 else ()


@dataclass(slots=True)
class _Pos:
    qty: float = 0.0
    entry: float = 0.0
    realized: float = 0.0
    ts: int = 0
    strategy: str = ""


class IllegalTransition(RuntimeError):
    """An order was asked to move between states the machine does not allow."""


class PaperEngine:
    """Paper account for one venue. Not thread-safe: one event loop owns it."""

    def __init__(
        self,
        *,
        venue: str,
        costs: CostModel,
        starting_balance: float,
        specs: dict[str, InstrumentSpec],
        currency: str = "USD",
        virtual_asset: str | None = None,
        leverage: float = 10.0,
    ) -> None:
        if starting_balance <= 0:
            raise ValueError("starting_balance must be positive")
        self.venue = venue
        self.costs = costs
        self.specs = dict(specs)
        self.currency = currency
        self.virtual_asset = virtual_asset
        self.leverage = leverage
        self.balance = float(starting_balance)
        self._orders: dict[str, Order] = {}
        self._rejections: dict[str, OrderFatalError] = {}
        self._open: dict[str, dict[str, Order]] = {}  # symbol -> resting orders by id
        self._triggered: set[str] = set()  # stop orders already triggered
        self._pos: dict[str, _Pos] = {}
        self._marks: dict[str, float] = {}
        self._fills: list[Fill] = []
        self._fill_ts: list[int] = []
        self._seq = 0

    # ------------------------------------------------------------------ queries
    def order(self, client_order_id: str) -> Order:
        try:
            return self._orders[client_order_id]
        except KeyError:
            raise InvalidOrderError(
                f"unknown client order id {client_order_id!r}", venue=self.venue
            ) from None

    def knows(self, client_order_id: str) -> bool:
        return client_order_id in self._orders

    def open_symbols(self) -> list[str]:
        return [s for s, orders in self._open.items() if orders]

    def position_symbols(self) -> list[str]:
        return [s for s, p in self._pos.items() if abs(p.qty) > _EPS]

    def fills_since(self, since_ms: int, symbol: str | None = None) -> list[Fill]:
        i = bisect.bisect_left(self._fill_ts, since_ms)
        out = self._fills[i:]
        return [f for f in out if f.symbol == symbol] if symbol else list(out)

    def position_qty(self, symbol: str) -> float:
        p = self._pos.get(symbol)
        return p.qty if p else 0.0

    def positions(self, now_ms: int) -> list[Position]:
        out = []
        for sym, p in self._pos.items():
            if abs(p.qty) <= _EPS:
                continue
            out.append(
                Position(
                    sym, p.qty, p.entry, p.ts, unrealized_pnl=self._upnl(sym, p),
                    realized_pnl=p.realized, strategy=p.strategy, venue=self.venue,
                    virtual_asset=self.virtual_asset,
                )
            )
        return out

    def account(self, now_ms: int) -> AccountState:
        upnl = sum(self._upnl(s, p) for s, p in self._pos.items() if abs(p.qty) > _EPS)
        margin = sum(self._margin(s, p.qty) for s, p in self._pos.items())
        equity = self.balance + upnl
        return AccountState(
            self.balance, equity, margin, equity - margin, self.currency, now_ms,
            self.virtual_asset,
        )

    def _contract(self, symbol: str) -> float:
        return self.specs[symbol].contract_size

    def _upnl(self, symbol: str, p: _Pos) -> float:
        mark = self._marks.get(symbol, p.entry)
        return (mark - p.entry) * p.qty * self._contract(symbol)

    def _margin(self, symbol: str, qty: float) -> float:
        mark = self._marks.get(symbol, self._pos[symbol].entry if symbol in self._pos else 0.0)
        return abs(qty) * mark * self._contract(symbol) / self.leverage

    # ------------------------------------------------------------------ orders
    def submit(self, intent: OrderIntent, book: BookView | None, now_ms: int) -> Order:
        """Accept (and maybe fill) an order; raises ``OrderFatalError`` when refused.

        A repeated client order id returns the existing order untouched (or repeats the
        original refusal) — a retried request can never fill twice.
        """
        cid = intent.client_order_id
        if cid in self._orders:
            if cid in self._rejections:
                raise self._rejections[cid]
            return self._orders[cid]
        if book is not None:
            self._mark(intent.symbol, book)
        try:
            qty = self._check(intent)
        except OrderFatalError as exc:
            self._orders[cid] = self._new_order(intent, intent.qty, now_ms, OrderStatus.REJECTED,
                                                reason=exc.message)
            self._rejections[cid] = exc
            log.info("paper order %s rejected: %s", cid, exc)
            raise
        order = self._new_order(intent, qty, now_ms, OrderStatus.NEW)
        self._orders[cid] = order
        self._open.setdefault(intent.symbol, {})[cid] = order
        if book is not None:
            order = self._work(order, book, now_ms, arrival=True)
        return order

    def cancel(self, client_order_id: str, now_ms: int, reason: str = "canceled") -> Order:
        order = self.order(client_order_id)
        if order.status.is_terminal:
            return order
        return self._finish(order, OrderStatus.CANCELED, reason)

    def on_book(self, symbol: str, book: BookView, now_ms: int) -> list[Order]:
        """Match this symbol's resting orders against a fresh book; returns orders that moved."""
        self._mark(symbol, book)
        moved = []
        for order in list(self._open.get(symbol, {}).values()):
            after = self._work(order, book, now_ms, arrival=False)
            if after is not order:
                moved.append(after)
        return moved

    def mark(self, symbol: str, price: float) -> None:
        if price > 0 and math.isfinite(price):
            self._marks[symbol] = price

    def _mark(self, symbol: str, book: BookView) -> None:
        self.mark(symbol, book.quote.mid)

    # ------------------------------------------------------------------ validation
    def _check(self, intent: OrderIntent) -> float:
        spec = self.specs.get(intent.symbol)
        if spec is None:
            raise BadSymbolError(
                f"unknown symbol {intent.symbol!r} (order {intent.client_order_id}); "
                f"known: {', '.join(sorted(self.specs)) or 'none'}", venue=self.venue,
            )
        if not (intent.qty > 0 and math.isfinite(intent.qty)):
            raise InvalidOrderError(
                f"order {intent.client_order_id} on {intent.symbol}: quantity must be > 0, "
                f"got {intent.qty}", venue=self.venue,
            )
        steps = intent.qty / spec.lot_step
        qty = round(steps) * spec.lot_step
        if abs(steps - round(steps)) > 1e-6 or qty < spec.min_qty - _EPS:
            raise InvalidOrderError(
                f"order {intent.client_order_id} on {intent.symbol}: quantity {intent.qty} must "
                f"be a multiple of the lot step {spec.lot_step} and >= min qty {spec.min_qty}",
                venue=self.venue,
            )
        if intent.type is OrderType.LIMIT and not (intent.limit_price and intent.limit_price > 0):
            raise InvalidOrderError(
                f"limit order {intent.client_order_id} needs a positive limit_price",
                venue=self.venue,
            )
        if intent.type is OrderType.STOP and not (intent.stop_price and intent.stop_price > 0):
            raise InvalidOrderError(
                f"stop order {intent.client_order_id} needs a positive stop_price",
                venue=self.venue,
            )
        pos = self.position_qty(intent.symbol)
        if intent.reduce_only and not (pos * intent.side.sign < -_EPS):
            raise InvalidOrderError(
                f"reduce-only {intent.side.value} {intent.client_order_id} on {intent.symbol} "
                f"would increase exposure (position {pos})", venue=self.venue,
            )
        grows = abs(pos + intent.side.sign * qty) - abs(pos)  # a flip grows the other side
        if not intent.reduce_only and grows > _EPS:
            price = self._marks.get(intent.symbol) or intent.limit_price or intent.stop_price
            if price:
                need = grows * price * spec.contract_size / self.leverage
                free = self.account(0).free_margin
                if need > free:
                    raise InsufficientFundsError(
                        f"order {intent.client_order_id} on {intent.symbol} needs margin "
                        f"{need:.2f} {self.currency}, free margin is {free:.2f}",
                        venue=self.venue,
                    )
        return qty

    def _new_order(
        self, intent: OrderIntent, qty: float, now_ms: int, status: OrderStatus, reason: str = ""
    ) -> Order:
        return Order(
            intent.client_order_id, intent.symbol, intent.side, qty, intent.type, status, now_ms,
            limit_price=intent.limit_price, stop_price=intent.stop_price,
            reduce_only=intent.reduce_only, tif=intent.tif,
            venue_order_id=f"paper-{intent.client_order_id}", reason=reason,
            strategy=intent.strategy, venue=self.venue,
            virtual_asset=self.virtual_asset or intent.virtual_asset,
        )

    # ------------------------------------------------------------------ matching
    def _work(self, order: Order, book: BookView, now_ms: int, *, arrival: bool) -> Order:
        q = book.quote
        side = order.side
        if order.type is OrderType.STOP and order.client_order_id not in self._triggered:
            hit = q.ask >= order.stop_price if side is Side.BUY else q.bid <= order.stop_price
            if not hit:
                return order
            self._triggered.add(order.client_order_id)
        limit = order.limit_price if order.type is OrderType.LIMIT else None
        taker = arrival or order.type is not OrderType.LIMIT
        if limit is not None:
            crossed = q.ask <= limit if side is Side.BUY else q.bid >= limit
            if not crossed:
                return order
        want = order.remaining
        if order.reduce_only:
            have = -self.position_qty(order.symbol) * side.sign
            if have <= _EPS:
                status = OrderStatus.CANCELED if order.filled_qty > 0 else OrderStatus.REJECTED
                return self._finish(order, status, "reduce-only: no opposite position left")
            want = min(want, have)
        levels = book.levels(side)
        if levels:
            within = [
                lv for lv in levels if limit is None or lv.price * side.sign <= limit * side.sign
            ]
            visible = sum(lv.size for lv in within)
            all_visible = sum(lv.size for lv in levels)
            spec = self.specs[order.symbol]
            size = math.floor(min(want, visible) / spec.lot_step + 1e-9) * spec.lot_step
        else:
            all_visible = 0.0
            size = want
        if size > _EPS:
            if taker:
                slip = self.costs.slippage_bps(size, all_visible, book.range_bps)
                price = self.costs.taker_price(side, q.bid, q.ask, slip)
                if limit is not None:
                    price = min(price, limit) if side is Side.BUY else max(price, limit)
            else:
                price = limit
            order = self._fill(order, size, price, now_ms, maker=not taker)
        if order.remaining > _EPS and not order.status.is_terminal:
            if order.tif is TimeInForce.IOC:
                return self._finish(order, OrderStatus.CANCELED, "IOC remainder canceled")
        return order

    def _fill(self, order: Order, qty: float, price: float, now_ms: int, *, maker: bool) -> Order:
        spec = self.specs[order.symbol]
        fee = self.costs.fee(qty * price * spec.contract_size, maker=maker)
        self._seq += 1
        fill = Fill(
            f"{self.venue}-paper-{self._seq}", order.client_order_id, order.symbol, order.side,
            qty, price, fee, now_ms, "maker" if maker else "taker", self.venue, order.strategy,
            self.virtual_asset or order.virtual_asset,
        )
        self._fills.append(fill)
        self._fill_ts.append(now_ms)
        self._apply(order.symbol, order.side.sign * qty, price, fee, now_ms, order.strategy)
        filled = order.filled_qty + qty
        avg = (order.avg_price * order.filled_qty + price * qty) / filled
        done = filled >= order.qty - _EPS
        status = OrderStatus.FILLED if done else OrderStatus.PARTIAL
        self._check_transition(order, status)
        order = replace(order, filled_qty=filled, avg_price=avg, status=status)
        self._orders[order.client_order_id] = order
        if done:
            self._open.get(order.symbol, {}).pop(order.client_order_id, None)
        else:
            self._open.setdefault(order.symbol, {})[order.client_order_id] = order
        return order

    def _apply(self, symbol: str, dq: float, price: float, fee: float, ts: int, strat: str) -> None:
        """Net a signed fill into the position; realized PnL and fees hit the balance."""
        p = self._pos.setdefault(symbol, _Pos())
        cs = self._contract(symbol)
        self.balance -= fee
        if p.qty == 0 or p.qty * dq > 0:
            new = p.qty + dq
            p.entry = (p.entry * p.qty + price * dq) / new
            p.qty = new
        else:
            closing = min(abs(dq), abs(p.qty))
            pnl = (price - p.entry) * closing * (1 if p.qty > 0 else -1) * cs
            p.realized += pnl
            self.balance += pnl
            new = p.qty + dq
            if abs(new) <= _EPS:
                p.qty, p.entry = 0.0, 0.0
            elif new * p.qty < 0:
                p.qty, p.entry = new, price
            else:
                p.qty = new
        p.ts = ts
        p.strategy = strat or p.strategy
        self._marks.setdefault(symbol, price)

    def _finish(self, order: Order, status: OrderStatus, reason: str) -> Order:
        self._check_transition(order, status)
        order = replace(order, status=status, reason=reason)
        self._orders[order.client_order_id] = order
        self._open.get(order.symbol, {}).pop(order.client_order_id, None)
        return order

    @staticmethod
    def _check_transition(order: Order, status: OrderStatus) -> None:
        if status not in TRANSITIONS[order.status]:
            raise IllegalTransition(
                f"order {order.client_order_id}: {order.status.value} -> {status.value} "
                "is not a legal transition"
            )
