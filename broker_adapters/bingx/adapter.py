"""BingX USDT-M perpetuals through ``ccxt.async_support`` — VST virtual money by default.

``vst`` mode sends orders to BingX's VST (sandbox) host; ``paper`` mode uses only quotes
(the factory wraps the adapter in ``PaperBroker``) and refuses to send an order itself, so a
paper run can never touch an account. Live trading is refused at construction.

Everything the exchange object does goes through ``_call``: one place that maps ccxt's
exceptions to the taxonomy, retries idempotent reads with the shared retry helper (orders
only on a rate limit — BingX refused them unprocessed, and the client id makes a repeat
harmless) and never lets a key, secret or signature reach a log line or a message.

Position mode, stops resting at the venue, adoption of open orders and the fill-row quirks
live in ``broker_adapters.bingx.venue_state``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import ccxt.async_support as ccxt

from ats.config.models import BingxAdapterConfig
from ats.config.settings import Settings, refuse_live
from ats.domain import (
    AccountState,
    Bars,
    Clock,
    Fill,
    InstrumentSpec,
    Mode,
    Order,
    OrderIntent,
    OrderType,
    Position,
    Quote,
    RealClock,
    TimeInForce,
    timeframe_ms,
)
from broker_adapters.base import Capabilities, DepthLevel, FundingRate, OrderBook
from broker_adapters.bingx import convert, venue_state
from broker_adapters.bingx.errors import VENUE, map_ccxt_error
from broker_adapters.bingx.exchange import RedactingLogger, StrictBingx
from broker_adapters.errors import (
    AuthenticationError,
    BadSymbolError,
    CapabilityError,
    InvalidOrderError,
    RateLimitError,
    SessionFatalError,
    VenueError,
)
from broker_adapters.retry import with_retries
from broker_adapters.validation import validate_bars

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_KLINES = 1440  # BingX swap klines per request
FILL_WINDOW_MS = 7 * 86_400_000  # allFillOrders accepts at most a 7-day range
FILL_LOOKBACK_MS = 90 * 86_400_000  # never walk further back than this, in 7-day requests
_DEPTHS = (5, 10, 20, 50, 100, 500, 1000)


class BingxAdapter:
    """The BingX venue. Keyword extras exist for tests: an injected ``exchange``, a ``clock``."""

    name = VENUE

    def __init__(
        self,
        cfg: BingxAdapterConfig,
        settings: Settings,
        *,
        mode: Mode,
        symbols: Sequence[str],
        exchange: ccxt.Exchange | None = None,
        clock: Clock | None = None,
        exchange_options: dict[str, Any] | None = None,
        retry_attempts: int = 3,
        retry_base_delay: float = 0.5,
    ) -> None:
        refuse_live(mode, "the BingX adapter")
        if mode not in (Mode.PAPER, Mode.VST):
            raise SessionFatalError(f"BingX supports --paper and --mode vst, not {mode.value}",
                                    venue=VENUE)
        if not cfg.sandbox and mode is not Mode.PAPER:
            raise SessionFatalError(
                "bingx.sandbox is false in adapters.yaml: that is the live exchange and ATS "
                "trades live only after reports/02_acceptance_checklist.md passes. Set "
                "sandbox: true for VST, or use --paper.", venue=VENUE)
        self.cfg = cfg
        self.mode = mode
        self.symbols = tuple(symbols)
        self._settings = settings
        self._clock: Clock = clock or RealClock()
        self._exchange = exchange
        self._owns_exchange = exchange is None
        self._extra = dict(exchange_options or {})
        self._attempts = retry_attempts
        self._retry_delay = retry_base_delay
        self.virtual_asset: str | None = (
            settings.virtual_asset if mode is Mode.VST else settings.effective_virtual_asset)
        self.capabilities = Capabilities(
            depth=True, funding=True, ticks=False, trading=mode is not Mode.PAPER,
            stop_orders=False, reduce_only=True, max_bars_per_request=MAX_KLINES)
        self._venue_ids: dict[str, str] = {}  # client order id → BingX order id
        self._client_ids: dict[str, str] = {}  # BingX order id → client order id
        self._intents: dict[str, OrderIntent] = {}
        self._secrets: tuple[str, ...] = tuple(
            s.get_secret_value() for s in (settings.bingx_api_key, settings.bingx_api_secret)
            if s is not None)
        self.hedged = False  # the account's position mode (read at connect)
        self.mode_note = ""  # why the configured position mode was not applied
        self._legs: dict[str, dict[str, str]] = {}  # symbol -> role -> protective leg id
        self._pending_protection: dict[str, OrderIntent] = {}  # entries not yet filled
        self._sides: dict[str, str] = {}  # venue order id -> side (for fills)

    # ------------------------------------------------------------------ lifecycle
    def _build_exchange(self) -> ccxt.Exchange:
        key, secret = self._settings.bingx_api_key, self._settings.bingx_api_secret
        if self.mode is not Mode.PAPER and (key is None or secret is None):
            raise AuthenticationError(
                "BINGX_API_KEY and BINGX_API_SECRET are not set; put the VST API key in the "
                "environment or .env (never in adapters.yaml)", venue=VENUE)
        options: dict[str, Any] = {
            "timeout": self.cfg.timeout_ms,
            "enableRateLimit": True,
            "options": {"defaultType": self.cfg.default_type},
        }
        if key is not None and secret is not None:
            options["apiKey"] = key.get_secret_value()
            options["secret"] = secret.get_secret_value()
        options["logger"] = RedactingLogger([options.get("apiKey", ""),
                                              options.get("secret", "")])
        options.update(self._extra)
        ex = StrictBingx(options)
        if self.cfg.sandbox:
            ex.set_sandbox_mode(True)
        if self.cfg.base_url:  # after sandbox mode, which would replace the override
            ex.urls["api"] = {k: self.cfg.base_url for k in ex.urls["api"]}
        return ex

    async def connect(self) -> None:
        if self._exchange is None:
            self._exchange = self._build_exchange()
        try:
            await self._call("load_markets", self._ex.load_markets)
        except BaseException:
            await self.close()
            raise
        missing = [s for s in self.symbols if s not in self._ex.markets]
        if missing:
            await self.close()
            raise BadSymbolError(
                f"symbols.yaml lists {', '.join(missing)} but BingX VST has no such perpetual; "
                "use unified names like BTC/USDT:USDT", venue=VENUE)
        if self.capabilities.trading:
            try:
                await venue_state.sync_position_mode(self)
            except BaseException:
                await self.close()
                raise

    async def close(self) -> None:
        ex, self._exchange = self._exchange, None
        if ex is not None and self._owns_exchange:
            await ex.close()

    async def __aenter__(self) -> BingxAdapter:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def _ex(self) -> ccxt.Exchange:
        if self._exchange is None:
            raise VenueError("the BingX adapter is not connected; call connect() first",
                             venue=VENUE)
        return self._exchange

    async def _call(
        self, action: str, fn: Callable[..., Awaitable[T]], *args: Any,
        retry: bool | str = True, **kwargs: Any,
    ) -> T:
        """Run one ccxt call; map its errors; retry idempotent reads (``retry=True``), or
        only rate-limit refusals (``retry="rate"``: order placement)."""

        async def once() -> T:
            try:
                return await fn(*args, **kwargs)
            except Exception as exc:  # every ccxt/transport/parse failure gets a taxonomy class
                # not chained: the ccxt exception's text is the unscrubbed one
                raise map_ccxt_error(exc, action, self._secrets) from None

        if not retry or self._attempts <= 1:
            return await once()
        if retry == "rate":
            for attempt in range(self._attempts):
                try:
                    return await once()
                except RateLimitError as exc:
                    if attempt == self._attempts - 1:
                        raise
                    delay = min(self._retry_delay * 2 ** attempt, 10.0)
                    log.warning("%s rate limited, retrying in %.2fs: %s", action, delay, exc)
                    await asyncio.sleep(delay)
        return await with_retries(once, attempts=self._attempts, base_delay=self._retry_delay,
                                  max_delay=max(self._retry_delay * 8, 0.001))

    def _market(self, symbol: str) -> dict[str, Any]:
        market = self._ex.markets.get(symbol)
        if market is None:
            raise BadSymbolError(f"unknown BingX symbol {symbol!r}; known: "
                                 f"{', '.join(sorted(self._ex.markets))}", venue=VENUE)
        return market

    # ------------------------------------------------------------------ market data
    async def server_time(self) -> int:
        return int(await self._call("fetch_time", self._ex.fetch_time))

    async def instruments(self) -> dict[str, InstrumentSpec]:
        wanted = self.symbols or tuple(self._ex.markets)
        return {s: convert.instrument(self._market(s)) for s in wanted}

    async def _closed_page(self, symbol: str, timeframe: str, since: int | None,
                           limit: int, until: int | None = None) -> list[list[Any]]:
        params = {} if until is None else {"until": until}
        rows = await self._call(f"fetch_ohlcv {symbol} {timeframe}", self._ex.fetch_ohlcv,
                                symbol, timeframe, since, limit, params)
        horizon = self._clock.now_ms() - timeframe_ms(timeframe)
        return [r for r in rows if r[0] <= horizon]  # drop the still-forming bar

    async def history(self, symbol: str, timeframe: str, since_ms: int | None,
                      limit: int) -> Bars:
        """Pages of ≤1440 klines forward from ``since_ms``; ccxt's limiter paces the pages."""
        self._market(symbol)
        if since_ms is None:
            return await self.latest_bars(symbol, timeframe, limit)
        step = timeframe_ms(timeframe)
        rows: list[list[Any]] = []
        cursor = since_ms
        while len(rows) < limit and cursor <= self._clock.now_ms() - step:
            want = min(MAX_KLINES, limit - len(rows))
            until = cursor + want * step - 1  # an explicit window: no reliance on defaults
            page = [r for r in await self._closed_page(symbol, timeframe, cursor, want, until)
                    if r[0] >= cursor]
            if page:
                rows.extend(page[:want])
                cursor = int(page[-1][0]) + step
            else:  # the venue has no bars in this window (downtime): step over it
                cursor = until + 1
        return self._validated(symbol, timeframe, rows)

    async def latest_bars(self, symbol: str, timeframe: str, n: int) -> Bars:
        self._market(symbol)
        step = timeframe_ms(timeframe)
        if n <= MAX_KLINES - 1:
            page = await self._closed_page(symbol, timeframe, None, n + 1)
            return self._validated(symbol, timeframe, page[-n:] if n else [])
        newest_closed = (self._clock.now_ms() // step - 1) * step
        return await self.history(symbol, timeframe, newest_closed - (n - 1) * step, n)

    def _validated(self, symbol: str, timeframe: str, rows: list[list[Any]]) -> Bars:
        bars, issues = validate_bars(convert.bars(symbol, timeframe, rows), venue=VENUE,
                                     repair=True)
        if issues:  # validate_bars has logged each one; keep a count for the trader
            log.info("bingx %s %s: %d bar issue(s) handled", symbol, timeframe, len(issues))
        return bars

    async def quote(self, symbol: str) -> Quote:
        self._market(symbol)
        t = await self._call(f"fetch_ticker {symbol}", self._ex.fetch_ticker, symbol)
        try:
            return convert.quote(symbol, t, self._clock.now_ms())
        except (TypeError, ValueError) as exc:
            raise map_ccxt_error(exc, f"fetch_ticker {symbol}") from exc

    async def order_book(self, symbol: str, depth: int = 10) -> OrderBook:
        self._market(symbol)
        limit = next((d for d in _DEPTHS if d >= depth), _DEPTHS[-1])
        ob = await self._call(f"fetch_order_book {symbol}", self._ex.fetch_order_book,
                              symbol, limit)
        return OrderBook(
            symbol=symbol,
            ts=int(ob.get("timestamp") or self._clock.now_ms()),
            bids=tuple(DepthLevel(float(p), float(q)) for p, q, *_ in ob["bids"][:depth]),
            asks=tuple(DepthLevel(float(p), float(q)) for p, q, *_ in ob["asks"][:depth]),
        )

    async def funding_rate(self, symbol: str) -> FundingRate:
        self._market(symbol)
        fr = await self._call(f"fetch_funding_rate {symbol}", self._ex.fetch_funding_rate,
                              symbol)
        return FundingRate(
            symbol=symbol,
            ts=int(fr.get("timestamp") or self._clock.now_ms()),
            rate=float(fr.get("fundingRate") or 0.0),
            next_funding_ts=fr.get("nextFundingTimestamp") or fr.get("fundingTimestamp"),
            mark_price=fr.get("markPrice"),
            index_price=fr.get("indexPrice"),
        )

    async def funding_history(self, symbol: str, since_ms: int | None,
                              limit: int = 100) -> list[FundingRate]:
        """Settled funding (GET /openApi/swap/v2/quote/fundingRate via ccxt), oldest first."""
        self._market(symbol)
        rows = await self._call(f"fetch_funding_rate_history {symbol}",
                                self._ex.fetch_funding_rate_history, symbol, since_ms,
                                min(int(limit), 1000))
        out = [FundingRate(symbol=symbol, ts=int(r["timestamp"]),
                           rate=float(r.get("fundingRate") or 0.0))
               for r in rows if r.get("timestamp") is not None]
        return sorted(out, key=lambda f: f.ts)

    # ------------------------------------------------------------------ account
    async def account(self) -> AccountState:
        bal = await self._call("fetch_balance", self._ex.fetch_balance, {"type": "swap"})
        rows = {r.get("asset"): r for r in (bal.get("info") or {}).get("data") or []}
        prefer = [self._settings.virtual_asset, "VST", "USDT"]
        asset = next((a for a in prefer if a in rows), next(iter(rows), None))
        if asset is None:
            raise VenueError("BingX returned no swap balance rows", venue=VENUE)
        row = rows[asset]
        return AccountState(
            balance=float(row.get("balance") or 0.0),
            equity=float(row.get("equity") or row.get("balance") or 0.0),
            margin_used=float(row.get("usedMargin") or 0.0),
            free_margin=float(row.get("availableMargin") or 0.0),
            currency=str(asset),
            ts=self._clock.now_ms(),
            virtual_asset=self.virtual_asset,
        )

    async def positions(self) -> list[Position]:
        raw = await self._call("fetch_positions", self._ex.fetch_positions,
                               list(self.symbols) or None)
        now = self._clock.now_ms()
        out = [convert.position(p, now, self.virtual_asset) for p in raw]
        return [p for p in out if p is not None]

    # ------------------------------------------------------------------ orders
    def _require_trading(self) -> None:
        if not self.capabilities.trading:
            raise CapabilityError(
                "the BingX adapter is in paper mode: orders are filled by the paper simulator "
                "and never sent to BingX", venue=VENUE)

    async def place_order(self, intent: OrderIntent) -> Order:
        self._require_trading()
        self._market(intent.symbol)
        if not intent.qty > 0:
            raise InvalidOrderError(f"order {intent.client_order_id}: quantity must be > 0, "
                                    f"got {intent.qty}", venue=VENUE)
        if intent.client_order_id in self._venue_ids:  # idempotent: never send twice
            return await self.fetch_order(intent.client_order_id, intent.symbol)
        if intent.type is OrderType.STOP:
            raise CapabilityError("stop orders are not supported on the BingX adapter",
                                  venue=VENUE)
        params: dict[str, Any] = {"clientOrderId": intent.client_order_id,
                                  "hedged": self.hedged}
        if intent.reduce_only:
            params["reduceOnly"] = True  # in hedge mode ccxt turns it into positionSide
        if intent.type is OrderType.LIMIT and intent.tif is TimeInForce.IOC:
            params["timeInForce"] = "IOC"
        price = intent.limit_price if intent.type is OrderType.LIMIT else None
        try:
            created = await self._call(
                f"create_order {intent.symbol}", self._ex.create_order, intent.symbol,
                intent.type.value, intent.side.value, intent.qty, price, params, retry="rate")
        except InvalidOrderError as exc:
            if getattr(exc, "origin", "") != "DuplicateOrderId":
                raise
            # Sent before (e.g. by a previous process): report the order that exists.
            self._intents[intent.client_order_id] = intent
            return await self.fetch_order(intent.client_order_id, intent.symbol)
        self._remember(intent.client_order_id, str(created["id"]), intent)
        if not intent.reduce_only and (intent.stop_loss or intent.take_profit):
            self._pending_protection[intent.client_order_id] = intent
        # The create response is thin (no status/fill): ask for the order itself.
        order = await self.fetch_order(intent.client_order_id, intent.symbol)
        if intent.reduce_only and order.status.is_terminal and order.filled_qty > 0:
            await venue_state.tidy_after_fill(self, intent.symbol)
        return order

    def _remember(self, client_id: str, venue_id: str, intent: OrderIntent | None) -> None:
        self._venue_ids[client_id] = venue_id
        self._client_ids[venue_id] = client_id
        if intent is not None:
            self._intents[client_id] = intent

    async def _raw_order(self, client_order_id: str, symbol: str) -> dict[str, Any]:
        venue_id = self._venue_ids.get(client_order_id)
        if venue_id is not None:
            return await self._call(f"fetch_order {symbol}", self._ex.fetch_order, venue_id,
                                    symbol)
        # Unknown here (e.g. after a restart): BingX also looks orders up by client id.
        market = self._market(symbol)
        resp = await self._call(
            f"fetch_order {symbol}", self._ex.swapV2PrivateGetTradeOrder,
            {"symbol": market["id"], "clientOrderId": client_order_id})
        raw = self._ex.parse_order((resp.get("data") or {}).get("order") or {}, market)
        self._remember(client_order_id, str(raw["id"]), None)
        return raw

    async def fetch_order(self, client_order_id: str, symbol: str) -> Order:
        self._market(symbol)
        raw = await self._raw_order(client_order_id, symbol)
        order = convert.order(raw, self._intents.get(client_order_id), client_order_id,
                              self._clock.now_ms(), self.virtual_asset)
        entry = self._pending_protection.get(client_order_id)
        if entry is not None and order.filled_qty > 0 and order.status.is_terminal:
            del self._pending_protection[client_order_id]
            await venue_state.protect_entry(self, entry)
        return order

    # ------------------------------------------------------------------ protection
    async def set_protection(self, symbol: str, stop: float | None = None,
                             take: float | None = None) -> dict[str, Order]:
        """Move the position's resting stop-loss / take-profit at BingX (None keeps a leg)."""
        self._require_trading()
        self._market(symbol)
        return await venue_state.place_legs(self, symbol, stop, take)

    async def cancel_protection(self, symbol: str) -> list[Order]:
        self._require_trading()
        self._market(symbol)
        return await venue_state.cancel_legs(self, symbol)

    async def open_orders(self, symbol: str | None = None) -> list[Order]:
        """Resting orders (protective legs included) with their client order ids."""
        return await venue_state.open_orders(self, symbol)

    async def cancel_order(self, client_order_id: str, symbol: str) -> Order:
        self._require_trading()
        self._market(symbol)
        if client_order_id not in self._venue_ids:
            await self._raw_order(client_order_id, symbol)
        await self._call(f"cancel_order {symbol}", self._ex.cancel_order,
                         self._venue_ids[client_order_id], symbol, retry=False)
        return await self.fetch_order(client_order_id, symbol)

    async def fills_since(self, since_ms: int, symbol: str | None = None) -> list[Fill]:
        """My trades from ``since_ms``, in ≤7-day windows (the venue's range limit).

        At most the last 90 days are read: ``since_ms=0`` must not become thousands of
        requests. Older fills are left to the synchronizer's stored history.
        """
        now = self._clock.now_ms()
        if since_ms < now - FILL_LOOKBACK_MS:
            log.info("bingx fills: reading the last 90 days only (asked from %d)", since_ms)
            since_ms = now - FILL_LOOKBACK_MS
        out: list[Fill] = []
        for sym in [symbol] if symbol else list(self.symbols):
            self._market(sym)
            start = since_ms
            while start <= now:
                end = min(now, start + FILL_WINDOW_MS - 1)
                trades = await self._call(
                    f"fetch_my_trades {sym}", self._ex.fetch_my_trades, sym, start, None,
                    {"until": end})
                for t in trades:
                    out.append(await self._fill(t, sym))
                start = end + 1
        out.sort(key=lambda f: (f.ts, f.fill_id))
        for sym in {f.symbol for f in out if venue_state.leg_role(f.client_order_id)}:
            await venue_state.tidy_after_fill(self, sym)  # a leg filled: drop the other
        return [f for f in out if f.ts >= since_ms]

    async def _fill(self, t: dict[str, Any], symbol: str) -> Fill:
        venue_id = str(t.get("order") or "")
        info = t.get("info") or {}
        cid = self._client_ids.get(venue_id) or info.get("clientOrderID") or venue_id
        intent = self._intents.get(cid)
        side = t.get("side") or (intent.side.value if intent else None)
        if side is None:  # real rows carry no side: ask the venue about the order
            side = await venue_state.side_of(self, venue_id, symbol)
        ts = venue_state.fill_time(info, t.get("timestamp"))
        return convert.fill({**t, "timestamp": ts}, cid, side,
                            intent.strategy if intent else "", self.virtual_asset)
