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
from dataclasses import dataclass

from ats.domain import (
    AccountState,
    Fill,
    InstrumentSpec,
    Order,
    OrderIntent,
    OrderStatus,
    OrderType,
    Position,
    Side,
    TimeInForce,
)
from ats.domain.costs import CostModel
from broker_adapters.errors import (
    BadSymbolError,
    InsufficientFundsError,
    InvalidOrderError,
    OrderFatalError,
)
from broker_adapters.paper_state import (
    EPS,
    TRANSITIONS,
    BookView,
    IllegalTransition,
    OrderRecord,
    check_transition,
)

log = logging.getLogger(__name__)

# Side.sign is a property on an enum; a dict lookup is ~10x cheaper in the fill loop.
_SIGN: dict[Side, int] = {Side.BUY: 1, Side.SELL: -1}


@dataclass(slots=True)
class _Pos:
    qty: float = 0.0
    entry: float = 0.0
    realized: float = 0.0
    ts: int = 0
    strategy: str = ""


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
        self._orders: dict[str, OrderRecord] = {}
        self._rejections: dict[str, OrderFatalError] = {}
        self._open: dict[str, dict[str, OrderRecord]] = {}  # symbol -> resting orders by id
        self._pos: dict[str, _Pos] = {}
        self._marks: dict[str, float] = {}
        self._fills: list[Fill] = []
        self._fill_ts: list[int] = []

    # ------------------------------------------------------------------ queries
    def order(self, client_order_id: str) -> Order:
        try:
            return self._orders[client_order_id].snapshot()
        except KeyError:
            raise InvalidOrderError(
                f"unknown client order id {client_order_id!r}", venue=self.venue
            ) from None

    def knows(self, client_order_id: str) -> bool:
        return client_order_id in self._orders

    def open_symbols(self) -> list[str]:
        return [s for s, orders in self._open.items() if orders]

    def position_symbols(self) -> list[str]:
        return [s for s, p in self._pos.items() if abs(p.qty) > EPS]

    def fills_since(self, since_ms: int, symbol: str | None = None) -> list[Fill]:
        i = bisect.bisect_left(self._fill_ts, since_ms)
        out = self._fills[i:]
        return [f for f in out if f.symbol == symbol] if symbol else list(out)

    def position_qty(self, symbol: str) -> float:
        p = self._pos.get(symbol)
        return p.qty if p else 0.0

    def positions(self, now_ms: int) -> list[Position]:
        return [
            Position(
                sym, p.qty, p.entry, p.ts, unrealized_pnl=self._upnl(sym, p),
                realized_pnl=p.realized, strategy=p.strategy, venue=self.venue,
                virtual_asset=self.virtual_asset,
            )
            for sym, p in self._pos.items()
            if abs(p.qty) > EPS
        ]

    def _totals(self) -> tuple[float, float]:
        """Unrealized PnL and margin in use over all positions."""
        upnl = margin = 0.0
        for sym, p in self._pos.items():
            if abs(p.qty) > EPS:
                upnl += self._upnl(sym, p)
                mark = self._marks.get(sym, p.entry)
                margin += abs(p.qty) * mark * self.specs[sym].contract_size / self.leverage
        return upnl, margin

    def account(self, now_ms: int) -> AccountState:
        upnl, margin = self._totals()
        equity = self.balance + upnl
        return AccountState(
            self.balance, equity, margin, equity - margin, self.currency, now_ms,
            self.virtual_asset,
        )

    def _upnl(self, symbol: str, p: _Pos) -> float:
        mark = self._marks.get(symbol, p.entry)
        return (mark - p.entry) * p.qty * self.specs[symbol].contract_size

    # ------------------------------------------------------------------ orders
    def submit(self, intent: OrderIntent, book: BookView | None, now_ms: int) -> Order:
        """Accept (and maybe fill) an order; raises ``OrderFatalError`` when refused.

        A repeated client order id returns the existing order untouched (or repeats the
        original refusal) — a retried request can never fill twice.
        """
        cid = intent.client_order_id
        known = self._orders.get(cid)
        if known is not None:
            if cid in self._rejections:
                raise self._rejections[cid]
            return known.snapshot()
        if book is not None:
            self.mark(intent.symbol, book.quote.mid)
        va = self.virtual_asset or intent.virtual_asset
        try:
            qty = self._check(intent)
        except OrderFatalError as exc:
            self._orders[cid] = OrderRecord(intent, intent.qty, now_ms, self.venue, va,
                                            OrderStatus.REJECTED, exc.message)
            self._rejections[cid] = exc
            log.info("paper order %s rejected: %s", cid, exc)
            raise
        rec = OrderRecord(intent, qty, now_ms, self.venue, va)
        self._orders[cid] = rec
        self._open.setdefault(intent.symbol, {})[cid] = rec
        if book is not None:
            self._work(rec, book, now_ms, arrival=True)
        return rec.snapshot()

    def cancel(self, client_order_id: str, now_ms: int, reason: str = "canceled") -> Order:
        rec = self._orders.get(client_order_id)
        if rec is None:
            return self.order(client_order_id)  # raises the unknown-id error
        if not rec.status.is_terminal:
            self._finish(rec, OrderStatus.CANCELED, reason)
        return rec.snapshot()

    def on_book(self, symbol: str, book: BookView, now_ms: int) -> list[Order]:
        """Match this symbol's resting orders against a fresh book; returns orders that moved."""
        self.mark(symbol, book.quote.mid)
        moved = []
        for rec in list(self._open.get(symbol, {}).values()):
            before = (rec.status, rec.filled)
            self._work(rec, book, now_ms, arrival=False)
            if (rec.status, rec.filled) != before:
                moved.append(rec.snapshot())
        return moved

    def mark(self, symbol: str, price: float) -> None:
        if price > 0 and math.isfinite(price):
            self._marks[symbol] = price

    # ------------------------------------------------------------------ validation
    def _check(self, intent: OrderIntent) -> float:
        spec = self.specs.get(intent.symbol)
        cid = intent.client_order_id
        if spec is None:
            raise BadSymbolError(
                f"unknown symbol {intent.symbol!r} (order {cid}); "
                f"known: {', '.join(sorted(self.specs)) or 'none'}", venue=self.venue,
            )
        if not (intent.qty > 0 and math.isfinite(intent.qty)):
            raise InvalidOrderError(
                f"order {cid} on {intent.symbol}: quantity must be > 0, got {intent.qty}",
                venue=self.venue,
            )
        steps = intent.qty / spec.lot_step
        qty = round(steps) * spec.lot_step
        if abs(steps - round(steps)) > 1e-6 or qty < spec.min_qty - EPS:
            raise InvalidOrderError(
                f"order {cid} on {intent.symbol}: quantity {intent.qty} must be a multiple "
                f"of the lot step {spec.lot_step} and >= min qty {spec.min_qty}",
                venue=self.venue,
            )
        if intent.type is OrderType.LIMIT and not (intent.limit_price and intent.limit_price > 0):
            raise InvalidOrderError(f"limit order {cid} needs a positive limit_price",
                                    venue=self.venue)
        if intent.type is OrderType.STOP and not (intent.stop_price and intent.stop_price > 0):
            raise InvalidOrderError(f"stop order {cid} needs a positive stop_price",
                                    venue=self.venue)
        pos = self.position_qty(intent.symbol)
        if intent.reduce_only and not (pos * _SIGN[intent.side] < -EPS):
            raise InvalidOrderError(
                f"reduce-only {intent.side.value} {cid} on {intent.symbol} "
                f"would increase exposure (position {pos})", venue=self.venue,
            )
        grows = abs(pos + _SIGN[intent.side] * qty) - abs(pos)  # a flip grows the other side
        if not intent.reduce_only and grows > EPS:
            price = self._marks.get(intent.symbol) or intent.limit_price or intent.stop_price
            if price:
                need = grows * price * spec.contract_size / self.leverage
                upnl, margin = self._totals()
                free = self.balance + upnl - margin
                if need > free:
                    raise InsufficientFundsError(
                        f"order {cid} on {intent.symbol} needs margin {need:.2f} "
                        f"{self.currency}, free margin is {free:.2f}", venue=self.venue,
                    )
        return qty

    # ------------------------------------------------------------------ matching
    def _work(self, rec: OrderRecord, book: BookView, now_ms: int, *, arrival: bool) -> None:
        q = book.quote
        it = rec.intent
        side = it.side
        if it.type is OrderType.STOP and not rec.triggered:
            stop = it.stop_price or 0.0
            if not (q.ask >= stop if side is Side.BUY else q.bid <= stop):
                return
            rec.triggered = True
        limit = it.limit_price if it.type is OrderType.LIMIT else None
        taker = arrival or it.type is not OrderType.LIMIT
        if limit is not None and not (q.ask <= limit if side is Side.BUY else q.bid >= limit):
            return
        want = rec.remaining
        if it.reduce_only:
            have = -self.position_qty(it.symbol) * _SIGN[side]
            if have <= EPS:
                status = OrderStatus.CANCELED if rec.filled > 0 else OrderStatus.REJECTED
                self._finish(rec, status, "reduce-only: no opposite position left")
                return
            want = min(want, have)
        levels = book.levels(side)
        all_visible = book.total(side)
        if levels:
            visible = all_visible
            if limit is not None:
                sign = _SIGN[side]
                visible = sum(lv.size for lv in levels if lv.price * sign <= limit * sign)
            lot = self.specs[it.symbol].lot_step
            size = math.floor(min(want, visible) / lot + 1e-9) * lot
        else:
            size = want
        if size > EPS:
            if taker:
                slip = self.costs.slippage_bps(size, all_visible, book.range_bps)
                price = self.costs.taker_price(side, q.bid, q.ask, slip)
                if limit is not None:
                    price = min(price, limit) if side is Side.BUY else max(price, limit)
            else:
                price = limit or 0.0
            self._fill(rec, size, price, now_ms, maker=not taker)
        if rec.remaining > EPS and not rec.status.is_terminal and it.tif is TimeInForce.IOC:
            self._finish(rec, OrderStatus.CANCELED, "IOC remainder canceled")

    def _fill(self, rec: OrderRecord, qty: float, price: float, now_ms: int, *,
              maker: bool) -> None:
        it = rec.intent
        fee = self.costs.fee(qty * price * self.specs[it.symbol].contract_size, maker=maker)
        # The fill id is the order's id plus the fill's number within it: unique across
        # processes (client ids are) and the same again if a restored engine replays it.
        rec.nfills += 1
        self._fills.append(Fill(
            f"{it.client_order_id}-f{rec.nfills}", it.client_order_id, it.symbol, it.side, qty,
            price, fee, now_ms, "maker" if maker else "taker", self.venue, it.strategy,
            rec.virtual_asset,
        ))
        self._fill_ts.append(now_ms)
        self._apply(it.symbol, _SIGN[it.side] * qty, price, fee, now_ms, it.strategy)
        if rec.add_fill(qty, price):
            self._open.get(it.symbol, {}).pop(it.client_order_id, None)

    def _apply(self, symbol: str, dq: float, price: float, fee: float, ts: int, strat: str) -> None:
        """Net a signed fill into the position; realized PnL and fees hit the balance."""
        p = self._pos.get(symbol)
        if p is None:
            p = self._pos[symbol] = _Pos()
        self.balance -= fee
        if p.qty == 0 or p.qty * dq > 0:
            new = p.qty + dq
            p.entry = (p.entry * p.qty + price * dq) / new
            p.qty = new
        else:
            closing = min(abs(dq), abs(p.qty))
            pnl = (price - p.entry) * closing * (1 if p.qty > 0 else -1)
            pnl *= self.specs[symbol].contract_size
            p.realized += pnl
            self.balance += pnl
            new = p.qty + dq
            if abs(new) <= EPS:
                p.qty, p.entry = 0.0, 0.0
            elif new * p.qty < 0:
                p.qty, p.entry = new, price
            else:
                p.qty = new
        p.ts = ts
        p.strategy = strat or p.strategy
        self._marks.setdefault(symbol, price)

    def _finish(self, rec: OrderRecord, status: OrderStatus, reason: str) -> None:
        rec.move(status, reason)
        self._open.get(rec.intent.symbol, {}).pop(rec.intent.client_order_id, None)


__all__ = [
    "TRANSITIONS", "BookView", "IllegalTransition", "PaperEngine", "check_transition",
]
