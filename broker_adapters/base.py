"""The one async protocol every venue implements.

The brain, the synchronizer and the paper simulator see venues only through ``BrokerAdapter``;
what a venue lacks is data (``Capabilities``), not ``if venue == ...`` branches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from ats.domain import (
    AccountState,
    Bars,
    Fill,
    FxRates,
    InstrumentSpec,
    Order,
    OrderIntent,
    Position,
    Quote,
)


@dataclass(frozen=True, slots=True)
class Capabilities:
    depth: bool = False
    funding: bool = False
    ticks: bool = False
    trading: bool = True  # False: quotes only (paper fills come from the simulator)
    stop_orders: bool = True
    reduce_only: bool = True
    max_bars_per_request: int = 1000


@dataclass(frozen=True, slots=True)
class DepthLevel:
    price: float
    size: float


@dataclass(frozen=True, slots=True)
class OrderBook:
    symbol: str
    ts: int
    bids: tuple[DepthLevel, ...] = field(default_factory=tuple)  # best first
    asks: tuple[DepthLevel, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class FundingRate:
    symbol: str
    ts: int
    rate: float  # per funding interval, as a fraction
    next_funding_ts: int | None = None
    mark_price: float | None = None
    index_price: float | None = None


@runtime_checkable
class BrokerAdapter(Protocol):
    """Async venue protocol. Timestamps are ms UTC; bars are oldest first and *closed*."""

    name: str
    capabilities: Capabilities

    async def connect(self) -> None: ...

    async def close(self) -> None: ...

    async def server_time(self) -> int: ...

    async def instruments(self) -> dict[str, InstrumentSpec]: ...

    async def history(
        self, symbol: str, timeframe: str, since_ms: int | None, limit: int
    ) -> Bars:
        """Up to ``limit`` closed bars starting at ``since_ms`` (inclusive)."""
        ...

    async def latest_bars(self, symbol: str, timeframe: str, n: int) -> Bars:
        """The newest ``n`` closed bars (the forming bar is never included)."""
        ...

    async def quote(self, symbol: str) -> Quote: ...

    async def order_book(self, symbol: str, depth: int = 10) -> OrderBook:
        """Raises ``CapabilityError`` where ``capabilities.depth`` is False."""
        ...

    async def funding_rate(self, symbol: str) -> FundingRate:
        """Raises ``CapabilityError`` where ``capabilities.funding`` is False."""
        ...

    async def account(self) -> AccountState: ...

    async def positions(self) -> list[Position]: ...

    async def place_order(self, intent: OrderIntent) -> Order: ...

    async def cancel_order(self, client_order_id: str, symbol: str) -> Order: ...

    async def fetch_order(self, client_order_id: str, symbol: str) -> Order: ...

    async def fills_since(self, since_ms: int, symbol: str | None = None) -> list[Fill]: ...


@runtime_checkable
class FxSource(Protocol):
    """A venue that quotes conversion rates to its account currency (``ats.domain.fx``).

    Apart from ``BrokerAdapter`` so a venue whose instruments all settle in the account
    currency (BingX USDT perpetuals) needs nothing: the brain then converts only same-money
    amounts and refuses an instrument in another currency with that reason.
    """

    async def fx_rates(self) -> FxRates: ...


@runtime_checkable
class FundingHistorySource(Protocol):
    """A venue that serves settled funding rates (BingX: ccxt's funding-rate history)."""

    async def funding_history(self, symbol: str, since_ms: int | None,
                              limit: int = 100) -> list[FundingRate]:
        """Settled rates, oldest first: from ``since_ms`` on, else the newest ``limit``."""
        ...


@runtime_checkable
class VenueProtection(Protocol):
    """Stops and takes that rest at the venue, so they act between brain cycles and while
    ATS is stopped. An entry's ``OrderIntent.stop_loss``/``take_profit`` places them; these
    move them (trailing) and cancel them. ``None`` leaves a leg as it is. The result maps
    ``"sl"``/``"tp"`` to the resting orders."""

    async def set_protection(self, symbol: str, stop: float | None = None,
                             take: float | None = None) -> dict[str, Order]: ...

    async def cancel_protection(self, symbol: str) -> list[Order]: ...


@runtime_checkable
class VenueInventory(Protocol):
    """What the venue holds, for adoption after a restart: resting orders listed with the
    client order ids ATS gave them (protective legs as ``<entry id>-sl``/``-tp``), and
    ``BrokerAdapter.positions()`` for positions. The ledger side reconciles with these."""

    async def open_orders(self, symbol: str | None = None) -> list[Order]: ...
