"""The signed (private) half of the fake BingX VST API: balance, positions, orders, fills.

Written from BingX's swap API documentation and checked against the requests and responses
ccxt records for BingX (``ts/src/test/static/{request,response}/bingx.json`` in ccxt's
repository) and against real rows quoted in public bug reports, not against our adapter:

* **Position mode.** ``GET/POST /swap/v1/positionSide/dual`` reads and sets one-way
  (``dualSidePosition=false``) or hedge mode. An order whose ``positionSide`` does not fit
  the mode is refused with code 109400 ("In the One-way mode, the 'PositionSide' field can
  only be set to BOTH." — the text BingX returns, ccxt issue #22237). BingX's default for a
  missing ``positionSide`` is LONG, so a bare order fails in one-way mode too. The mode
  cannot change while a position or an order is open.
* **Conditional orders.** ``STOP_MARKET``/``TAKE_PROFIT_MARKET`` (and the limit ``STOP``/
  ``TAKE_PROFIT``) rest with their ``stopPrice`` and trigger on the price path: a sell stop
  when the price falls to it, a sell take when it rises to it (mirrored for buys). They then
  execute at the market. Reduce-only ones never open or grow a position.
* **Fill rows** (``allFillOrders``) carry **no** ``side``, and carry both ``filledTm`` and
  ``filledTime``. In real rows the two have the same wall-clock digits: ``filledTime`` with
  ``+0800`` is right, ``filledTm`` labels Beijing digits with ``Z`` (a row quoted in BingX's
  own PHP sample lies inside the request's ``startTs..endTs`` only when read as +0800).
* One-way positions net per symbol (``positionSide=BOTH``); hedge positions are kept per
  side (LONG and SHORT).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

BEIJING = timezone(timedelta(hours=8))
CONDITIONAL = ("STOP_MARKET", "TAKE_PROFIT_MARKET", "STOP", "TAKE_PROFIT")
ORDER_TYPES = ("MARKET", "LIMIT", *CONDITIONAL)
TRIGGER_STEP_MS = 15_000  # how finely the price path is walked for conditional orders
ONE_WAY_MSG = "In the One-way mode, the 'PositionSide' field can only be set to BOTH."
HEDGE_MSG = "In the Hedge mode, the 'PositionSide' field can only be set to LONG or SHORT."


class ApiError(Exception):
    """Becomes ``{"code": code, "msg": msg}`` in the response envelope."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code, self.msg = code, msg


@dataclass
class Market:
    symbol: str  # BingX id, e.g. "BTC-USDT"
    base_price: float
    tick: float
    step: float
    min_qty: float


@dataclass
class FakeOrder:
    order_id: int
    client_id: str
    symbol: str
    side: str
    type: str
    qty: float
    price: float
    status: str
    time: int
    executed: float = 0.0
    avg_price: float = 0.0
    reduce_only: bool = False
    position_side: str = "BOTH"
    stop_price: float = 0.0
    update_time: int = 0


@dataclass
class FakePosition:
    qty: float = 0.0  # signed
    avg: float = 0.0
    realised: float = 0.0
    position_id: int = 0
    update_time: int = 0


def bingx_times(ts_ms: int) -> tuple[str, str]:
    """``(filledTm, filledTime)`` as real rows carry them for the instant ``ts_ms``."""
    bj = datetime.fromtimestamp(ts_ms / 1000, tz=UTC).astimezone(BEIJING)
    wall = bj.strftime("%Y-%m-%dT%H:%M:%S")
    return wall + "Z", f"{wall}.{ts_ms % 1000:03d}+0800"


class PrivateEndpoints:
    """Mixed into ``FakeBingx``, whose fields (balance, orders, positions, ...) it uses."""

    # attributes provided by FakeBingx
    now_ms: int
    asset: str
    balance: float
    leverage: float
    fee_rate: float
    hedge_mode: bool
    markets: dict[str, Market]
    orders: dict[int, FakeOrder]
    positions: dict[tuple[str, str], FakePosition]
    fills: list[dict[str, Any]]
    _next_id: int
    _trigger_ms: int

    if TYPE_CHECKING:  # defined by FakeBingx (public half: price model and symbol lookup)

        def price_at(self, symbol: str, ts_ms: int) -> float: ...

        def quote(self, symbol: str) -> tuple[float, float]: ...

        def quote_at(self, symbol: str, ts_ms: int) -> tuple[float, float]: ...

        def _market(self, q: dict[str, str]) -> Market: ...

    # ------------------------------------------------------------------ account
    def h_balance(self, q: dict[str, str]) -> Any:
        upnl = sum(self._upnl(k[0], p) for k, p in self.positions.items())
        used = sum(abs(p.qty) * p.avg / self.leverage for p in self.positions.values())
        equity = self.balance + upnl
        return [{
            "userId": "116***295", "asset": self.asset, "balance": f"{self.balance:.4f}",
            "equity": f"{equity:.4f}", "unrealizedProfit": f"{upnl:.4f}",
            "realisedProfit": f"{sum(p.realised for p in self.positions.values()):.4f}",
            "availableMargin": f"{equity - used:.4f}", "usedMargin": f"{used:.4f}",
            "freezedMargin": "0.0000", "shortUid": "12345678",
        }]

    def _upnl(self, symbol: str, p: FakePosition) -> float:
        return (self.price_at(symbol, self.now_ms) - p.avg) * p.qty

    def h_positions(self, q: dict[str, str]) -> Any:
        out = []
        for (sym, pside), p in self.positions.items():
            if p.qty == 0 or ("symbol" in q and q["symbol"] != sym):
                continue
            mark = self.price_at(sym, self.now_ms)
            if pside == "BOTH":  # one-way rows say which way the net position points
                pside = "LONG" if p.qty > 0 else "SHORT"
            out.append({
                "positionId": str(p.position_id), "symbol": sym, "currency": "USDT",
                "positionAmt": f"{abs(p.qty):.10g}", "availableAmt": f"{abs(p.qty):.10g}",
                "positionSide": pside, "isolated": False,
                "avgPrice": f"{p.avg:.10g}", "initialMargin": f"{abs(p.qty) * p.avg / 10:.4f}",
                "margin": f"{abs(p.qty) * p.avg / 10:.4f}", "leverage": int(self.leverage),
                "unrealizedProfit": f"{self._upnl(sym, p):.4f}",
                "realisedProfit": f"{p.realised:.4f}", "liquidationPrice": 0,
                "markPrice": f"{mark}", "positionValue": f"{abs(p.qty) * mark:.4f}",
                "updateTime": p.update_time,
            })
        return out

    def h_get_mode(self, q: dict[str, str]) -> Any:
        return {"dualSidePosition": "true" if self.hedge_mode else "false"}

    def h_set_mode(self, q: dict[str, str]) -> Any:
        want = q.get("dualSidePosition")
        if want not in ("true", "false"):
            raise ApiError(109400, "Invalid parameters, dualSidePosition must be true or false")
        busy = any(p.qty for p in self.positions.values()) or any(
            o.status == "NEW" for o in self.orders.values())
        if busy and (want == "true") != self.hedge_mode:
            raise ApiError(109400, "There are positions or open orders, the position mode "
                           "cannot be changed")
        self.hedge_mode = want == "true"
        return {"dualSidePosition": want}

    # ------------------------------------------------------------------ orders
    def _order_json(self, o: FakeOrder) -> dict[str, Any]:
        return {
            "symbol": o.symbol, "orderId": o.order_id, "side": o.side,
            "positionSide": o.position_side, "type": o.type, "origQty": f"{o.qty:.10g}",
            "price": f"{o.price:.10g}", "executedQty": f"{o.executed:.10g}",
            "avgPrice": f"{o.avg_price:.10g}",
            "cumQuote": f"{o.executed * o.avg_price:.4f}",
            "stopPrice": f"{o.stop_price:.10g}" if o.stop_price else "", "profit": "0.0000",
            "commission": f"{-o.executed * o.avg_price * self.fee_rate:.6f}",
            "status": o.status, "time": o.time, "updateTime": o.update_time or o.time,
            "clientOrderId": o.client_id, "leverage": f"{int(self.leverage)}X",
            "workingType": "MARK_PRICE", "onlyOnePosition": False, "reduceOnly": o.reduce_only,
        }

    def _position_side(self, q: dict[str, str]) -> str:
        pside = q.get("positionSide", "LONG")  # BingX's documented default
        if self.hedge_mode and pside not in ("LONG", "SHORT"):
            raise ApiError(109400, HEDGE_MSG)
        if not self.hedge_mode and pside != "BOTH":
            raise ApiError(109400, ONE_WAY_MSG)
        return pside

    def _closing(self, side: str, pside: str, reduce_only: bool) -> bool:
        if pside == "BOTH":
            return reduce_only
        return (side == "SELL") == (pside == "LONG")

    def h_create(self, q: dict[str, str]) -> Any:
        m = self._market(q)
        side, otype = q.get("side", ""), q.get("type", "")
        if side not in ("BUY", "SELL") or otype not in ORDER_TYPES:
            raise ApiError(109400, f"Invalid parameters, side={side} type={otype}")
        pside = self._position_side(q)
        qty = float(q.get("quantity", "0"))
        if qty < m.min_qty - 1e-12:
            raise ApiError(101400, f"The minimum order amount is {m.min_qty}.")
        cid = q.get("clientOrderID", "")
        if cid and any(o.client_id == cid for o in self.orders.values()):
            raise ApiError(101481, f"duplicate clientOrderID {cid}")
        stop = float(q.get("stopPrice", "0") or 0)
        if otype in CONDITIONAL and not stop > 0:
            raise ApiError(109400, f"Invalid parameters, stopPrice is required for {otype}")
        reduce_only = q.get("reduceOnly", "false") == "true"
        closing = self._closing(side, pside, reduce_only)
        pos = self.positions.get((m.symbol, pside), FakePosition())
        sign = 1 if side == "BUY" else -1
        if closing and (pos.qty == 0 or pos.qty * sign > 0 or qty > abs(pos.qty) + 1e-12):
            raise ApiError(101205, "No position to close")
        bid, ask = self.quote(m.symbol)
        px = ask if side == "BUY" else bid
        opening = 0.0 if closing else (
            max(0.0, qty - abs(pos.qty)) if pos.qty * sign < 0 else qty)
        if otype not in CONDITIONAL and opening * px / self.leverage > self._available():
            raise ApiError(101204, "Insufficient margin")
        oid, self._next_id = self._next_id, self._next_id + 1
        limit = float(q.get("price", "0") or 0)
        order = FakeOrder(oid, cid, m.symbol, side, otype, qty, limit, "NEW", self.now_ms,
                          reduce_only=reduce_only, position_side=pside, stop_price=stop)
        self.orders[oid] = order
        marketable = (side == "BUY" and limit >= ask) or (side == "SELL" and limit <= bid)
        if otype == "MARKET" or (otype == "LIMIT" and marketable):
            self._fill(order, px, self.now_ms)
        return {"order": {"symbol": m.symbol, "orderId": oid, "side": side,
                          "positionSide": pside, "type": otype,
                          "clientOrderID": cid, "workingType": "MARK_PRICE"}}

    def _available(self) -> float:
        b = self.h_balance({})[0]
        return float(b["availableMargin"])

    def _fill(self, order: FakeOrder, px: float, ts: int) -> None:
        sign = 1 if order.side == "BUY" else -1
        pos = self.positions.setdefault((order.symbol, order.position_side), FakePosition())
        qty = order.qty
        if order.reduce_only or order.position_side != "BOTH" and self._closing(
                order.side, order.position_side, order.reduce_only):
            qty = min(qty, abs(pos.qty))
        if pos.qty == 0:
            pos.position_id = order.order_id + 7
        new_qty = round(pos.qty + sign * qty, 10)
        if pos.qty * sign >= 0:  # opening or adding
            pos.avg = (pos.avg * abs(pos.qty) + px * qty) / abs(new_qty)
        else:  # reducing, maybe flipping
            closed = min(qty, abs(pos.qty))
            pnl = (px - pos.avg) * closed * (1 if pos.qty > 0 else -1)
            pos.realised += pnl
            self.balance += pnl
            if new_qty * pos.qty < 0:
                pos.avg = px
        pos.qty = new_qty if abs(new_qty) > 1e-12 else 0.0
        pos.update_time = ts
        fee = qty * px * self.fee_rate
        self.balance -= fee
        order.executed, order.avg_price, order.status = qty, px, "FILLED"
        order.update_time = ts
        filled_tm, filled_time = bingx_times(ts)
        self.fills.append({  # the real row: no "side", both time fields
            "filledTm": filled_tm, "volume": f"{qty:.10g}", "price": f"{px:.10g}",
            "amount": f"{qty * px:.4f}", "commission": f"{-fee:.6f}",
            "currency": "USDT", "orderId": str(order.order_id), "liquidatedPrice": "",
            "liquidatedMarginRatio": "", "filledTime": filled_time,
            "clientOrderID": order.client_id, "symbol": order.symbol, "_ts": ts,
        })

    # ------------------------------------------------------------------ triggers
    def run_triggers(self) -> None:
        """Walk the price path since the last call and fire conditional orders it crossed."""
        start = self._trigger_ms
        if self.now_ms <= start:
            self._trigger_ms = self.now_ms
            return
        self._trigger_ms = self.now_ms
        waiting = [o for o in self.orders.values() if o.status == "NEW" and o.type in CONDITIONAL]
        if not waiting:
            return
        t = start
        while waiting and t < self.now_ms:
            t = min(t + TRIGGER_STEP_MS, self.now_ms)
            for o in list(waiting):
                p = self.price_at(o.symbol, t)
                stop_kind = o.type.startswith("STOP")
                falls = o.side == "SELL" if stop_kind else o.side == "BUY"
                if not (p <= o.stop_price if falls else p >= o.stop_price):
                    continue
                waiting.remove(o)
                pos = self.positions.get((o.symbol, o.position_side), FakePosition())
                sign = 1 if o.side == "BUY" else -1
                closing = self._closing(o.side, o.position_side, o.reduce_only)
                if closing and (pos.qty == 0 or pos.qty * sign > 0):
                    o.status, o.update_time = "CANCELLED", t  # nothing left to close
                    continue
                bid, ask = self.quote_at(o.symbol, t)
                self._fill(o, ask if o.side == "BUY" else bid, t)

    # ------------------------------------------------------------------ lookups
    def _find(self, q: dict[str, str]) -> FakeOrder:
        self._market(q)
        if q.get("orderId"):
            o = self.orders.get(int(q["orderId"]))
        else:
            cid = q.get("clientOrderID") or q.get("clientOrderId")
            o = next((x for x in self.orders.values() if cid and x.client_id == cid), None)
        if o is None or o.symbol != q.get("symbol"):
            raise ApiError(80016, "order not exist")
        return o

    def h_get_order(self, q: dict[str, str]) -> Any:
        return {"order": self._order_json(self._find(q))}

    def h_cancel(self, q: dict[str, str]) -> Any:
        o = self._find(q)
        if o.status != "NEW":
            raise ApiError(109414, f"order is already {o.status.lower()}, cannot cancel")
        o.status, o.update_time = "CANCELLED", self.now_ms
        return {"order": self._order_json(o)}

    def h_open_orders(self, q: dict[str, str]) -> Any:
        rows = [self._order_json(o) for o in self.orders.values()
                if o.status == "NEW" and q.get("symbol", o.symbol) == o.symbol]
        return {"orders": rows}

    def h_fills(self, q: dict[str, str]) -> Any:
        self._market(q)
        start, end = int(q.get("startTs", "0")), int(q.get("endTs", str(2**62)))
        if end - start > 7 * 86_400_000 + 1:
            raise ApiError(109400, "Invalid parameters, the query range must be within 7 days")
        rows = [{k: v for k, v in f.items() if not k.startswith("_")} for f in self.fills
                if f["symbol"] == q["symbol"] and start <= f["_ts"] <= end]
        return {"fill_orders": rows}

    def h_leverage(self, q: dict[str, str]) -> Any:
        side = q.get("side", "")
        if not self.hedge_mode and side != "BOTH":
            raise ApiError(109400, ONE_WAY_MSG)
        if self.hedge_mode and side not in ("LONG", "SHORT"):
            raise ApiError(109400, HEDGE_MSG)
        self.leverage = float(q.get("leverage", self.leverage))
        return {"leverage": int(self.leverage), "symbol": q.get("symbol")}
