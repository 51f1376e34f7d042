"""A faithful local fake of BingX's VST swap REST API, driven by the real ccxt client.

It serves the paths, JSON envelopes and shapes BingX documents (and ccxt's recorded BingX
requests/responses show), and refuses what BingX refuses: a wrong ``X-BX-APIKEY`` (100413),
a bad HMAC-SHA256 signature of the query string as sent (100001), a missing or stale
``timestamp`` outside ``recvWindow`` (100421, "Null timestamp or timestamp mismatch", judged
against the real wall clock plus ``clock_skew_ms``, since ccxt signs with the real time),
and a ``positionSide`` that does not fit the account's position mode (109400). A small
matching engine keeps orders, conditional orders, positions and fills consistent (see
``bingx_private``). Failure injection (``inject``) reproduces HTTP 429, code 100410 (BingX's
rate-limit code), slow answers, non-JSON bodies, auth failures and "system busy".

Run it inside a test with ``async with FakeBingx() as fake:`` and point ccxt at
``fake.base_url`` (``http://127.0.0.1:<port>/openApi``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import math
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from fakes.bingx_private import (
    ApiError,
    FakeOrder,
    FakePosition,
    Market,
    PrivateEndpoints,
)

MINUTE = 60_000
INTERVALS = {
    "1m": MINUTE, "3m": 3 * MINUTE, "5m": 5 * MINUTE, "15m": 15 * MINUTE, "30m": 30 * MINUTE,
    "1h": 60 * MINUTE, "2h": 120 * MINUTE, "4h": 240 * MINUTE, "6h": 360 * MINUTE,
    "12h": 720 * MINUTE, "1d": 1440 * MINUTE,
}
#: 2026-01-05 12:00:30 UTC: 30 s into a minute, so the newest 1m kline is still forming.
DEFAULT_NOW_MS = 1_767_614_430_000


@dataclass
class Injection:
    path: str
    kind: str
    times: int


@dataclass
class FakeBingx(PrivateEndpoints):
    """State + HTTP server. ``now_ms`` is the venue clock; tests move it by hand."""

    api_key: str = "fake-key"
    secret: str = "fake-secret"
    now_ms: int = DEFAULT_NOW_MS
    asset: str = "VST"
    balance: float = 100_000.0
    leverage: float = 10.0
    fee_rate: float = 0.0005
    hedge_mode: bool = False  # dualSidePosition
    clock_skew_ms: int = 0  # the venue's clock minus ours (for recvWindow checks)
    slow_seconds: float = 2.0
    markets: dict[str, Market] = field(default_factory=lambda: {
        "BTC-USDT": Market("BTC-USDT", 60_000.0, 0.1, 0.0001, 0.0001),
        "ETH-USDT": Market("ETH-USDT", 3_000.0, 0.01, 0.01, 0.01),
    })
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    orders: dict[int, FakeOrder] = field(default_factory=dict)
    positions: dict[tuple[str, str], FakePosition] = field(default_factory=dict)
    fills: list[dict[str, Any]] = field(default_factory=list)
    injections: list[Injection] = field(default_factory=list)
    kline_gaps: list[tuple[int, int]] = field(default_factory=list)  # [start, end) ms, no bars
    _next_id: int = 1_900_000_000_000_000_001
    _runner: web.AppRunner | None = None
    port: int = 0
    _trigger_ms: int = -1

    def __post_init__(self) -> None:
        self._trigger_ms = self.now_ms

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

        Kinds: http429, ratelimit (code 100410), http503, slow, malformed, auth, busy,
        insufficient, badsymbol, echokey (an error whose text echoes the API key).
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
        return self.quote_at(symbol, self.now_ms)

    def quote_at(self, symbol: str, ts_ms: int) -> tuple[float, float]:
        m = self.markets[symbol]
        mid = self.price_at(symbol, ts_ms)
        return round(mid - 5 * m.tick, 10), round(mid + 5 * m.tick, 10)

    def position(self, symbol: str) -> float:
        """Net signed position of a BingX symbol over both sides (for assertions)."""
        return sum(p.qty for (s, _), p in self.positions.items() if s == symbol)

    # ------------------------------------------------------------------ HTTP plumbing
    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        q = dict(parse_qsl(request.query_string, keep_blank_values=True))
        self.requests.append((request.method, path, q))
        injected = await self._injected(path)
        if injected is not None:
            return injected
        self.run_triggers()
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
                if kind == "ratelimit":
                    return _envelope(None, code=100410, msg="rate limited")
                if kind == "echokey":
                    return _envelope(None, code=100413, msg=f"Incorrect apiKey {self.api_key}"
                                     f" (secret {self.secret})")
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
        q = dict(pairs)
        server = int(time.time() * 1000) + self.clock_skew_ms
        try:
            ts = int(q["timestamp"])
            window = int(q.get("recvWindow", "5000"))
        except (KeyError, ValueError):
            ts, window = -1, 0
        if ts < 0 or ts >= server + 1000 or server - ts > window:
            return _envelope(None, code=100421, msg="Null timestamp or timestamp mismatch")
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
        opens = [t for t in opens if not any(a <= t < b for a, b in self.kline_gaps)]
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

    def funding_at(self, symbol: str, ts_ms: int) -> float:
        """The settled rate at one 8 h settlement: a slow cycle with a burst every 5 days."""
        k = ts_ms // (8 * 3_600_000)
        burst = 0.0009 if k % 15 == 0 else 0.0
        return round(0.0001 + 0.00015 * math.sin(k / 4.0 + len(symbol)) + burst, 8)

    def h_funding(self, q: dict[str, str]) -> Any:
        """GET /openApi/swap/v2/quote/fundingRate: settled rates, newest first, as BingX
        answers (limit default 100, at most 1000; startTime/endTime in ms)."""
        m = self._market(q)
        limit = int(q.get("limit", "100"))
        if not 1 <= limit <= 1000:
            raise ApiError(109400, "Invalid parameters, limit must be in [1, 1000]")
        eight_h = 8 * 3_600_000
        last = min(self.now_ms, int(q.get("endTime", self.now_ms))) // eight_h * eight_h
        if "startTime" in q:
            start = int(q["startTime"])
            first = start + (-start) % eight_h
            times = list(range(first, last + 1, eight_h))[:limit]
        else:
            times = [last - i * eight_h for i in range(limit)][::-1]
        return [{"symbol": m.symbol, "fundingRate": f"{self.funding_at(m.symbol, t):.8f}",
                 "fundingTime": t} for t in reversed(times)]


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
    ("GET", "/swap/v2/quote/fundingRate"): (FakeBingx.h_funding, False),
    ("GET", "/swap/v3/user/balance"): (FakeBingx.h_balance, True),
    ("GET", "/swap/v2/user/positions"): (FakeBingx.h_positions, True),
    ("POST", "/swap/v2/trade/order"): (FakeBingx.h_create, True),
    ("GET", "/swap/v2/trade/order"): (FakeBingx.h_get_order, True),
    ("DELETE", "/swap/v2/trade/order"): (FakeBingx.h_cancel, True),
    ("GET", "/swap/v2/trade/openOrders"): (FakeBingx.h_open_orders, True),
    ("GET", "/swap/v2/trade/allFillOrders"): (FakeBingx.h_fills, True),
    ("POST", "/swap/v2/trade/leverage"): (FakeBingx.h_leverage, True),
    ("GET", "/swap/v1/positionSide/dual"): (FakeBingx.h_get_mode, True),
    ("POST", "/swap/v1/positionSide/dual"): (FakeBingx.h_set_mode, True),
}
