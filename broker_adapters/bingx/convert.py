"""ccxt's unified dicts → ATS domain values.

ccxt leaves many fields ``None`` on BingX (a fresh order has no status or amount, a fill has
no id or side), so each converter says what it falls back to instead of guessing silently.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from ats.domain import (
    Bars,
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

VENUE = "bingx"

_STATUS = {
    "open": OrderStatus.NEW,
    "closed": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELED,
    "cancelled": OrderStatus.CANCELED,
    "rejected": OrderStatus.REJECTED,
    "expired": OrderStatus.CANCELED,
}


def _f(value: Any, default: float = 0.0) -> float:
    return default if value is None else float(value)


def instrument(market: dict[str, Any]) -> InstrumentSpec:
    precision = market.get("precision") or {}
    limits = (market.get("limits") or {}).get("amount") or {}
    lev = ((market.get("limits") or {}).get("leverage") or {}).get("max")
    step = _f(precision.get("amount"), 1.0)
    return InstrumentSpec(
        symbol=market["symbol"],
        venue=VENUE,
        asset_class="crypto_perp" if market.get("swap") else "crypto_spot",
        tick_size=_f(precision.get("price"), 0.01),
        lot_step=step,
        min_qty=_f(limits.get("min"), step),
        contract_size=_f(market.get("contractSize"), 1.0),
        quote_currency=market.get("settle") or market.get("quote") or "USDT",
        has_funding=bool(market.get("swap")),
        max_leverage=_f(lev, 100.0),
        margin_currency=market.get("settle") or market.get("quote") or "USDT",
    )


def bars(symbol: str, timeframe: str, rows: list[list[Any]]) -> Bars:
    if not rows:
        return Bars.empty(symbol, timeframe)
    a = np.asarray([[np.nan if v is None else v for v in r[:6]] for r in rows], dtype=np.float64)
    return Bars.from_arrays(symbol, timeframe, a[:, 0].astype(np.int64), a[:, 1], a[:, 2],
                            a[:, 3], a[:, 4], a[:, 5])


def quote(symbol: str, t: dict[str, Any], fallback_ts: int) -> Quote:
    bid, ask = t.get("bid"), t.get("ask")
    if bid is None or ask is None:
        raise ValueError(f"ticker for {symbol} has no bid/ask: {t.get('info')!r:.200}")
    return Quote(
        symbol=symbol,
        ts=int(t.get("timestamp") or fallback_ts),
        bid=float(bid),
        ask=float(ask),
        bid_size=_f(t.get("bidVolume")),
        ask_size=_f(t.get("askVolume")),
        last=None if t.get("last") is None else float(t["last"]),
    )


def order(
    o: dict[str, Any], intent: OrderIntent | None, client_id: str, now_ms: int,
    virtual_asset: str | None,
) -> Order:
    """Build an ``Order``; where ccxt has ``None`` (a thin create response) the intent fills in."""
    status = _STATUS.get(str(o.get("status")), OrderStatus.NEW)
    amount = o.get("amount")
    filled = _f(o.get("filled"))
    qty = float(amount) if amount is not None else (intent.qty if intent else filled)
    if status is OrderStatus.NEW and 0 < filled < qty:
        status = OrderStatus.PARTIAL
    if status is OrderStatus.CANCELED and filled >= qty > 0:
        status = OrderStatus.FILLED
    side = o.get("side") or (intent.side.value if intent else "buy")
    otype = o.get("type") or (intent.type.value if intent else "market")
    if intent is not None and (o.get("stopLossPrice") is not None
                               or o.get("takeProfitPrice") is not None):
        otype = intent.type.value  # a protective leg: ccxt calls STOP_MARKET "market"
    tif = str(o.get("timeInForce") or "").lower()
    return Order(
        client_order_id=client_id,
        symbol=o.get("symbol") or (intent.symbol if intent else ""),
        side=Side(side),
        qty=qty,
        type=OrderType(otype) if otype in OrderType._value2member_map_ else OrderType.MARKET,
        status=status,
        ts=int(o.get("timestamp") or now_ms),
        filled_qty=filled,
        avg_price=_f(o.get("average")),
        limit_price=(float(o["price"]) if o.get("price") and otype == "limit"
                     else (intent.limit_price if intent else None)),
        stop_price=intent.stop_price if intent else None,
        reduce_only=bool(o.get("reduceOnly")) or bool(intent and intent.reduce_only),
        tif=TimeInForce.IOC if tif == "ioc" else (intent.tif if intent else TimeInForce.GTC),
        venue_order_id=None if o.get("id") is None else str(o["id"]),
        strategy=intent.strategy if intent else "",
        venue=VENUE,
        virtual_asset=virtual_asset,
    )


def fill(
    t: dict[str, Any], client_id: str, side: str | None, strategy: str,
    virtual_asset: str | None,
) -> Fill:
    """A ccxt trade → ``Fill``. BingX fills carry no id: one is derived from their content."""
    fee = abs(_f((t.get("fee") or {}).get("cost")))
    fid = t.get("id")
    if not fid:
        raw = f"{t.get('order')}|{t.get('timestamp')}|{t.get('amount')}|{t.get('price')}"
        fid = "bx-" + hashlib.sha1(raw.encode()).hexdigest()[:16]
    taker_maker = t.get("takerOrMaker") or "taker"
    return Fill(
        fill_id=str(fid),
        client_order_id=client_id,
        symbol=t["symbol"],
        side=Side(t.get("side") or side or "buy"),
        qty=_f(t.get("amount")),
        price=_f(t.get("price")),
        fee=fee,
        ts=int(t.get("timestamp") or 0),
        liquidity=taker_maker,
        venue=VENUE,
        strategy=strategy,
        virtual_asset=virtual_asset,
    )


def position(p: dict[str, Any], now_ms: int, virtual_asset: str | None) -> Position | None:
    contracts = _f(p.get("contracts"))
    size = contracts * _f(p.get("contractSize"), 1.0)
    side = str(p.get("side") or "").lower()
    qty = -abs(size) if side == "short" else (abs(size) if side == "long" else size)
    if qty == 0:
        return None
    return Position(
        symbol=p["symbol"],
        qty=qty,
        entry_price=_f(p.get("entryPrice")),
        ts=int(p.get("lastUpdateTimestamp") or p.get("timestamp") or now_ms),
        unrealized_pnl=_f(p.get("unrealizedPnl")),
        realized_pnl=_f(p.get("realizedPnl")),
        venue=VENUE,
        virtual_asset=virtual_asset,
    )
