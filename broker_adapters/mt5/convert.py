"""MetaTrader5 plain results (dicts, structured arrays) → ATS domain values, in UTC.

Every MT5 time is the trade server's wall clock written as if it were UTC (INTEGRATIONS A.7);
``offset_s`` (server minus UTC, seconds) is subtracted here and nowhere else.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ats.domain import (
    Bars,
    Fill,
    InstrumentSpec,
    Order,
    OrderStatus,
    OrderType,
    Position,
    Quote,
    Side,
    TimeInForce,
)
from broker_adapters.mt5 import constants as C

VENUE = "mt5"

_STATES = {
    C.ORDER_STATE_STARTED: OrderStatus.NEW, C.ORDER_STATE_PLACED: OrderStatus.NEW,
    C.ORDER_STATE_PARTIAL: OrderStatus.PARTIAL, C.ORDER_STATE_FILLED: OrderStatus.FILLED,
    C.ORDER_STATE_CANCELED: OrderStatus.CANCELED, C.ORDER_STATE_REJECTED: OrderStatus.REJECTED,
    C.ORDER_STATE_EXPIRED: OrderStatus.CANCELED,
}


def bars(symbol: str, timeframe: str, rates: np.ndarray, offset_s: int, point: float) -> Bars:
    """Rates (bid OHLC, spread in points) → Bars with UTC ms open times and spread in price."""
    if rates is None or len(rates) == 0:
        return Bars.empty(symbol, timeframe)
    real = rates["real_volume"].astype(np.float64)
    volume = real if np.any(real > 0) else rates["tick_volume"].astype(np.float64)
    return Bars.from_arrays(
        symbol, timeframe, (rates["time"].astype(np.int64) - offset_s) * 1000,
        rates["open"], rates["high"], rates["low"], rates["close"], volume,
        rates["spread"].astype(np.float64) * point,
    )


def quote(symbol: str, tick: dict[str, Any], offset_s: int) -> Quote:
    msc = int(tick.get("time_msc") or int(tick["time"]) * 1000)
    last = float(tick.get("last") or 0.0)
    return Quote(symbol=symbol, ts=msc - offset_s * 1000, bid=float(tick["bid"]),
                 ask=float(tick["ask"]), last=last or None)


def asset_class(info: dict[str, Any]) -> str:
    path = str(info.get("path", "")).lower()
    name = str(info.get("name", "")).upper()
    if "metal" in path or name[:3] in ("XAU", "XAG", "XPT", "XPD"):
        return "metal"
    if "ind" in path or "cash" in path:
        return "index"
    if "crypto" in path:
        return "crypto_spot"
    return "fx"


def instrument(info: dict[str, Any], leverage: float) -> InstrumentSpec:
    """Quantities on MT5 are in lots; ``contract_size`` says how many units one lot holds."""
    return InstrumentSpec(
        symbol=info["name"], venue=VENUE, asset_class=asset_class(info),
        tick_size=float(info.get("trade_tick_size") or info["point"]),
        lot_step=float(info["volume_step"]), min_qty=float(info["volume_min"]),
        contract_size=float(info.get("trade_contract_size") or 1.0),
        quote_currency=str(info.get("currency_profit") or "USD"), has_funding=False,
        max_leverage=float(leverage or 100.0),
        margin_currency=str(info.get("currency_margin") or info.get("currency_base") or ""),
    )


def filling_for(info: dict[str, Any], pending: bool) -> int:
    """A ``type_filling`` the symbol accepts, per MetaQuotes' rules (ENUM_ORDER_TYPE_FILLING).

    FOK and IOC need their bit in ``filling_mode`` (SYMBOL_FILLING_FOK=1, IOC=2 — *not* the
    ORDER_FILLING_* enum values); RETURN is allowed only for symbols with Market or Exchange
    execution. Pending orders prefer RETURN (a partly filled remainder keeps resting), market
    deals FOK then IOC. Raises ``ValueError`` naming the symbol when none fits.
    """
    mask = int(info.get("filling_mode") or 0)
    exemode = int(info.get("trade_exemode") or 0)
    can_return = exemode in (C.SYMBOL_TRADE_EXECUTION_MARKET, C.SYMBOL_TRADE_EXECUTION_EXCHANGE)
    if pending and can_return:
        return C.ORDER_FILLING_RETURN
    if mask & C.SYMBOL_FILLING_FOK:
        return C.ORDER_FILLING_FOK
    if mask & C.SYMBOL_FILLING_IOC:
        return C.ORDER_FILLING_IOC
    if can_return:
        return C.ORDER_FILLING_RETURN
    raise ValueError(
        f"{info.get('name')} accepts no filling mode: filling_mode={mask} allows neither FOK "
        f"nor IOC and execution mode {exemode} (Request/Instant) does not allow RETURN")


def position(p: dict[str, Any], offset_s: int, virtual_asset: str | None) -> Position:
    sign = 1.0 if p["type"] == C.POSITION_TYPE_BUY else -1.0
    return Position(
        symbol=p["symbol"], qty=sign * float(p["volume"]), entry_price=float(p["price_open"]),
        ts=int(p["time_msc"]) - offset_s * 1000, stop=float(p["sl"]) or None,
        take=float(p["tp"]) or None, unrealized_pnl=float(p["profit"]), venue=VENUE,
        virtual_asset=virtual_asset,
    )


def order_type(mt5_type: int) -> OrderType:
    if mt5_type in (C.ORDER_TYPE_BUY_LIMIT, C.ORDER_TYPE_SELL_LIMIT):
        return OrderType.LIMIT
    if mt5_type in (C.ORDER_TYPE_BUY_STOP, C.ORDER_TYPE_SELL_STOP):
        return OrderType.STOP
    return OrderType.MARKET


def order(o: dict[str, Any], client_id: str, deals: list[dict[str, Any]], offset_s: int,
          strategy: str, reduce_only: bool, virtual_asset: str | None) -> Order:
    """An MT5 order (active or history) plus its deals → ``Order``."""
    qty = float(o["volume_initial"])
    filled = sum(float(d["volume"]) for d in deals)
    if not deals and o["state"] == C.ORDER_STATE_FILLED:
        filled = qty - float(o["volume_current"])
    avg = (sum(float(d["volume"]) * float(d["price"]) for d in deals) / filled
           if deals and filled else float(o.get("price_current") or 0.0) if filled else 0.0)
    status = _STATES.get(int(o["state"]), OrderStatus.NEW)
    if status is OrderStatus.NEW and 0 < filled < qty:
        status = OrderStatus.PARTIAL
    otype = order_type(int(o["type"]))
    price = float(o["price_open"]) or None
    return Order(
        client_order_id=client_id, symbol=o["symbol"],
        side=Side.BUY if int(o["type"]) in C.BUY_TYPES else Side.SELL, qty=qty, type=otype,
        status=status, ts=int(o["time_setup_msc"]) - offset_s * 1000, filled_qty=filled,
        avg_price=avg, limit_price=price if otype is OrderType.LIMIT else None,
        stop_price=price if otype is OrderType.STOP else None, reduce_only=reduce_only,
        tif=TimeInForce.GTC, venue_order_id=str(o["ticket"]),
        reason=str(o.get("comment") or "") if status is OrderStatus.REJECTED else "",
        strategy=strategy, venue=VENUE, virtual_asset=virtual_asset,
    )


def fill(d: dict[str, Any], client_id: str, offset_s: int, strategy: str,
         virtual_asset: str | None) -> Fill:
    return Fill(
        fill_id=str(d["ticket"]), client_order_id=client_id, symbol=d["symbol"],
        side=Side.BUY if int(d["type"]) == C.DEAL_TYPE_BUY else Side.SELL,
        qty=float(d["volume"]), price=float(d["price"]),
        fee=abs(float(d.get("commission") or 0.0)) + abs(float(d.get("fee") or 0.0)),
        ts=int(d["time_msc"]) - offset_s * 1000, venue=VENUE, strategy=strategy,
        virtual_asset=virtual_asset,
    )


def quote_rate(info: dict[str, Any]) -> float | None:
    """Account currency per one unit of the symbol's profit currency, from MT5's tick value.

    ``trade_tick_value(_profit)`` is what one tick of one lot is worth in the account
    currency; divided by the tick size and the contract size it is the terminal's own
    conversion rate (USDJPY at 150 on a USD account: 0.6667 / (0.001 x 100000) = 1/150).
    """
    tv = float(info.get("trade_tick_value_profit") or info.get("trade_tick_value") or 0.0)
    ts = float(info.get("trade_tick_size") or info.get("point") or 0.0)
    cs = float(info.get("trade_contract_size") or 0.0)
    if not (tv > 0 and ts > 0 and cs > 0):
        return None
    return tv / (ts * cs)
