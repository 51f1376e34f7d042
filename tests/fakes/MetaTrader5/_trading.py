"""``order_check`` / ``order_send`` with the official request keys, retcodes and filling rules.

Market deals fill at the current bid/ask, pending orders rest until ``advance()`` moves the
clock past their price, ``TRADE_ACTION_REMOVE`` cancels, ``TRADE_ACTION_SLTP`` moves a
position's stops. Hedging accounts open one position per deal and close by
``position=<ticket>``; netting accounts keep one position per symbol.

What MetaQuotes documents and this fake therefore refuses:

* filling (ENUM_ORDER_TYPE_FILLING): FOK and IOC need their ``SYMBOL_FILLING_*`` bit in
  ``filling_mode``; RETURN is allowed only for symbols with Market or Exchange execution
  (10030 otherwise).
* stops: a position's SL/TP sit on the right side of the price it closes at (bid for a buy,
  ask for a sell) and at least ``trade_stops_level`` points from it; a pending order's price
  keeps that distance from the market, its SL/TP from its own price (10016 invalid stops,
  10015 invalid price). SL/TP within ``trade_freeze_level`` points of the price cannot be
  modified (10029 frozen).
* volume: ``volume_limit`` caps one direction's positions plus pending orders (10034).

``advance()`` walks the price path: pending orders fill at their price, and positions are
closed at their SL or TP when the price reaches it (deal reason SL/TP).
"""

from __future__ import annotations

import math
from typing import Any

from . import _constants as C
from . import _market as M
from ._structs import OrderCheckResult, OrderSendResult, TradeRequest
from ._terminal import FakeTerminal

PENDING_TYPES = {C.ORDER_TYPE_BUY_LIMIT, C.ORDER_TYPE_SELL_LIMIT, C.ORDER_TYPE_BUY_STOP,
                 C.ORDER_TYPE_SELL_STOP}
COMMENTS = {
    C.TRADE_RETCODE_DONE: "Request executed", C.TRADE_RETCODE_PLACED: "Order placed",
    C.TRADE_RETCODE_INVALID: "Invalid request", C.TRADE_RETCODE_INVALID_VOLUME: "Invalid volume",
    C.TRADE_RETCODE_INVALID_PRICE: "Invalid price", C.TRADE_RETCODE_MARKET_CLOSED: "Market closed",
    C.TRADE_RETCODE_NO_MONEY: "No money", C.TRADE_RETCODE_INVALID_FILL: "Unsupported filling mode",
    C.TRADE_RETCODE_POSITION_CLOSED: "Position doesn't exist",
    C.TRADE_RETCODE_INVALID_CLOSE_VOLUME: "Invalid close volume",
    C.TRADE_RETCODE_CLIENT_DISABLES_AT: "AutoTrading disabled by client",
    C.TRADE_RETCODE_REQUOTE: "Requote", C.TRADE_RETCODE_TOO_MANY_REQUESTS: "Too many requests",
    C.TRADE_RETCODE_INVALID_ORDER: "Invalid order", C.TRADE_RETCODE_TIMEOUT: "Request timeout",
    C.TRADE_RETCODE_CONNECTION: "No connection with the trade server",
    C.TRADE_RETCODE_INVALID_STOPS: "Invalid stops", C.TRADE_RETCODE_FROZEN: "Frozen",
    C.TRADE_RETCODE_NO_CHANGES: "No changes", C.TRADE_RETCODE_LIMIT_VOLUME: "Volume limit",
}


def _request_tuple(req: dict[str, Any]) -> TradeRequest:
    return TradeRequest(**{f: req.get(f, "" if f in ("symbol", "comment") else 0)
                           for f in TradeRequest._fields})


class TradingTerminal(FakeTerminal):
    # ------------------------------------------------------------------ validation
    def _fill_ok(self, spec: M.SymbolSpec, filling: int, pending: bool) -> bool:
        if filling == C.ORDER_FILLING_FOK:
            return bool(spec.filling_mode & 1)
        if filling == C.ORDER_FILLING_IOC:
            return bool(spec.filling_mode & 2)
        if filling == C.ORDER_FILLING_RETURN:
            return spec.trade_exemode in (C.SYMBOL_TRADE_EXECUTION_MARKET,
                                          C.SYMBOL_TRADE_EXECUTION_EXCHANGE)
        return False

    @staticmethod
    def _stops_ok(spec: M.SymbolSpec, buy: bool, ref: float, sl: float, tp: float) -> bool:
        """SL/TP against ``ref`` (the closing price, or a pending order's own price)."""
        dist = spec.stops_level * spec.point - 1e-9
        if sl and not ((ref - sl >= dist and sl < ref) if buy else (sl - ref >= dist
                                                                       and sl > ref)):
            return False
        return not (tp and not ((tp - ref >= dist and tp > ref) if buy else (ref - tp >= dist
                                                                              and tp < ref)))

    def _direction_volume(self, symbol: str, buy: bool) -> float:
        pos = sum(p["volume"] for p in self.positions.values()
                  if p["symbol"] == symbol and (p["type"] == C.POSITION_TYPE_BUY) == buy)
        pend = sum(o["volume_current"] for o in self.orders.values()
                   if o["symbol"] == symbol and (o["type"] in (0, 2, 4)) == buy)
        return pos + pend

    def _check_sltp(self, req: dict[str, Any]) -> int:
        pos = self.positions.get(req.get("position", 0))
        if pos is None or pos["symbol"] != req.get("symbol", pos["symbol"]):
            return C.TRADE_RETCODE_POSITION_CLOSED
        spec = self.symbols[pos["symbol"]]
        buy = pos["type"] == C.POSITION_TYPE_BUY
        bid, ask = M.bid_ask(spec, self.now_s)
        ref = bid if buy else ask
        freeze = spec.freeze_level * spec.point
        for old in (pos["sl"], pos["tp"]):
            if old and freeze and abs(ref - old) < freeze:
                return C.TRADE_RETCODE_FROZEN
        sl, tp = float(req.get("sl", 0.0) or 0.0), float(req.get("tp", 0.0) or 0.0)
        if (sl, tp) == (pos["sl"], pos["tp"]):
            return C.TRADE_RETCODE_NO_CHANGES
        return 0 if self._stops_ok(spec, buy, ref, sl, tp) else C.TRADE_RETCODE_INVALID_STOPS

    def _check(self, req: dict[str, Any]) -> tuple[int, float]:
        """(retcode, margin needed). Retcode 0 means the request would be accepted."""
        action = req.get("action")
        if action == C.TRADE_ACTION_REMOVE:
            return (0 if req.get("order") in self.orders else C.TRADE_RETCODE_INVALID), 0.0
        if action == C.TRADE_ACTION_SLTP:
            return self._check_sltp(req), 0.0
        if action not in (C.TRADE_ACTION_DEAL, C.TRADE_ACTION_PENDING):
            return C.TRADE_RETCODE_INVALID, 0.0
        spec = self.symbols.get(req.get("symbol", ""))
        otype = req.get("type")
        pending = action == C.TRADE_ACTION_PENDING
        if spec is None or otype not in ((PENDING_TYPES) if pending else (0, 1)):
            return C.TRADE_RETCODE_INVALID, 0.0
        vol = req.get("volume", 0.0)
        steps = vol / spec.volume_step
        if not (spec.volume_min - 1e-9 <= vol <= spec.volume_max + 1e-9) or abs(
                steps - round(steps)) > 1e-6:
            return C.TRADE_RETCODE_INVALID_VOLUME, 0.0
        if not self._fill_ok(spec, req.get("type_filling", C.ORDER_FILLING_FOK), pending):
            return C.TRADE_RETCODE_INVALID_FILL, 0.0
        if not self.algo_trading:
            return C.TRADE_RETCODE_CLIENT_DISABLES_AT, 0.0
        if not M.is_open(self.now_s):
            return C.TRADE_RETCODE_MARKET_CLOSED, 0.0
        bid, ask = M.bid_ask(spec, self.now_s)
        buy = otype in (0, 2, 4)
        sl, tp = float(req.get("sl", 0.0) or 0.0), float(req.get("tp", 0.0) or 0.0)
        if pending:
            price = req.get("price", 0.0)
            dist = spec.stops_level * spec.point - 1e-9
            ok = {C.ORDER_TYPE_BUY_LIMIT: ask - price >= dist and price < ask,
                  C.ORDER_TYPE_SELL_LIMIT: price - bid >= dist and price > bid,
                  C.ORDER_TYPE_BUY_STOP: price - ask >= dist and price > ask,
                  C.ORDER_TYPE_SELL_STOP: bid - price >= dist and price < bid}
            if not (ok[otype] and price > 0):
                return C.TRADE_RETCODE_INVALID_PRICE, 0.0
            if not self._stops_ok(spec, buy, price, sl, tp):
                return C.TRADE_RETCODE_INVALID_STOPS, 0.0
        elif not self._stops_ok(spec, buy, bid if buy else ask, sl, tp):
            return C.TRADE_RETCODE_INVALID_STOPS, 0.0
        if spec.volume_limit and not req.get("position") and (
                self._direction_volume(spec.name, buy) + vol > spec.volume_limit + 1e-9):
            return C.TRADE_RETCODE_LIMIT_VOLUME, 0.0
        if pending:
            return 0, 0.0
        pos_ticket = req.get("position", 0)
        if pos_ticket:
            pos = self.positions.get(pos_ticket)
            if pos is None or pos["symbol"] != spec.name or pos["type"] == otype:
                return C.TRADE_RETCODE_POSITION_CLOSED, 0.0
            if vol > pos["volume"] + 1e-9:
                return C.TRADE_RETCODE_INVALID_CLOSE_VOLUME, 0.0
            return 0, 0.0
        margin = self.margin_for(spec.name, vol, ask if otype == 0 else bid)
        free = self.balance + self.unrealized() - self.used_margin()
        return (C.TRADE_RETCODE_NO_MONEY if margin > free else 0), margin

    # ------------------------------------------------------------------ API
    def order_calc_margin(self, action: int, symbol: str, volume: float,
                          price: float) -> float | None:
        if not self._enter("order_calc_margin"):
            return None
        return round(self.margin_for(symbol, volume, price), 2)

    def order_calc_profit(self, action: int, symbol: str, volume: float, price_open: float,
                          price_close: float) -> float | None:
        if not self._enter("order_calc_profit"):
            return None
        spec = self.symbols[symbol]
        sign = 1 if action == C.ORDER_TYPE_BUY else -1
        raw = (price_close - price_open) * sign * volume * spec.contract_size
        return round(self.to_usd(spec, raw, price_close), 2)

    def order_check(self, request: dict[str, Any]) -> OrderCheckResult | None:
        if not self._enter("order_check"):
            return None
        if not isinstance(request, dict):
            self._fail(C.RES_E_INVALID_PARAMS, 'Invalid "request" argument')
            return None
        code, margin = self._check(request)
        equity = self.balance + self.unrealized()
        used = self.used_margin() + margin
        return OrderCheckResult(
            code, round(self.balance, 2), round(equity, 2), round(self.unrealized(), 2),
            round(used, 2), round(equity - used, 2), round(equity / used * 100, 2) if used else 0.0,
            "Done" if code == 0 else COMMENTS.get(code, "Error"), _request_tuple(request))

    def order_send(self, request: dict[str, Any]) -> OrderSendResult | None:
        if not self._enter("order_send"):
            return None
        if not isinstance(request, dict):
            self._fail(C.RES_E_INVALID_PARAMS, 'Invalid "request" argument')
            return None
        spec = self.symbols.get(request.get("symbol", ""))
        bid, ask = M.bid_ask(spec, self.now_s) if spec else (0.0, 0.0)

        def result(code: int, deal: int = 0, order: int = 0, volume: float = 0.0,
                   price: float = 0.0) -> OrderSendResult:
            return OrderSendResult(code, deal, order, volume, price, bid, ask,
                                   COMMENTS.get(code, "Error"), len(self.calls), 0,
                                   _request_tuple(request))

        if self.retcodes_next:
            return result(self.retcodes_next.pop(0))
        code, _ = self._check(request)
        if code:
            return result(code)
        action = request["action"]
        if action == C.TRADE_ACTION_SLTP:
            pos = self.positions[request["position"]]
            pos.update(sl=float(request.get("sl", 0.0) or 0.0),
                       tp=float(request.get("tp", 0.0) or 0.0), time_update=self.now_s)
            return result(C.TRADE_RETCODE_DONE)
        if action == C.TRADE_ACTION_REMOVE:
            o = self.orders.pop(request["order"])
            o.update(state=C.ORDER_STATE_CANCELED, time_done=self.now_s,
                     time_done_msc=self.now_utc_ms + self.offset_s * 1000)
            self.history_orders[o["ticket"]] = o
            return result(C.TRADE_RETCODE_DONE, order=o["ticket"])
        order = self._new_order(request, spec)
        if action == C.TRADE_ACTION_PENDING:
            self.orders[order["ticket"]] = order
            return result(C.TRADE_RETCODE_PLACED, order=order["ticket"],
                          volume=request["volume"], price=request["price"])
        price = ask if request["type"] == C.ORDER_TYPE_BUY else bid
        deal = self._execute(order, price, request.get("position", 0))
        return result(C.TRADE_RETCODE_DONE, deal=deal["ticket"], order=order["ticket"],
                      volume=request["volume"], price=price)

    def advance(self, seconds: float, step_s: int = 10) -> None:
        """Move time on along the price path: pending orders whose price was reached fill at
        that price; positions whose SL or TP was reached close there."""
        end = self.now_utc_ms + int(seconds * 1000)
        while self.now_utc_ms < end:
            self.now_utc_ms = min(end, self.now_utc_ms + step_s * 1000)
            if not M.is_open(self.now_s):
                continue
            self._trigger_pending()
            self._trigger_stops()

    def _trigger_pending(self) -> None:
        for ticket, o in list(self.orders.items()):
            bid, ask = M.bid_ask(self.symbols[o["symbol"]], self.now_s)
            hit = {C.ORDER_TYPE_BUY_LIMIT: ask <= o["price_open"],
                   C.ORDER_TYPE_SELL_LIMIT: bid >= o["price_open"],
                   C.ORDER_TYPE_BUY_STOP: ask >= o["price_open"],
                   C.ORDER_TYPE_SELL_STOP: bid <= o["price_open"]}[o["type"]]
            if hit:
                del self.orders[ticket]
                self._execute(o, o["price_open"], 0)

    def _trigger_stops(self) -> None:
        for pid, p in list(self.positions.items()):
            bid, ask = M.bid_ask(self.symbols[p["symbol"]], self.now_s)
            buy = p["type"] == C.POSITION_TYPE_BUY
            px = bid if buy else ask
            reason = 0
            if p["sl"] and (px <= p["sl"] if buy else px >= p["sl"]):
                reason, level = C.DEAL_REASON_SL, p["sl"]
            elif p["tp"] and (px >= p["tp"] if buy else px <= p["tp"]):
                reason, level = C.DEAL_REASON_TP, p["tp"]
            if not reason:
                continue
            close = {"action": C.TRADE_ACTION_DEAL, "type": 1 if buy else 0,
                     "volume": p["volume"], "price": level, "magic": p["magic"],
                     "comment": f"[{'sl' if reason == C.DEAL_REASON_SL else 'tp'} {level}]"}
            order = self._new_order(close, self.symbols[p["symbol"]])
            order["reason"] = reason
            deal = self._execute(order, level, pid)
            deal["reason"] = reason

    # ------------------------------------------------------------------ execution
    def _new_order(self, req: dict[str, Any], spec: M.SymbolSpec) -> dict[str, Any]:
        ms = self.now_utc_ms + self.offset_s * 1000
        return {
            "ticket": self.ticket(), "time_setup": self.now_s, "time_setup_msc": ms,
            "time_done": 0, "time_done_msc": 0, "time_expiration": 0, "type": req["type"],
            "type_time": req.get("type_time", C.ORDER_TIME_GTC),
            "type_filling": req.get("type_filling", C.ORDER_FILLING_FOK),
            "state": C.ORDER_STATE_PLACED, "magic": req.get("magic", 0), "position_id": 0,
            "position_by_id": 0, "reason": C.DEAL_REASON_EXPERT,
            "volume_initial": req["volume"], "volume_current": req["volume"],
            "price_open": req.get("price", 0.0), "sl": req.get("sl", 0.0),
            "tp": req.get("tp", 0.0), "price_current": req.get("price", 0.0),
            "price_stoplimit": 0.0, "symbol": spec.name,
            "comment": str(req.get("comment", ""))[:31], "external_id": "",
        }

    def _execute(self, order: dict[str, Any], price: float, close_ticket: int) -> dict[str, Any]:
        spec = self.symbols[order["symbol"]]
        side = C.ORDER_TYPE_BUY if order["type"] in (0, 2, 4) else C.ORDER_TYPE_SELL
        vol = order["volume_initial"]
        ms = self.now_utc_ms + self.offset_s * 1000
        target = self.positions.get(close_ticket) if close_ticket else None
        if target is None and self.margin_mode != C.ACCOUNT_MARGIN_MODE_RETAIL_HEDGING:
            target = next((p for p in self.positions.values() if p["symbol"] == spec.name), None)
            if target is not None and target["type"] == side:
                target["price_open"] = round((target["price_open"] * target["volume"] + price * vol)
                                             / (target["volume"] + vol), spec.digits + 2)
                target["volume"] = round(target["volume"] + vol, 8)
                return self._deal(order, target["ticket"], side, C.DEAL_ENTRY_IN, vol, price,
                                  0.0, ms)
        if target is None:
            pid = order["ticket"]
            self.positions[pid] = {
                "ticket": pid, "time": self.now_s, "time_msc": ms, "time_update": self.now_s,
                "time_update_msc": ms, "type": side, "magic": order["magic"], "identifier": pid,
                "reason": C.POSITION_REASON_EXPERT, "volume": vol, "price_open": price,
                "sl": order["sl"], "tp": order["tp"], "price_current": price, "swap": 0.0,
                "profit": 0.0, "symbol": spec.name, "comment": order["comment"],
                "external_id": "",
            }
            return self._deal(order, pid, side, C.DEAL_ENTRY_IN, vol, price, 0.0, ms)
        closed = min(vol, target["volume"])
        sign = 1 if target["type"] == C.POSITION_TYPE_BUY else -1
        raw = (price - target["price_open"]) * sign * closed * spec.contract_size
        profit = round(self.to_usd(spec, raw, price), 2)
        target["volume"] = round(target["volume"] - closed, 8)
        pid = target["ticket"]
        entry = C.DEAL_ENTRY_OUT
        if target["volume"] <= 1e-9:
            del self.positions[pid]
        if vol - closed > 1e-9:  # netting reversal: the remainder opens the other way
            entry = C.DEAL_ENTRY_INOUT
            self.positions[pid] = {**target, "type": side, "volume": round(vol - closed, 8),
                                   "price_open": price}
        return self._deal(order, pid, side, entry, vol, price, profit, ms)

    def _deal(self, order: dict[str, Any], pid: int, side: int, entry: int, vol: float,
              price: float, profit: float, ms: int) -> dict[str, Any]:
        commission = -round(3.5 * vol, 2)
        self.balance += profit + commission
        order.update(state=C.ORDER_STATE_FILLED, time_done=self.now_s, time_done_msc=ms,
                     volume_current=0.0, price_current=price, position_id=pid)
        self.history_orders[order["ticket"]] = order
        deal = {
            "ticket": self.ticket(), "order": order["ticket"], "time": self.now_s,
            "time_msc": ms, "type": side, "entry": entry, "magic": order["magic"],
            "position_id": pid, "reason": C.DEAL_REASON_EXPERT, "volume": vol,
            "price": price, "commission": commission, "swap": 0.0, "profit": profit,
            "fee": 0.0, "symbol": order["symbol"], "comment": order["comment"],
            "external_id": "",
        }
        self.deals.append(deal)
        assert math.isfinite(self.balance)
        return deal
