"""A faithful local fake of BingX's VST swap REST API, driven by the real ccxt client.

It serves the paths, JSON envelopes and shapes that ``ccxt.async_support.bingx`` reads
(see INTEGRATIONS.md §C.4), checks the ``X-BX-APIKEY`` header and the HMAC-SHA256 query
signature the way BingX does, and runs a tiny one-way (netting) matching engine so that
orders, positions and fills stay consistent. Failure injection (``inject``) reproduces
HTTP 429, slow answers, non-JSON bodies, auth failures and "system busy".

Run it inside a test with ``async with FakeBingx() as fake:`` and point ccxt at
``fake.base_url`` (``http://127.0.0.1:<port>/openApi``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

MINUTE = 60_000
INTERVALS = {
    "1m": MINUTE, "3m": 3 * MINUTE, "5m": 5 * MINUTE, "15m": 15 * MINUTE, "30m": 30 * MINUTE,
    "1h": 60 * MINUTE, "2h": 120 * MINUTE, "4h": 240 * MINUTE, "6h": 360 * MINUTE,
    "12h": 720 * MINUTE, "1d": 1440 * MINUTE,
}
#: 2026-01-05 12:00:30 UTC: 30 s into a minute, so the newest 1m kline is still forming.
DEFAULT_NOW_MS = 1_767_614_430_000
BEIJING = timezone(timedelta(hours=8))


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


@dataclass
class Injection:
    path: str
    kind: str
    times: int


@dataclass
class FakeBingx:
    """State + HTTP server. ``now_ms`` is the venue clock; tests move it by hand."""

    api_key: str = "fake-key"
    secret: str = "fake-secret"
    now_ms: int = DEFAULT_NOW_MS
    asset: str = "VST"
    balance: float = 100_000.0
    leverage: float = 10.0
    fee_rate: float = 0.0005
    slow_seconds: float = 2.0
    markets: dict[str, Market] = field(default_factory=lambda: {
        "BTC-USDT": Market("BTC-USDT", 60_000.0, 0.1, 0.0001, 0.0001),
        "ETH-USDT": Market("ETH-USDT", 3_000.0, 0.01, 0.01, 0.01),
    })
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    orders: dict[int, FakeOrder] = field(default_factory=dict)
    positions: dict[str, FakePosition] = field(default_factory=dict)
    fills: list[dict[str, Any]] = field(default_factory=list)
    injections: list[Injection] = field(default_factory=list)
    _next_id: int = 1_900_000_000_000_000_001
    _runner: web.AppRunner | None = None
    port: int = 0

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> FakeBingx:
        app = web.Application()
        app.router.add_route("*", "/openApi/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBingx:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/openApi"

    def inject(self, path: str, kind: str, times: int = 1) -> None:
        """Make the next ``times`` requests whose path ends with ``path`` fail as ``kind``.

        Kinds: http429, http503, slow, malformed, auth, busy, insufficient, badsymbol.
        """
        self.injections.append(Injection(path, kind, times))

    def paths(self) -> list[str]:
        return [p for _, p, _ in self.requests]

    # ------------------------------------------------------------------ price model
    def price_at(self, symbol: str, ts_ms: int) -> float:
        m = self.markets[symbol]
        k = ts_ms / MINUTE
        p = m.base_price * (1 + 0.01 * math.sin(k / 37.0) + 0.002 * math.sin(k / 5.0))
        return round(round(p / m.tick) * m.tick, 10)

    def _kline(self, symbol: str, open_ms: int, length: int) -> dict[str, Any]:
        end = min(open_ms + length, self.now_ms + 1)
        step = max(MINUTE // 4, length // 8)
        pts = [self.price_at(symbol, t) for t in range(open_ms, end, step)]
        pts.append(self.price_at(symbol, end - 1))
        vol = 1.0 + (open_ms // MINUTE) % 7
        return {
            "open": f"{pts[0]}", "close": f"{pts[-1]}", "high": f"{max(pts)}",
            "low": f"{min(pts)}", "volume": f"{vol}", "time": open_ms,
        }

    def quote(self, symbol: str) -> tuple[float, float]:
        m = self.markets[symbol]
        mid = self.price_at(symbol, self.now_ms)
        return round(mid - 5 * m.tick, 10), round(mid + 5 * m.tick, 10)

    # ------------------------------------------------------------------ HTTP plumbing
    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        q = dict(parse_qsl(request.query_string, keep_blank_values=True))
        self.requests.append((request.method, path, q))
        injected = await self._injected(path)
        if injected is not None:
            return injected
        route = ROUTES.get((request.method, path))
        if route is None:
            return web.Response(status=404, text="404 page not found")
        handler, private = route
        if private:
            denied = self._check_auth(request)
            if denied is not None:
                return denied
        try:
            data = handler(self, q)
        except ApiError as e:
            return _envelope(None, code=e.code, msg=e.msg)
        return _envelope(data)

    async def _injected(self, path: str) -> web.StreamResponse | None:
        for inj in self.injections:
            if inj.times > 0 and path.endswith(inj.path):
                inj.times -= 1
                kind = inj.kind
                if kind == "http429":
                    return web.Response(status=429, text="Too Many Requests")
                if kind == "http503":
                    return web.Response(status=503, text="Service Unavailable")
                if kind == "slow":
                    await asyncio.sleep(self.slow_seconds)
                    return _envelope({})
                if kind == "malformed":
                    return web.Response(status=200, text='{"code":0,"data":[{"open":"1',
                                        content_type="application/json")
                if kind == "auth":
                    return _envelope(None, code=100413, msg="Incorrect apiKey, please check")
                if kind == "busy":
                    return _envelope(None, code=109500,
                                     msg="The current system is busy, please try again later")
                if kind == "insufficient":
                    return _envelope(None, code=101204, msg="Insufficient margin")
                if kind == "badsymbol":
                    return _envelope(None, code=109425, msg="NOPE-USDT not exist")
                raise ValueError(f"unknown injection kind {kind!r}")
        return None

    def _check_auth(self, request: web.Request) -> web.Response | None:
        if request.headers.get("X-BX-APIKEY") != self.api_key:
            return _envelope(None, code=100413, msg="Incorrect apiKey, please check your api key")
        raw, _, sig = request.query_string.rpartition("&signature=")
        pairs = parse_qsl(raw, keep_blank_values=True)
        payload = "&".join(f"{k}={v}" for k, v in pairs)
        want = hmac.new(self.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, sig):
            return _envelope(None, code=100001, msg="Signature verification failed")
        return None

    # ------------------------------------------------------------------ public endpoints
    def h_time(self, q: dict[str, str]) -> Any:
        return {"serverTime": self.now_ms}

    def h_contracts(self, q: dict[str, str]) -> Any:
        out = []
        for m in self.markets.values():
            out.append({
                "contractId": str(abs(hash(m.symbol)) % 1000), "symbol": m.symbol,
                "size": "0.0001", "quantityPrecision": _decimals(m.step),
                "pricePrecision": _decimals(m.tick), "feeRate": self.fee_rate,
                "makerFeeRate": 0.0002, "takerFeeRate": self.fee_rate,
                "tradeMinLimit": 0, "tradeMinQuantity": m.min_qty, "tradeMinUSDT": 2,
                "currency": "USDT", "asset": m.symbol.split("-")[0], "status": 1,
                "apiStateOpen": "true", "apiStateClose": "true", "ensureTrigger": True,
                "triggerFeeRate": "0.00020000", "brokerState": True, "launchTime": 1586275200000,
                "maintainTime": 0, "offTime": 0, "displayName": m.symbol,
            })
        return out

    def _market(self, q: dict[str, str]) -> Market:
        sym = q.get("symbol", "")
        if sym not in self.markets:
            raise ApiError(109425, f"{sym} not exist, please verify it")
        return self.markets[sym]

    def h_klines(self, q: dict[str, str]) -> Any:
        m = self._market(q)
        length = INTERVALS.get(q.get("interval", ""))
        if length is None:
            raise ApiError(109400, "Invalid parameters, interval")
        limit = int(q.get("limit", "500"))
        if limit > 1440:
            raise ApiError(109400, "Invalid parameters, limit must be <= 1440")
        last_open = self.now_ms - self.now_ms % length
        if "startTime" in q:
            start = int(q["startTime"])
            first = start + (-start) % length
            opens = [t for t in range(first, last_open + 1, length)][:limit]
        else:
            opens = [last_open - i * length for i in range(limit)][::-1]
        if "endTime" in q:
            opens = [t for t in opens if t <= int(q["endTime"])]
        return [self._kline(m.symbol, t, length) for t in reversed(opens)]  # newest first

    def h_ticker(self, q: dict[str, str]) -> Any:
        m = self._market(q)
        bid, ask = self.quote(m.symbol)
        last = self.price_at(m.symbol, self.now_ms)
        day_open = self.price_at(m.symbol, self.now_ms - 86_400_000)
        return {
            "symbol": m.symbol, "priceChange": f"{last - day_open:.4f}",
            "priceChangePercent": f"{(last / day_open - 1) * 100:.3f}", "lastPrice": f"{last}",
            "lastQty": "0.01", "highPrice": f"{last * 1.01}", "lowPrice": f"{last * 0.99}",
            "volume": "1234.5", "quoteVolume": f"{1234.5 * last:.2f}", "openPrice": f"{day_open}",
            "openTime": self.now_ms - 86_400_000, "closeTime": self.now_ms,
            "bidPrice": f"{bid}", "bidQty": "3.5", "askPrice": f"{ask}", "askQty": "2.5",
        }

    def h_depth(self, q: dict[str, str]) -> Any:
        m = self._market(q)
        limit = int(q.get("limit", "20"))
        bid, ask = self.quote(m.symbol)
        bids = [[f"{bid - i * m.tick:.10g}", f"{1.5 + i:.4f}"] for i in range(limit)]
        asks = [[f"{ask + i * m.tick:.10g}", f"{1.0 + i:.4f}"] for i in range(limit)]
        return {"T": self.now_ms, "bids": bids, "asks": asks}

    def h_premium(self, q: dict[str, str]) -> Any:
        m = self._market(q)
        eight_h = 8 * 3_600_000
        mark = self.price_at(m.symbol, self.now_ms)
        return {
            "symbol": m.symbol, "markPrice": f"{mark}", "indexPrice": f"{mark * 0.9999:.2f}",
            "lastFundingRate": "0.00010000",
            "nextFundingTime": self.now_ms - self.now_ms % eight_h + eight_h,
        }

    # ------------------------------------------------------------------ private endpoints
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


class ApiError(Exception):
    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code, self.msg = code, msg


def _decimals(step: float) -> int:
    return max(0, -int(math.floor(math.log10(step) + 1e-9)))


def _envelope(data: Any, *, code: int = 0, msg: str = "") -> web.Response:
    body: dict[str, Any] = {"code": code, "msg": msg}
    if data is not None:
        body["data"] = data
    else:
        body["data"] = {}
    return web.Response(text=json.dumps(body), content_type="application/json")


ROUTES: dict[tuple[str, str], tuple[Any, bool]] = {
    ("GET", "/swap/v2/server/time"): (FakeBingx.h_time, False),
    ("GET", "/swap/v2/quote/contracts"): (FakeBingx.h_contracts, False),
    ("GET", "/swap/v3/quote/klines"): (FakeBingx.h_klines, False),
    ("GET", "/swap/v2/quote/ticker"): (FakeBingx.h_ticker, False),
    ("GET", "/swap/v2/quote/depth"): (FakeBingx.h_depth, False),
    ("GET", "/swap/v2/quote/premiumIndex"): (FakeBingx.h_premium, False),
    ("GET", "/swap/v3/user/balance"): (FakeBingx.h_balance, True),
    ("GET", "/swap/v2/user/positions"): (FakeBingx.h_positions, True),
    ("POST", "/swap/v2/trade/order"): (FakeBingx.h_create, True),
    ("GET", "/swap/v2/trade/order"): (FakeBingx.h_get_order, True),
    ("DELETE", "/swap/v2/trade/order"): (FakeBingx.h_cancel, True),
    ("GET", "/swap/v2/trade/openOrders"): (FakeBingx.h_open_orders, True),
    ("GET", "/swap/v2/trade/allFillOrders"): (FakeBingx.h_fills, True),
    ("POST", "/swap/v2/trade/leverage"): (FakeBingx.h_leverage, True),
}
