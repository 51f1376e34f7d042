"""MT5 order flow: order_check, then order_send with a filling mode valid for the symbol.

The client order id travels in the order ``comment`` (31 characters at most; longer ids are
hashed), so an order placed before a restart is still found, and placing the same id twice
returns the existing order instead of trading twice. Reduce-only has no MT5 flag: it is
enforced here by closing an existing opposite position (``position=<ticket>``).

Before anything is sent, the symbol's own limits are applied (the trade server refuses
otherwise): the volume is rounded to ``volume_step`` in decimal arithmetic (a float
``0.1 + 0.2`` is not 0.3 lots) and clamped to what ``volume_limit`` leaves; a stop-loss or
take-profit closer than ``trade_stops_level`` points to the price it closes at is moved out
to the nearest valid level (one point beyond, so a tick of movement does not undo it), one
on the wrong side of the price is refused with the reason; stops within
``trade_freeze_level`` points of the price are not modified. A position's SL/TP live on the
position (``set_protection`` moves them with ``TRADE_ACTION_SLTP``), and the server closes
the position when the price reaches them.
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import replace
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any

from ats.domain import Fill, Order, OrderIntent, OrderStatus, OrderType, Side
from broker_adapters.errors import CapabilityError, InvalidOrderError
from broker_adapters.mt5 import constants as C
from broker_adapters.mt5 import convert
from broker_adapters.mt5.errors import VENUE, last_error_exception, retcode_exception

if TYPE_CHECKING:
    from broker_adapters.mt5.adapter import Mt5Adapter

log = logging.getLogger(__name__)
WEEK_S = 7 * 86_400


def comment_for(client_order_id: str) -> str:
    if len(client_order_id) <= 31:
        return client_order_id
    return "ats-" + hashlib.sha1(client_order_id.encode()).hexdigest()[:27]


class Mt5Orders:
    def __init__(self) -> None:
        self._tickets: dict[str, int] = {}  # client order id → MT5 order ticket
        self._by_ticket: dict[int, str] = {}
        self._intents: dict[str, OrderIntent] = {}

    # ------------------------------------------------------------------ helpers
    def _remember(self: Mt5Adapter, cid: str, ticket: int) -> None:
        self._tickets[cid] = ticket
        self._by_ticket[ticket] = cid

    async def _find(self: Mt5Adapter, cid: str, symbol: str) -> int | None:
        """The ticket of ``cid``: known here, or found by its comment (after a restart)."""
        if cid in self._tickets:
            return self._tickets[cid]
        comment, now = comment_for(cid), self._server_now()
        active = await self.session.rows("orders_get", symbol=symbol)
        history = await self.session.rows("history_orders_get", now - WEEK_S, now + 86_400,
                                          group=symbol)
        for o in [*active, *history]:
            if o["comment"] == comment and o["magic"] == self.magic:
                self._remember(cid, int(o["ticket"]))
                return int(o["ticket"])
        return None

    async def _ticket(self: Mt5Adapter, cid: str, symbol: str) -> int:
        ticket = await self._find(cid, symbol)
        if ticket is None:
            raise InvalidOrderError(f"no MT5 order with client id {cid!r} on {symbol}",
                                    venue=VENUE)
        return ticket

    def _require_trading(self: Mt5Adapter) -> None:
        if not self.capabilities.trading:
            raise CapabilityError("the MT5 adapter is in paper mode: orders are filled by the "
                                  "paper simulator and never sent to the terminal", venue=VENUE)

    @staticmethod
    def _check_volume(info: dict[str, Any], qty: float, cid: str) -> Decimal:
        """``qty`` as an exact multiple of ``volume_step`` within min/max, or refused."""
        step = Decimal(str(info["volume_step"]))
        vmin, vmax = Decimal(str(info["volume_min"])), Decimal(str(info["volume_max"]))
        want = Decimal(repr(float(qty)))
        steps = (want / step).to_integral_value(ROUND_HALF_EVEN)
        vol = steps * step
        if abs(want - vol) > step * Decimal("1e-6") or vol < vmin or vol > vmax:
            raise InvalidOrderError(
                f"order {cid}: {qty} lots is not a valid volume for {info['name']} (min {vmin}, "
                f"max {vmax}, step {step})", venue=VENUE)
        return vol

    async def _volume(self: Mt5Adapter, intent: OrderIntent, info: dict[str, Any]) -> float:
        """The volume to send: on the step, and clamped to what ``volume_limit`` leaves."""
        vol = self._check_volume(info, intent.qty, intent.client_order_id)
        limit = Decimal(str(info.get("volume_limit") or 0))
        if limit > 0 and not intent.reduce_only:
            buy = intent.side is Side.BUY
            held = sum(Decimal(str(p["volume"])) for p in await self._positions_of(intent.symbol)
                       if (p["type"] == C.POSITION_TYPE_BUY) == buy)
            held += sum(Decimal(str(o["volume_current"]))
                        for o in await self.session.rows("orders_get", symbol=intent.symbol)
                        if (int(o["type"]) in C.BUY_TYPES) == buy)
            step = Decimal(str(info["volume_step"]))
            room = ((limit - held) / step).to_integral_value(ROUND_FLOOR) * step
            if vol > room:
                if room < Decimal(str(info["volume_min"])):
                    raise InvalidOrderError(
                        f"order {intent.client_order_id}: {info['name']} allows {limit} lots "
                        f"{'long' if buy else 'short'} (volume_limit) and {held} are held or "
                        "pending; nothing is left for this order", venue=VENUE)
                log.warning("mt5 order %s: %s lots clamped to %s by %s volume_limit %s",
                            intent.client_order_id, vol, room, info["name"], limit)
                vol = room
        return float(vol)

    @staticmethod
    def _stops(info: dict[str, Any], buy: bool, ref: float, sl: float | None,
               tp: float | None, what: str) -> tuple[float | None, float | None]:
        """SL/TP for a position that closes at ``ref`` (bid for a buy, ask for a sell), or
        for a pending order priced at ``ref``: moved out to ``trade_stops_level`` points,
        refused when on the wrong side."""
        point = float(info["point"])
        digits = int(info.get("digits") or max(0, round(-math.log10(point))))
        dist = (int(info.get("trade_stops_level") or 0) + 1) * point
        out: list[float | None] = []
        for kind, level in (("stop-loss", sl), ("take-profit", tp)):
            if level is None or level == 0:
                out.append(None)
                continue
            below = (kind == "stop-loss") == buy  # a long's stop and a short's take sit below
            if (level >= ref) if below else (level <= ref):
                raise InvalidOrderError(
                    f"{what}: the {kind} {level} is on the wrong side of the price {ref} for a "
                    f"{'buy' if buy else 'sell'}", venue=VENUE)
            nearest = ref - dist if below else ref + dist
            if (level > nearest) if below else (level < nearest):
                moved = round(nearest, digits)
                log.warning("mt5 %s: %s %s is inside %s's stops level (%s points); moved to %s",
                            what, kind, level, info["name"], info.get("trade_stops_level"),
                            moved)
                level = moved
            out.append(round(level, digits))
        return out[0], out[1]

    async def _close_target(self: Mt5Adapter, intent: OrderIntent) -> int | None:
        """For reduce-only: the position ticket to close, or an error if it would add risk."""
        want = C.POSITION_TYPE_BUY if intent.side is Side.SELL else C.POSITION_TYPE_SELL
        opposite = [p for p in await self._positions_of(intent.symbol) if p["type"] == want]
        total = sum(float(p["volume"]) for p in opposite)
        if total + 1e-9 < intent.qty:
            raise InvalidOrderError(
                f"reduce-only order {intent.client_order_id} would increase exposure: "
                f"{intent.symbol} has {total} lots to close on that side", venue=VENUE)
        if not self.hedging:
            return None  # netting: an opposite deal reduces the one position
        fits = sorted((p for p in opposite if float(p["volume"]) + 1e-9 >= intent.qty),
                      key=lambda p: float(p["volume"]))
        if not fits:
            raise InvalidOrderError(
                f"reduce-only order {intent.client_order_id} spans several hedged positions; "
                "close them one at a time", venue=VENUE)
        return int(fits[0]["ticket"])

    async def _request(self: Mt5Adapter, intent: OrderIntent,
                       info: dict[str, Any]) -> dict[str, Any]:
        buy = intent.side is Side.BUY
        req: dict[str, Any] = {
            "symbol": intent.symbol, "volume": float(intent.qty), "magic": self.magic,
            "comment": comment_for(intent.client_order_id), "type_time": C.ORDER_TIME_GTC,
            "deviation": self.deviation,
        }
        what = f"order {intent.client_order_id}"
        if intent.type is OrderType.MARKET:
            tick = await self.session.call("symbol_info_tick", intent.symbol)
            sl, tp = self._stops(info, buy, float(tick["bid"] if buy else tick["ask"]),
                                 intent.stop_loss, intent.take_profit, what)
            if sl is not None:
                req["sl"] = float(sl)  # must be a native float (A.6)
            if tp is not None:
                req["tp"] = float(tp)
            req.update(action=C.TRADE_ACTION_DEAL,
                       type=C.ORDER_TYPE_BUY if buy else C.ORDER_TYPE_SELL,
                       price=float(tick["ask"] if buy else tick["bid"]),
                       type_filling=self._filling(info, pending=False))
            if intent.reduce_only:
                target = await self._close_target(intent)
                if target is not None:
                    req["position"] = target
            return req
        if intent.reduce_only:
            raise CapabilityError("reduce-only pending orders do not exist on MT5; send a "
                                  "reduce-only market order", venue=VENUE)
        price = intent.limit_price if intent.type is OrderType.LIMIT else intent.stop_price
        if price is None or not price > 0:
            raise InvalidOrderError(f"{intent.type.value} order {intent.client_order_id} needs "
                                    "a positive price", venue=VENUE)
        kinds = {(OrderType.LIMIT, True): C.ORDER_TYPE_BUY_LIMIT,
                 (OrderType.LIMIT, False): C.ORDER_TYPE_SELL_LIMIT,
                 (OrderType.STOP, True): C.ORDER_TYPE_BUY_STOP,
                 (OrderType.STOP, False): C.ORDER_TYPE_SELL_STOP}
        tick = await self.session.call("symbol_info_tick", intent.symbol)
        market = float(tick["ask"] if buy else tick["bid"])
        dist = int(info.get("trade_stops_level") or 0) * float(info["point"])
        if dist and abs(market - float(price)) < dist:
            raise InvalidOrderError(
                f"{what}: price {price} is within {info['name']}'s stops level "
                f"({info.get('trade_stops_level')} points) of the market {market}; place it "
                "further away", venue=VENUE)
        sl, tp = self._stops(info, buy, float(price), intent.stop_loss, intent.take_profit, what)
        if sl is not None:
            req["sl"] = float(sl)
        if tp is not None:
            req["tp"] = float(tp)
        req.update(action=C.TRADE_ACTION_PENDING, type=kinds[(intent.type, buy)],
                   price=float(price), type_filling=self._filling(info, pending=True))
        return req

    @staticmethod
    def _filling(info: dict[str, Any], pending: bool) -> int:
        try:
            return convert.filling_for(info, pending)
        except ValueError as exc:
            raise InvalidOrderError(str(exc), venue=VENUE) from None

    async def _send(self: Mt5Adapter, req: dict[str, Any], what: str) -> dict[str, Any]:
        check, err = await self.session.raw("order_check", req)
        if check is None:
            raise last_error_exception(err[0], err[1], f"order_check {what}")
        if check["retcode"] not in (0, C.TRADE_RETCODE_DONE):
            raise retcode_exception(check["retcode"], check["comment"], f"order_check {what}")
        for _ in range(3):
            result, err = await self.session.raw("order_send", req)
            if result is None:
                raise last_error_exception(err[0], err[1], f"order_send {what}")
            if result["retcode"] in C.OK_RETCODES:
                return result
            if result["retcode"] not in C.REPRICE_RETCODES or req["action"] != C.TRADE_ACTION_DEAL:
                break
            tick = await self.session.call("symbol_info_tick", req["symbol"])
            req["price"] = float(tick["ask"] if req["type"] == C.ORDER_TYPE_BUY else tick["bid"])
        raise retcode_exception(result["retcode"], result["comment"], f"order_send {what}")

    # ------------------------------------------------------------------ protocol
    async def place_order(self: Mt5Adapter, intent: OrderIntent) -> Order:
        self._require_trading()
        cid = intent.client_order_id
        if not intent.qty > 0:
            raise InvalidOrderError(f"order {cid}: quantity must be > 0, got {intent.qty}",
                                    venue=VENUE)
        info = await self._select(intent.symbol)
        self._intents.setdefault(cid, intent)
        if await self._find(cid, intent.symbol) is not None:  # idempotent: never send twice
            return await self.fetch_order(cid, intent.symbol)
        volume = await self._volume(intent, info)
        req = await self._request(replace(intent, qty=volume), info)
        result = await self._send(req, f"{cid} {intent.side.value} {intent.qty} {intent.symbol}")
        self._remember(cid, int(result["order"]))
        return await self.fetch_order(cid, intent.symbol)

    async def fetch_order(self: Mt5Adapter, client_order_id: str, symbol: str) -> Order:
        await self._select(symbol)
        ticket = await self._ticket(client_order_id, symbol)
        active = await self.session.rows("orders_get", ticket=ticket)
        deals: list[dict[str, Any]] = []
        if active:
            o = active[0]
        else:
            hist = await self.session.rows("history_orders_get", ticket=ticket)
            if not hist:
                raise InvalidOrderError(f"MT5 order {ticket} ({client_order_id}) vanished from "
                                        "the terminal's history", venue=VENUE)
            o = hist[0]
            start = int(o["time_setup"]) - 60
            rows = await self.session.rows("history_deals_get", start,
                                           self._server_now() + 86_400, group=symbol)
            deals = [d for d in rows if int(d["order"]) == ticket]
        intent = self._intents.get(client_order_id)
        return convert.order(o, client_order_id, deals, self.offset_s,
                             intent.strategy if intent else "",
                             bool(intent and intent.reduce_only), self.virtual_asset)

    async def cancel_order(self: Mt5Adapter, client_order_id: str, symbol: str) -> Order:
        self._require_trading()
        await self._select(symbol)
        ticket = await self._ticket(client_order_id, symbol)
        if not await self.session.rows("orders_get", ticket=ticket):
            raise InvalidOrderError(f"cannot cancel {client_order_id}: MT5 order {ticket} is no "
                                    "longer pending (filled or canceled)", venue=VENUE)
        await self._send({"action": C.TRADE_ACTION_REMOVE, "order": ticket},
                         f"cancel {client_order_id}")
        return await self.fetch_order(client_order_id, symbol)

    async def fills_since(self: Mt5Adapter, since_ms: int, symbol: str | None = None) -> list[Fill]:
        start = since_ms // 1000 + self.offset_s
        kwargs = {"group": symbol} if symbol else {}
        rows = await self._read(lambda: self.session.rows(
            "history_deals_get", start, self._server_now() + 86_400, **kwargs))
        by_comment = {comment_for(c): c for c in self._tickets}
        out: list[Fill] = []
        for d in rows:
            if int(d["type"]) not in (C.DEAL_TYPE_BUY, C.DEAL_TYPE_SELL):
                continue  # balance, credit, commission rows are not fills
            if symbol and d["symbol"] != symbol:
                continue
            cid = (self._by_ticket.get(int(d["order"])) or by_comment.get(str(d["comment"]))
                   or str(d["order"]))
            reason = int(d.get("reason") or 0)
            entry = self._by_ticket.get(int(d.get("position_id") or 0))
            if reason in (C.DEAL_REASON_SL, C.DEAL_REASON_TP) and entry:
                # the server closed the position at its SL/TP: name it like other venues
                cid = f"{entry}-{'sl' if reason == C.DEAL_REASON_SL else 'tp'}"
            intent = self._intents.get(cid)
            f = convert.fill(d, cid, self.offset_s, intent.strategy if intent else "",
                             self.virtual_asset)
            if f.ts >= since_ms:
                out.append(f)
        return sorted(out, key=lambda f: (f.ts, f.fill_id))


    # ------------------------------------------------------------------ protection
    async def set_protection(self: Mt5Adapter, symbol: str, stop: float | None = None,
                             take: float | None = None) -> dict[str, Order]:
        """Move the SL/TP of ``symbol``'s positions (None keeps one) with TRADE_ACTION_SLTP."""
        self._require_trading()
        info = await self._select(symbol)
        positions = await self._positions_of(symbol)
        if not positions:
            raise InvalidOrderError(f"no open position in {symbol} to protect", venue=VENUE)
        tick = await self.session.call("symbol_info_tick", symbol)
        out: dict[str, Order] = {}
        for p in positions:
            buy = p["type"] == C.POSITION_TYPE_BUY
            ref = float(tick["bid"] if buy else tick["ask"])
            self._not_frozen(info, p, ref)
            what = f"protection of position {p['ticket']}"
            sl, tp = self._stops(info, buy, ref, stop if stop is not None else p["sl"] or None,
                                 take if take is not None else p["tp"] or None, what)
            req = {"action": C.TRADE_ACTION_SLTP, "symbol": symbol, "position": int(p["ticket"]),
                   "sl": float(sl or 0.0), "tp": float(tp or 0.0), "magic": self.magic}
            if (req["sl"], req["tp"]) != (float(p["sl"]), float(p["tp"])):
                await self._send(req, what)
            out = self._legs_of({**p, "sl": req["sl"], "tp": req["tp"]}, OrderStatus.NEW)
        return out

    async def cancel_protection(self: Mt5Adapter, symbol: str) -> list[Order]:
        self._require_trading()
        info = await self._select(symbol)
        tick = await self.session.call("symbol_info_tick", symbol)
        out: list[Order] = []
        for p in await self._positions_of(symbol):
            if not (p["sl"] or p["tp"]):
                continue
            buy = p["type"] == C.POSITION_TYPE_BUY
            self._not_frozen(info, p, float(tick["bid"] if buy else tick["ask"]))
            await self._send({"action": C.TRADE_ACTION_SLTP, "symbol": symbol,
                              "position": int(p["ticket"]), "sl": 0.0, "tp": 0.0,
                              "magic": self.magic}, f"cancel protection of {p['ticket']}")
            out.extend(self._legs_of(p, OrderStatus.CANCELED).values())
        return out

    @staticmethod
    def _not_frozen(info: dict[str, Any], p: dict[str, Any], ref: float) -> None:
        freeze = int(info.get("trade_freeze_level") or 0) * float(info["point"])
        for kind, level in (("stop-loss", p["sl"]), ("take-profit", p["tp"])):
            if level and freeze and abs(ref - float(level)) < freeze:
                raise InvalidOrderError(
                    f"the {kind} {level} of position {p['ticket']} is within {info['name']}'s "
                    f"freeze level ({info.get('trade_freeze_level')} points) of the price {ref}: "
                    "the server will not modify it now", venue=VENUE)

    def _legs_of(self: Mt5Adapter, p: dict[str, Any], status: OrderStatus) -> dict[str, Order]:
        """A position's SL/TP shown as the protective orders they stand for."""
        base = self._by_ticket.get(int(p.get("identifier") or p["ticket"])) or str(
            p.get("comment") or p["ticket"])
        side = Side.SELL if p["type"] == C.POSITION_TYPE_BUY else Side.BUY
        ts = int(p.get("time_msc") or 0) - self.offset_s * 1000
        out: dict[str, Order] = {}
        for role, level in (("sl", p["sl"]), ("tp", p["tp"])):
            if not level:
                continue
            out[role] = Order(
                f"{base}-{role}", p["symbol"], side, float(p["volume"]),
                OrderType.STOP if role == "sl" else OrderType.LIMIT, status, ts,
                stop_price=float(level) if role == "sl" else None,
                limit_price=float(level) if role == "tp" else None, reduce_only=True,
                venue_order_id=f"{p['ticket']}:{role}", venue=VENUE,
                virtual_asset=self.virtual_asset)
        return out

    async def open_orders(self: Mt5Adapter, symbol: str | None = None) -> list[Order]:
        """Pending orders with their client ids (from the comment) for adoption after a
        restart. SL/TP are not orders on MT5: they are ``Position.stop``/``take``."""
        kwargs = {"symbol": symbol} if symbol else {}
        rows = await self._read(lambda: self.session.rows("orders_get", **kwargs))
        out = []
        for o in rows:
            if o["magic"] != self.magic:
                continue
            ticket = int(o["ticket"])
            cid = self._by_ticket.get(ticket) or str(o["comment"]) or str(ticket)
            self._remember(cid, ticket)
            intent = self._intents.get(cid)
            out.append(convert.order(o, cid, [], self.offset_s, intent.strategy if intent else "",
                                     bool(intent and intent.reduce_only), self.virtual_asset))
        return out
