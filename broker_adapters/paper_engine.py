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
* money: balance, fees, PnL and margin are in the account ``currency``; a price move is in
  the instrument's quote currency and is converted with the rates last given to ``set_fx``
  (JPY PnL of USDJPY on a USD account is divided by USDJPY). An order in an instrument whose
  quote currency has no rate is refused, never booked at 1:1.
* protection: an entry that carries ``stop_loss``/``take_profit`` leaves, once filled, one
  resting reduce-only STOP (``<entry id>-sl``) and one reduce-only LIMIT (``<entry id>-tp``)
  per symbol, sized to the whole position — like a venue's position TP/SL. They are ordinary
  orders (so whatever saves the engine's orders saves them), one cancels the other, and both
  go when the position is flat. ``protect()`` moves them (trailing).
* intrabar: ``on_bar()`` matches resting stops and limits against a closed bar's range.
  A stop fills at its price when the bar's low (sell) / high (buy) reaches it, or at the
  bar's open when the bar opened through it; a limit likewise at its price or a better open.
  When one bar touches both a position's stop and its take, the stop is assumed first (the
  bar does not say which came first; assuming the worse keeps paper results honest).
* funding: ``settle_funding()`` charges an open perpetual position at each settlement the
  venue reports (its time and rate) through ``CostModel.funding_payment`` on the notional at
  the mark, converted to the account currency; longs pay a positive rate, shorts receive it.
  Instruments without funding (``spec.has_funding`` false) and flat symbols pay nothing, and
  each settlement is charged once per symbol (``funding_ts``), so a repeated report or a
  restored engine never charges twice. Every charge is kept in ``funding_events`` and summed
  in ``funding_paid`` so the durable book and ``ats audit`` reconcile cash with it.
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
    Side,
    TimeInForce,
)
from ats.domain.costs import CostModel
from ats.domain.fx import FxRates, same_money
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

PROTECTION_ROLES = ("sl", "tp")

# Side.sign is a property on an enum; a dict lookup is ~10x cheaper in the fill loop.
_SIGN: dict[Side, int] = {Side.BUY: 1, Side.SELL: -1}


@dataclass(frozen=True, slots=True)
class FundingCharge:
    """One funding settlement booked to cash (``payment`` > 0: the account paid)."""

    symbol: str
    ts: int
    qty: float
    mark: float
    rate: float
    payment: float


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
        self.fx = FxRates(currency)
        self._pv: dict[str, float] = {}  # last good account value of a 1.0 move x 1 qty
        self.funding_paid = 0.0  # account currency, net of funding received
        self.funding_ts: dict[str, int] = {}  # symbol -> newest settlement already charged
        self.funding_events: list[FundingCharge] = []

    def set_fx(self, fx: FxRates) -> None:
        """New conversion rates (the venue's, now); positions revalue at the next read."""
        if not same_money(fx.account, self.currency):
            raise ValueError(f"FX rates are for a {fx.account} account, this paper account "
                             f"is in {self.currency}")
        self.fx = fx
        for sym, spec in self.specs.items():
            r = fx.quote_rate(spec)
            if r is not None:
                self._pv[sym] = spec.contract_size * r

    def point_value(self, symbol: str) -> float | None:
        """Account currency per 1.0 of price per unit of quantity (None: no rate yet)."""
        pv = self._pv.get(symbol)
        if pv is None:
            spec = self.specs.get(symbol)
            r = self.fx.quote_rate(spec) if spec is not None else None
            if spec is None or r is None:
                return None
            pv = self._pv[symbol] = spec.contract_size * r
        return pv

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

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        """Resting (not terminal) orders, oldest first; all symbols when ``symbol`` is None."""
        books = [self._open.get(symbol, {})] if symbol else list(self._open.values())
        return sorted((r.snapshot() for b in books for r in b.values()),
                      key=lambda o: (o.ts, o.client_order_id))

    def protection(self, symbol: str) -> dict[str, Order]:
        """The resting protective orders of ``symbol`` by role (``"sl"``, ``"tp"``)."""
        return {role: rec.snapshot() for role, rec in self._protective(symbol).items()}

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
                margin += abs(p.qty) * mark * self._value(sym) / self.leverage
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
        return (mark - p.entry) * p.qty * self._value(symbol)

    def _value(self, symbol: str) -> float:
        """Point value for an open position: a position only opens once a rate was known."""
        pv = self.point_value(symbol)
        return pv if pv is not None else self.specs[symbol].contract_size

    # ------------------------------------------------------------------ funding
    def settle_funding(self, symbol: str, ts_ms: int, rate: float,
                       mark: float | None = None) -> FundingCharge | None:
        """Charge the position in ``symbol`` for the funding settled at ``ts_ms``.

        Returns the charge, or None when nothing is owed: not a perpetual, no position,
        or this settlement (or a later one) was already charged.
        """
        spec = self.specs.get(symbol)
        if spec is None or not spec.has_funding or not math.isfinite(rate):
            return None
        last = self.funding_ts.get(symbol)
        if last is not None and ts_ms <= last:
            return None
        self.funding_ts[symbol] = int(ts_ms)
        p = self._pos.get(symbol)
        if p is None or abs(p.qty) <= EPS:
            return None
        px = mark if mark is not None and mark > 0 else self._marks.get(symbol, p.entry)
        notional = p.qty * px * self._value(symbol)
        pay = self.costs.funding_payment(notional, rate)
        self.balance -= pay
        self.funding_paid += pay
        charge = FundingCharge(symbol, int(ts_ms), p.qty, px, float(rate), pay)
        self.funding_events.append(charge)
        return charge

    def funding_cursor(self, symbol: str) -> int | None:
        """Settlements after this time are owed by the open position in ``symbol`` (None:
        flat, owes nothing). Venues ask for the settlements since then and hand each to
        ``settle_funding``."""
        p = self._pos.get(symbol)
        if p is None or abs(p.qty) <= EPS:
            return None
        return self.funding_ts.get(symbol, p.ts)

    def funding_since(self, since_ms: int, symbol: str | None = None) -> list[FundingCharge]:
        """Funding charges settled at or after ``since_ms``, oldest first."""
        return [c for c in self.funding_events
                if c.ts >= since_ms and (symbol is None or c.symbol == symbol)]

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

    def on_bar(self, symbol: str, open_: float, high: float, low: float, close: float,
               ts: int) -> list[Order]:
        """Match resting stops and limits of ``symbol`` against one closed bar; see the module
        docstring. ``ts`` is when the bar closed (the fills' time). Returns orders that moved.
        """
        if not (math.isfinite(high) and math.isfinite(low) and high >= low > 0):
            return []
        moved: list[Order] = []
        # stops first: with a stop and a take both inside one bar, the worse is assumed
        recs = sorted(self._open.get(symbol, {}).values(),
                      key=lambda r: 0 if r.intent.type is OrderType.STOP else 1)
        for rec in recs:
            if rec.status.is_terminal:
                continue  # canceled by an earlier fill in this bar (the other protective leg)
            it = rec.intent
            buy = it.side is Side.BUY
            if it.type is OrderType.STOP:
                level = it.stop_price or 0.0
                hit = high >= level if buy else low <= level
                price = max(open_, level) if buy else min(open_, level)
                maker = False
            elif it.type is OrderType.LIMIT:
                level = it.limit_price or 0.0
                hit = low <= level if buy else high >= level
                price = min(open_, level) if buy else max(open_, level)
                maker = price == level
            else:
                continue
            if not hit or level <= 0:
                continue
            rec.triggered = True
            want = rec.remaining
            if it.reduce_only:
                have = -self.position_qty(it.symbol) * _SIGN[it.side]
                if have <= EPS:
                    status = OrderStatus.CANCELED if rec.filled > 0 else OrderStatus.REJECTED
                    self._finish(rec, status, "reduce-only: no opposite position left")
                    moved.append(rec.snapshot())
                    continue
                want = min(want, have)
            self._fill(rec, want, price, ts, maker=maker)
            moved.append(rec.snapshot())
        self.mark(symbol, close)
        return moved

    # ------------------------------------------------------------------ protection
    def protect(self, symbol: str, now_ms: int, *, stop: float | None = None,
                take: float | None = None, parent: str | None = None,
                strategy: str = "") -> dict[str, Order]:
        """Place or move the position's resting stop-loss / take-profit (None keeps a leg
        as it is). Refused with ``InvalidOrderError`` when the symbol has no position."""
        qty = self.position_qty(symbol)
        if abs(qty) <= EPS:
            raise InvalidOrderError(f"no open position in {symbol} to protect",
                                    venue=self.venue)
        side = Side.SELL if qty > 0 else Side.BUY
        have = self._protective(symbol)
        for role, price in (("sl", stop), ("tp", take)):
            if price is None:
                continue
            if not (price > 0 and math.isfinite(price)):
                raise InvalidOrderError(f"{symbol}: protective {role} price must be > 0, "
                                        f"got {price}", venue=self.venue)
            rec = have.get(role)
            if rec is not None:
                field_ = "stop_price" if role == "sl" else "limit_price"
                if getattr(rec.intent, field_) != price:
                    rec.intent = replace(rec.intent, **{field_: price})
                    rec.triggered = False
                    rec._snap = None
                continue
            root = parent or strategy or symbol
            cid = f"{root}-{role}"
            n = 1
            while cid in self._orders:  # an earlier position's leg kept its id
                n += 1
                cid = f"{root}-{role}{n}"
            intent = OrderIntent(
                cid, symbol, side, abs(qty),
                type=OrderType.STOP if role == "sl" else OrderType.LIMIT,
                stop_price=price if role == "sl" else None,
                limit_price=price if role == "tp" else None,
                reduce_only=True, strategy=strategy or self._pos[symbol].strategy,
                virtual_asset=self.virtual_asset, parent_id=parent or root,
            )
            self.submit(intent, None, now_ms)
        return self.protection(symbol)

    def cancel_protection(self, symbol: str, now_ms: int,
                          reason: str = "protection canceled") -> list[Order]:
        out = []
        for rec in self._protective(symbol).values():
            self._finish(rec, OrderStatus.CANCELED, reason)
            out.append(rec.snapshot())
        return out

    def _protective(self, symbol: str) -> dict[str, OrderRecord]:
        out: dict[str, OrderRecord] = {}
        for rec in self._open.get(symbol, {}).values():
            role = _role(rec.intent)
            if role and role not in out:
                out[role] = rec
        return out

    def _after_fill(self, rec: OrderRecord, now_ms: int) -> None:
        """Keep the position's protective legs in step with it after any fill."""
        it = rec.intent
        sym = it.symbol
        if not it.reduce_only and (it.stop_loss or it.take_profit):
            try:
                self.protect(sym, now_ms, stop=it.stop_loss, take=it.take_profit,
                             parent=it.client_order_id, strategy=it.strategy)
            except OrderFatalError as exc:  # the brain's bar-close check still guards it
                log.warning("paper protection for %s not placed: %s", it.client_order_id, exc)
        qty = self.position_qty(sym)
        for prec in list(self._protective(sym).values()):
            if abs(qty) <= EPS or _SIGN[prec.intent.side] * qty > 0:
                self._finish(prec, OrderStatus.CANCELED, "position closed")
            elif abs(prec.qty - prec.filled - abs(qty)) > EPS:
                prec.qty = prec.filled + abs(qty)
                prec._snap = None

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
        if self.point_value(intent.symbol) is None:
            raise InvalidOrderError(
                f"order {cid} on {intent.symbol}: no rate from {spec.quote_currency} to the "
                f"account currency {self.currency}; the venue must quote one before trading",
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
                need = grows * price * self._value(intent.symbol) / self.leverage
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
        costs = self.costs.for_class(self.specs[it.symbol].asset_class)
        fee = costs.fee(qty * price * self._value(it.symbol), maker=maker)
        if self._fill_ts and now_ms < self._fill_ts[-1]:
            now_ms = self._fill_ts[-1]  # fills stay in time order: fills_since bisects on it
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
        self._after_fill(rec, now_ms)

    def _apply(self, symbol: str, dq: float, price: float, fee: float, ts: int, strat: str) -> None:
        """Net a signed fill into the position; realized PnL and fees hit the balance."""
        p = self._pos.get(symbol)
        if p is None:
            p = self._pos[symbol] = _Pos()
        self.balance -= fee
        if abs(p.qty) <= EPS:
            self.funding_ts[symbol] = ts  # a position opened now owes later settlements only
        if p.qty == 0 or p.qty * dq > 0:
            new = p.qty + dq
            p.entry = (p.entry * p.qty + price * dq) / new
            p.qty = new
        else:
            closing = min(abs(dq), abs(p.qty))
            pnl = (price - p.entry) * closing * (1 if p.qty > 0 else -1)
            pnl *= self._value(symbol)
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


def _role(intent: OrderIntent) -> str:
    """``"sl"``/``"tp"`` for a protective leg placed by ``protect()``, else ``""``."""
    if not intent.reduce_only or not intent.parent_id:
        return ""
    tail = intent.client_order_id.rsplit("-", 1)[-1]
    role = tail[:2]
    if role in PROTECTION_ROLES and (tail == role or tail[2:].isdigit()):
        return role
    return ""


__all__ = [
    "TRANSITIONS", "BookView", "FundingCharge", "IllegalTransition", "PaperEngine",
    "check_transition",
]
