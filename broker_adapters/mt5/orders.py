"""MT5 order flow: order_check, then order_send with a filling mode valid for the symbol.

The client order id travels in the order ``comment`` (31 characters at most; longer ids are
hashed), so an order placed before a restart is still found, and placing the same id twice
returns the existing order instead of trading twice. Reduce-only has no MT5 flag: it is
enforced here by closing an existing opposite position (``position=<ticket>``).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from ats.domain import Fill, Order, OrderIntent, OrderType, Side
from broker_adapters.errors import CapabilityError, InvalidOrderError
from broker_adapters.mt5 import constants as C
from broker_adapters.mt5 import convert
from broker_adapters.mt5.errors import VENUE, last_error_exception, retcode_exception

if TYPE_CHECKING:
    from broker_adapters.mt5.adapter import Mt5Adapter

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
    def _check_volume(info: dict[str, Any], qty: float, cid: str) -> None:
        step, vmin, vmax = (float(info[k]) for k in ("volume_step", "volume_min", "volume_max"))
        steps = qty / step
        if qty < vmin - 1e-9 or qty > vmax + 1e-9 or abs(steps - round(steps)) > 1e-6:
            raise InvalidOrderError(
                f"order {cid}: {qty} lots is not a valid volume for {info['name']} (min {vmin}, "
                f"max {vmax}, step {step})", venue=VENUE)

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
        if intent.stop_loss is not None:
            req["sl"] = float(intent.stop_loss)  # must be a native float (A.6)
        if intent.take_profit is not None:
            req["tp"] = float(intent.take_profit)
        if intent.type is OrderType.MARKET:
            tick = await self.session.call("symbol_info_tick", intent.symbol)
            req.update(action=C.TRADE_ACTION_DEAL,
                       type=C.ORDER_TYPE_BUY if buy else C.ORDER_TYPE_SELL,
                       price=float(tick["ask"] if buy else tick["bid"]),
                       type_filling=convert.filling_for(info, pending=False))
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
        req.update(action=C.TRADE_ACTION_PENDING, type=kinds[(intent.type, buy)],
                   price=float(price), type_filling=convert.filling_for(info, pending=True))
        return req

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
        self._check_volume(info, intent.qty, cid)
        req = await self._request(intent, info)
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
            intent = self._intents.get(cid)
            f = convert.fill(d, cid, self.offset_s, intent.strategy if intent else "",
                             self.virtual_asset)
            if f.ts >= since_ms:
                out.append(f)
        return sorted(out, key=lambda f: (f.ts, f.fill_id))

