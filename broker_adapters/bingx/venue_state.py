"""What the BingX adapter keeps in step with the account: position mode, stops at the venue,
open orders after a restart, and the parts of fill rows ccxt reads wrongly.

* **Position mode.** BingX refuses an order whose ``positionSide`` does not fit the account
  (code 109400); ccxt sends ``BOTH`` unless told ``hedged``. The mode is read at connect,
  set to ``adapters.yaml bingx.position_mode`` when the account is flat, and every order
  then carries ``hedged`` so ccxt picks the matching ``positionSide``.
* **Protection.** An entry with ``stop_loss``/``take_profit`` is followed, once filled, by
  reduce-only ``STOP_MARKET`` (``<entry id>-sl``) and ``TAKE_PROFIT_MARKET``
  (``<entry id>-tp``) orders for the whole position: they act while ATS is stopped or
  disconnected. ``set_protection`` moves them (cancel, then place ``-sl2``, ``-sl3``...);
  a reduce-only exit that leaves the position flat cancels them, and so does one leg
  filling (one cancels the other).
* **Fill rows** carry no ``side`` and two times: ``filledTime`` ("…+0800") is right,
  ``filledTm`` ("…Z") has the same Beijing wall-clock digits labelled UTC — ccxt reads the
  latter and moves fills 8 hours into the future. Both are handled in ``fill_time``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from ats.domain import Order, OrderIntent, OrderType, Side
from broker_adapters.bingx import convert
from broker_adapters.bingx.errors import VENUE
from broker_adapters.errors import InvalidOrderError, VenueBusyError, VenueError

if TYPE_CHECKING:
    from broker_adapters.bingx.adapter import BingxAdapter

log = logging.getLogger(__name__)
BEIJING = timezone(timedelta(hours=8))
ROLES = ("sl", "tp")


def fill_time(info: dict[str, Any], fallback: int | None) -> int | None:
    """The fill's ms UTC from a raw ``allFillOrders`` row (see the module docstring)."""
    exact = info.get("filledTime")
    if exact:
        try:
            return int(datetime.fromisoformat(str(exact)).timestamp() * 1000)
        except ValueError:
            log.warning("bingx fill row has an unreadable filledTime %r", exact)
    tm = info.get("filledTm")
    if tm:
        text = str(tm)
        try:
            if text.endswith("Z"):  # Beijing digits labelled UTC in the rows BingX sends
                dt = datetime.fromisoformat(text[:-1]).replace(tzinfo=BEIJING)
            else:
                dt = datetime.fromisoformat(text)
                if dt.tzinfo is None:
                    dt = dt.replace(tzinfo=BEIJING)
            return int(dt.timestamp() * 1000)
        except ValueError:
            log.warning("bingx fill row has an unreadable filledTm %r", tm)
    return fallback


def leg_role(client_id: str) -> str:
    """``"sl"``/``"tp"`` for a protective leg's client id (``<entry>-sl``, ``-sl2``...)."""
    tail = client_id.rsplit("-", 1)[-1]
    role = tail[:2]
    if "-" in client_id and role in ROLES and (tail == role or tail[2:].isdigit()):
        return role
    return ""


async def sync_position_mode(a: BingxAdapter) -> None:
    """Read the account's position mode; set the configured one when flat."""
    info = await a._call("fetch_position_mode", a._ex.fetch_position_mode)
    a.hedged = bool(info.get("hedged"))
    want = a.cfg.position_mode
    if want == "keep" or (want == "hedge") == a.hedged:
        return
    busy = await a.positions() or await a.open_orders()
    if busy:
        a.mode_note = (
            f"BingX account is in {'hedge' if a.hedged else 'one-way'} mode and has open "
            f"positions or orders, so adapters.yaml bingx.position_mode={want} was not "
            "applied; orders follow the account's mode")
        log.warning(a.mode_note)
        return
    await a._call("set_position_mode", a._ex.set_position_mode, want == "hedge", retry=False)
    a.hedged = want == "hedge"


async def position_qty(a: BingxAdapter, symbol: str) -> float:
    return sum(p.qty for p in await a.positions() if p.symbol == symbol)


async def protect_entry(a: BingxAdapter, intent: OrderIntent) -> dict[str, Order]:
    """Place (or resize) the legs after an entry with stop/take filled."""
    return await place_legs(a, intent.symbol, intent.stop_loss, intent.take_profit,
                            parent=intent.client_order_id, strategy=intent.strategy,
                            replace_all=True)


async def place_legs(a: BingxAdapter, symbol: str, stop: float | None, take: float | None,
                     *, parent: str | None = None, strategy: str = "",
                     replace_all: bool = False) -> dict[str, Order]:
    qty = await position_qty(a, symbol)
    if abs(qty) <= 0:
        raise InvalidOrderError(f"no open position in {symbol} to protect", venue=VENUE)
    legs = a._legs.setdefault(symbol, {})
    wanted = {"sl": stop, "tp": take}
    if replace_all:  # a grown position: both legs must cover all of it
        for role, cid in legs.items():
            if wanted.get(role) is None and cid in a._intents:
                it = a._intents[cid]
                wanted[role] = it.stop_price if role == "sl" else it.limit_price
    out: dict[str, Order] = {}
    for role, price in wanted.items():
        if price is None:
            continue
        old = legs.get(role)
        if old is not None:
            await _cancel_leg(a, old, symbol)
        root = parent or (old.rsplit("-", 1)[0] if old else f"{symbol.split('/')[0]}-prot")
        cid = _fresh_id(a, f"{root}-{role}")
        side = Side.SELL if qty > 0 else Side.BUY
        intent = OrderIntent(
            cid, symbol, side, abs(qty),
            type=OrderType.STOP if role == "sl" else OrderType.LIMIT,
            stop_price=price if role == "sl" else None,
            limit_price=price if role == "tp" else None, reduce_only=True,
            strategy=strategy or (a._intents[old].strategy if old in a._intents else ""),
            virtual_asset=a.virtual_asset, parent_id=root)
        params: dict[str, Any] = {"clientOrderId": cid, "hedged": a.hedged,
                                  ("stopLossPrice" if role == "sl" else "takeProfitPrice"): price}
        if not a.hedged:
            params["reduceOnly"] = True
        created = await a._call(f"create_order {symbol} {role}", a._ex.create_order, symbol,
                                "market", side.value, abs(qty), None, params, retry="rate")
        a._remember(cid, str(created["id"]), intent)
        legs[role] = cid
        out[role] = await a.fetch_order(cid, symbol)
    return out


def _fresh_id(a: BingxAdapter, base: str) -> str:
    cid, n = base, 1
    while cid in a._venue_ids:
        n += 1
        cid = f"{base}{n}"
    return cid


async def _cancel_leg(a: BingxAdapter, cid: str, symbol: str) -> Order | None:
    try:
        return await a.cancel_order(cid, symbol)
    except InvalidOrderError:  # already triggered or gone: say what it is now
        try:
            return await a.fetch_order(cid, symbol)
        except VenueError:
            return None


async def cancel_legs(a: BingxAdapter, symbol: str) -> list[Order]:
    out = []
    for cid in list(a._legs.pop(symbol, {}).values()):
        order = await _cancel_leg(a, cid, symbol)
        if order is not None:
            out.append(order)
    return out


async def tidy_after_fill(a: BingxAdapter, symbol: str) -> None:
    """A flat position keeps no legs: cancel what is left (one cancels the other)."""
    if a._legs.get(symbol) and abs(await position_qty(a, symbol)) <= 0:
        await cancel_legs(a, symbol)


async def open_orders(a: BingxAdapter, symbol: str | None) -> list[Order]:
    """Every resting order with its client id; adopts protective legs found there."""
    syms = [symbol] if symbol else list(a.symbols)
    out: list[Order] = []
    now = a._clock.now_ms()
    for sym in syms:
        a._market(sym)
        raw = await a._call(f"fetch_open_orders {sym}", a._ex.fetch_open_orders, sym)
        for o in raw:
            vid = str(o.get("id"))
            cid = o.get("clientOrderId") or a._client_ids.get(vid) or vid
            intent = a._intents.get(cid) or _intent_of(o, cid, sym, a.virtual_asset)
            a._remember(cid, vid, intent)
            role = leg_role(cid)
            if role:
                a._legs.setdefault(sym, {})[role] = cid
            out.append(convert.order(o, intent, cid, now, a.virtual_asset))
    return out


def _intent_of(o: dict[str, Any], cid: str, symbol: str, va: str | None) -> OrderIntent:
    """Rebuild what an adopted order asks for from the venue's own view of it."""
    side = Side(o.get("side") or "buy")
    amount = float(o.get("amount") or 0.0)
    sl, tp = o.get("stopLossPrice"), o.get("takeProfitPrice")
    if sl is not None:
        return OrderIntent(cid, symbol, side, amount, OrderType.STOP, stop_price=float(sl),
                           reduce_only=True, virtual_asset=va)
    if tp is not None:
        return OrderIntent(cid, symbol, side, amount, OrderType.LIMIT, limit_price=float(tp),
                           reduce_only=True, virtual_asset=va)
    otype = OrderType.LIMIT if o.get("type") == "limit" else OrderType.MARKET
    price = o.get("price")
    return OrderIntent(cid, symbol, side, amount, otype,
                       limit_price=float(price) if otype is OrderType.LIMIT and price else None,
                       reduce_only=bool(o.get("reduceOnly")), virtual_asset=va)


async def side_of(a: BingxAdapter, venue_id: str, symbol: str) -> str:
    """The side of an order this process did not place (fill rows carry none)."""
    hit = a._sides.get(venue_id)
    if hit:
        return hit
    raw = await a._call(f"fetch_order {symbol}", a._ex.fetch_order, venue_id, symbol)
    side = raw.get("side")
    if side not in ("buy", "sell"):
        raise VenueBusyError(f"BingX order {venue_id} has no readable side, so its fills "
                             "cannot be booked yet; will ask again", venue=VENUE)
    a._sides[venue_id] = side
    return side
