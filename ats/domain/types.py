"""Trading value types: what crosses between strategies, risk, brokers, storage and the UI.

Frozen dataclasses with slots: cheap to create in the hot path and safe to hand to another
thread or widget without a copy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

TIMEFRAMES: dict[str, int] = {
    "1m": 60_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "4h": 14_400_000,
    "1d": 86_400_000,
}


def timeframe_ms(timeframe: str) -> int:
    """Length of a bar in milliseconds; raises ``ValueError`` naming the known ones."""
    try:
        return TIMEFRAMES[timeframe]
    except KeyError:
        known = ", ".join(TIMEFRAMES)
        raise ValueError(f"unknown timeframe {timeframe!r}; expected one of {known}") from None


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        return 1 if self is Side.BUY else -1

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"


class TimeInForce(StrEnum):
    GTC = "gtc"
    IOC = "ioc"


class OrderStatus(StrEnum):
    NEW = "new"
    PARTIAL = "partial"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"

    @property
    def is_terminal(self) -> bool:
        return self in (OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED)


class Regime(StrEnum):
    TREND_UP = "trend_up"
    TREND_DOWN = "trend_down"
    RANGE_LOWVOL = "range_lowvol"
    RANGE_HIGHVOL = "range_highvol"
    PANIC = "panic"


class Mode(StrEnum):
    PAPER = "paper"
    VST = "vst"
    DEMO = "demo"
    LIVE = "live"


@dataclass(frozen=True, slots=True)
class InstrumentSpec:
    """What a venue says about an instrument; sizing rounds to these."""

    symbol: str
    venue: str
    asset_class: str  # "crypto_perp" | "fx" | "metal" | "index" | "crypto_spot"
    tick_size: float
    lot_step: float
    min_qty: float
    contract_size: float = 1.0
    quote_currency: str = "USD"  # PnL of a price move is in this currency
    has_funding: bool = False
    max_leverage: float = 100.0
    # Margin is held in this currency (the base for FX, the settle coin for perpetuals);
    # "" when the venue does not say. Amounts reach the account through ``ats.domain.fx``.
    margin_currency: str = ""


@dataclass(frozen=True, slots=True)
class Quote:
    symbol: str
    ts: int  # ms UTC
    bid: float
    ask: float
    bid_size: float = 0.0
    ask_size: float = 0.0
    last: float | None = None

    @property
    def mid(self) -> float:
        return (self.bid + self.ask) / 2.0

    @property
    def spread(self) -> float:
        return self.ask - self.bid


@dataclass(frozen=True, slots=True)
class StrategySignal:
    """A strategy's wish to enter (or exit) — no size, no risk; those come later."""

    strategy: str
    symbol: str
    timeframe: str
    side: Side
    entry: float
    stop_hint: float | None
    confidence: float  # 0..1
    reason: str
    ts: int  # ms UTC: close time of the bar the signal was computed on
    take_hint: float | None = None
    is_exit: bool = False
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OrderIntent:
    """An order as the brain wants it, before a venue accepts it."""

    client_order_id: str
    symbol: str
    side: Side
    qty: float
    type: OrderType = OrderType.MARKET
    limit_price: float | None = None
    stop_price: float | None = None
    reduce_only: bool = False
    tif: TimeInForce = TimeInForce.GTC
    strategy: str = ""
    stop_loss: float | None = None
    take_profit: float | None = None
    virtual_asset: str | None = None
    parent_id: str | None = None


@dataclass(frozen=True, slots=True)
class Order:
    client_order_id: str
    symbol: str
    side: Side
    qty: float
    type: OrderType
    status: OrderStatus
    ts: int
    filled_qty: float = 0.0
    avg_price: float = 0.0
    limit_price: float | None = None
    stop_price: float | None = None
    reduce_only: bool = False
    tif: TimeInForce = TimeInForce.GTC
    venue_order_id: str | None = None
    reason: str = ""
    strategy: str = ""
    venue: str = ""
    virtual_asset: str | None = None

    @property
    def remaining(self) -> float:
        return max(0.0, self.qty - self.filled_qty)


@dataclass(frozen=True, slots=True)
class Fill:
    fill_id: str
    client_order_id: str
    symbol: str
    side: Side
    qty: float
    price: float
    fee: float
    ts: int
    liquidity: str = "taker"  # "taker" | "maker"
    venue: str = ""
    strategy: str = ""
    virtual_asset: str | None = None


@dataclass(frozen=True, slots=True)
class Position:
    """A net position; ``qty`` is signed (long > 0, short < 0)."""

    symbol: str
    qty: float
    entry_price: float
    ts: int
    stop: float | None = None
    take: float | None = None
    unrealized_pnl: float = 0.0
    realized_pnl: float = 0.0
    strategy: str = ""
    venue: str = ""
    virtual_asset: str | None = None

    @property
    def side(self) -> Side:
        return Side.BUY if self.qty >= 0 else Side.SELL


@dataclass(frozen=True, slots=True)
class AccountState:
    balance: float
    equity: float
    margin_used: float = 0.0
    free_margin: float = 0.0
    currency: str = "USD"
    ts: int = 0
    virtual_asset: str | None = None
