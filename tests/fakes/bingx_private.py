"""The signed (private) half of the fake BingX VST API: balance, positions, orders, fills.

A tiny one-way (netting) matching engine: market orders fill at once at the touch, limit orders
fill when marketable and otherwise rest until canceled; every fill is recorded in BingX's
``allFillOrders`` shape (``filledTm`` in Beijing time, negative commission).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

BEIJING = timezone(timedelta(hours=8))


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


@dataclass
class FakePosition:
    qty: float = 0.0  # signed
    avg: float = 0.0
    realised: float = 0.0
    position_id: int = 0
    update_time: int = 0


class PrivateEndpoints:
    """Mixed into ``FakeBingx``, whose fields (balance, orders, positions, ...) it uses."""

    # attributes provided by FakeBingx
    now_ms: int
    asset: str
    balance: float
    leverage: float
    fee_rate: float
    markets: dict[str, Market]
    orders: dict[int, FakeOrder]
    positions: dict[str, FakePosition]
    fills: list[dict[str, Any]]
    _next_id: int

    if TYPE_CHECKING:  # defined by FakeBingx (public half: price model and symbol lookup)

        def price_at(self, symbol: str, ts_ms: int) -> float: ...

        def quote(self, symbol: str) -> tuple[float, float]: ...

        def _market(self, q: dict[str, str]) -> Market: ...

    def h_balance(self, q: dict[str, str]) -> Any:
        upnl = sum(self._upnl(s, p) for s, p in self.positions.items())
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
        for sym, p in self.positions.items():
            if p.qty == 0 or ("symbol" in q and q["symbol"] != sym):
                continue
            mark = self.price_at(sym, self.now_ms)
            out.append({
                "positionId": str(p.position_id), "symbol": sym, "currency": "USDT",
                "positionAmt": f"{abs(p.qty):.10g}", "availableAmt": f"{abs(p.qty):.10g}",
                "positionSide": "LONG" if p.qty > 0 else "SHORT", "isolated": False,
                "avgPrice": f"{p.avg:.10g}", "initialMargin": f"{abs(p.qty) * p.avg / 10:.4f}",
                "margin": f"{abs(p.qty) * p.avg / 10:.4f}", "leverage": int(self.leverage),
                "unrealizedProfit": f"{self._upnl(sym, p):.4f}",
                "realisedProfit": f"{p.realised:.4f}", "liquidationPrice": 0,
                "markPrice": f"{mark}", "positionValue": f"{abs(p.qty) * mark:.4f}",
                "updateTime": p.update_time,
            })
        return out

    def _order_json(self, o: FakeOrder) -> dict[str, Any]:
        return {
            "symbol": o.symbol, "orderId": o.order_id, "side": o.side, "positionSide": "BOTH",
            "type": o.type, "origQty": f"{o.qty:.10g}", "price": f"{o.price:.10g}",
            "executedQty": f"{o.executed:.10g}", "avgPrice": f"{o.avg_price:.10g}",
            "cumQuote": f"{o.executed * o.avg_price:.4f}", "stopPrice": "", "profit": "0.0000",
            "commission": f"{-o.executed * o.avg_price * self.fee_rate:.6f}",
            "status": o.status, "time": o.time, "updateTime": self.now_ms,
            "clientOrderId": o.client_id, "leverage": f"{int(self.leverage)}X",
            "workingType": "MARK_PRICE", "onlyOnePosition": False, "reduceOnly": o.reduce_only,
        }

    def h_create(self, q: dict[str, str]) -> Any:
        m = self._market(q)
        side, otype = q.get("side", ""), q.get("type", "")
        if side not in ("BUY", "SELL") or otype not in ("MARKET", "LIMIT"):
            raise ApiError(109400, f"Invalid parameters, side={side} type={otype}")
        qty = float(q.get("quantity", "0"))
        if qty < m.min_qty - 1e-12:
            raise ApiError(101400, f"The minimum order amount is {m.min_qty}.")
        cid = q.get("clientOrderID", "")
        if cid and any(o.client_id == cid for o in self.orders.values()):
            raise ApiError(101481, f"duplicate clientOrderID {cid}")
        reduce_only = q.get("reduceOnly", "false") == "true"
        pos = self.positions.get(m.symbol, FakePosition())
        sign = 1 if side == "BUY" else -1
        if reduce_only and (pos.qty == 0 or pos.qty * sign > 0 or qty > abs(pos.qty) + 1e-12):
            raise ApiError(101205, "No position to close")
        bid, ask = self.quote(m.symbol)
        px = ask if side == "BUY" else bid
        opening = max(0.0, qty - abs(pos.qty)) if pos.qty * sign < 0 else qty
        if not reduce_only and opening * px / self.leverage > self._available():
            raise ApiError(101204, "Insufficient margin")
        oid, self._next_id = self._next_id, self._next_id + 1
        limit = float(q.get("price", "0") or 0)
        order = FakeOrder(oid, cid, m.symbol, side, otype, qty, limit, "NEW", self.now_ms,
                          reduce_only=reduce_only)
        self.orders[oid] = order
        marketable = (side == "BUY" and limit >= ask) or (side == "SELL" and limit <= bid)
        if otype == "MARKET" or marketable:
            self._fill(order, px)
        return {"order": {"symbol": m.symbol, "orderId": oid, "side": side,
                          "positionSide": q.get("positionSide", "BOTH"), "type": otype,
                          "clientOrderID": cid, "workingType": "MARK_PRICE"}}

    def _available(self) -> float:
        b = self.h_balance({})[0]
        return float(b["availableMargin"])

    def _fill(self, order: FakeOrder, px: float) -> None:
        sign = 1 if order.side == "BUY" else -1
        pos = self.positions.setdefault(order.symbol, FakePosition())
        if pos.qty == 0:
            pos.position_id = order.order_id + 7
        new_qty = round(pos.qty + sign * order.qty, 10)
        if pos.qty * sign >= 0:  # opening or adding
            pos.avg = (pos.avg * abs(pos.qty) + px * order.qty) / abs(new_qty)
        else:  # reducing, maybe flipping
            closed = min(order.qty, abs(pos.qty))
            pnl = (px - pos.avg) * closed * (1 if pos.qty > 0 else -1)
            pos.realised += pnl
            self.balance += pnl
            if new_qty * pos.qty < 0:
                pos.avg = px
        pos.qty = new_qty if abs(new_qty) > 1e-12 else 0.0
        pos.update_time = self.now_ms
        fee = order.qty * px * self.fee_rate
        self.balance -= fee
        order.executed, order.avg_price, order.status = order.qty, px, "FILLED"
        filled_tm = datetime.fromtimestamp(self.now_ms / 1000, tz=UTC).astimezone(BEIJING)
        self.fills.append({
            "volume": f"{order.qty:.10g}", "price": f"{px:.10g}",
            "amount": f"{order.qty * px:.4f}", "commission": f"{-fee:.6f}",
            "currency": "USDT", "orderId": str(order.order_id), "liquidatedPrice": "0.00",
            "liquidatedMarginRatio": "0.00",
            "filledTm": filled_tm.isoformat(timespec="milliseconds").replace("+08:00", "+0800"),
            "symbol": order.symbol, "side": order.side, "_ts": self.now_ms,
        })

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
        o.status = "CANCELLED"
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
        self.leverage = float(q.get("leverage", self.leverage))
        return {"leverage": int(self.leverage), "symbol": q.get("symbol")}


