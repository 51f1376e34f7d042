"""Building blocks of the paper engine: the book it sees and the order state machine.

Orders live as small mutable records inside the engine and are frozen into ``Order`` values
only when someone looks (and then cached until the next change): copying an 18-field frozen
dataclass on every fill would cost more than the whole fill.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ats.domain import Order, OrderIntent, OrderStatus, Quote, Side
from broker_adapters.base import DepthLevel

EPS = 1e-12

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


class IllegalTransition(RuntimeError):
    """An order was asked to move between states the machine does not allow."""


def check_transition(cid: str, current: OrderStatus, new: OrderStatus) -> None:
    if new not in TRANSITIONS[current]:
        raise IllegalTransition(
            f"order {cid}: {current.value} -> {new.value} is not a legal transition"
        )


@dataclass(frozen=True, slots=True)
class BookView:
    """What the engine sees of a market at one instant."""

    quote: Quote
    bids: tuple[DepthLevel, ...] = ()  # best first; empty = depth unknown
    asks: tuple[DepthLevel, ...] = ()
    range_bps: float = 0.0  # recent bar range, feeds the volatility part of slippage
    _buy_side: tuple[DepthLevel, ...] = field(default=(), init=False, repr=False)
    _sell_side: tuple[DepthLevel, ...] = field(default=(), init=False, repr=False)
    _buy_total: float = field(default=0.0, init=False, repr=False)
    _sell_total: float = field(default=0.0, init=False, repr=False)

    def __post_init__(self) -> None:
        q = self.quote
        buy = self.asks or ((DepthLevel(q.ask, q.ask_size),) if q.ask_size > 0 else ())
        sell = self.bids or ((DepthLevel(q.bid, q.bid_size),) if q.bid_size > 0 else ())
        object.__setattr__(self, "_buy_side", buy)
        object.__setattr__(self, "_sell_side", sell)
        object.__setattr__(self, "_buy_total", sum(lv.size for lv in buy))
        object.__setattr__(self, "_sell_total", sum(lv.size for lv in sell))

    def levels(self, side: Side) -> tuple[DepthLevel, ...]:
        """Liquidity an order of ``side`` takes: asks for buys, bids for sells (or the quote
        sizes when the venue has no depth; empty when it reports neither)."""
        return self._buy_side if side is Side.BUY else self._sell_side

    def total(self, side: Side) -> float:
        return self._buy_total if side is Side.BUY else self._sell_total


class OrderRecord:
    """The engine's live view of one order; ``snapshot()`` freezes it into an ``Order``."""

    __slots__ = ("intent", "qty", "status", "filled", "avg", "reason", "ts", "venue",
                 "virtual_asset", "triggered", "nfills", "_snap")

    def __init__(
        self, intent: OrderIntent, qty: float, ts: int, venue: str, virtual_asset: str | None,
        status: OrderStatus = OrderStatus.NEW, reason: str = "",
    ) -> None:
        self.intent = intent
        self.qty = qty
        self.ts = ts
        self.venue = venue
        self.virtual_asset = virtual_asset
        self.status = status
        self.reason = reason
        self.filled = 0.0
        self.avg = 0.0
        self.triggered = False  # a stop that has been reached
        self.nfills = 0  # numbers this order's fills: fill ids derive from the order's id
        self._snap: Order | None = None

    @property
    def remaining(self) -> float:
        return max(0.0, self.qty - self.filled)

    def move(self, status: OrderStatus, reason: str | None = None) -> None:
        check_transition(self.intent.client_order_id, self.status, status)
        self.status = status
        if reason is not None:
            self.reason = reason
        self._snap = None

    def add_fill(self, qty: float, price: float) -> bool:
        """Book a fill; True when the order is now complete."""
        filled = self.filled + qty
        self.avg = price if self.filled == 0 else (self.avg * self.filled + price * qty) / filled
        self.filled = filled
        done = filled >= self.qty - EPS
        self.move(OrderStatus.FILLED if done else OrderStatus.PARTIAL)
        return done

    def snapshot(self) -> Order:
        if self._snap is None:
            i = self.intent
            self._snap = Order(
                i.client_order_id, i.symbol, i.side, self.qty, i.type, self.status, self.ts,
                self.filled, self.avg, i.limit_price, i.stop_price, i.reduce_only, i.tif,
                f"paper-{i.client_order_id}", self.reason, i.strategy, self.venue,
                self.virtual_asset,
            )
        return self._snap
