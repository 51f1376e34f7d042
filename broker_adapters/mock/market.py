"""The mock market: the default venue, a full ``BrokerAdapter`` with no network at all.

Prices come from ``PathGenerator``: a pure function of (seed, origin, symbol, time), where the
origin is ``start`` minus ``history_days`` — markets built with the same seed and the same
start/history agree on every bar, whichever window or order asked. Time comes from a
``Clock``: with a
``SimulatedClock(start, speed=60)`` a day of trading passes in 24 minutes; with a
``FixedClock`` tests decide when each bar closes. Only bars that have closed by
``clock.now_ms()`` are ever served. The quote is built around the close of the last closed
1m bar (so it moves once a minute, and never reveals the forming bar).

Orders fill through the same ``PaperEngine`` as paper mode, against the mock's own quote and
synthetic depth. Resting orders are matched whenever the mock is asked anything about that
symbol or the account (quote, book, orders, positions, account, fills) and by
``process_pending()``: first against every 1m bar that closed since the last match
(``PaperEngine.on_bar``: stops and takes fill where the price touched them), then against
the current quote.

``fail_next(n, exc)`` makes the next ``n`` calls raise (a dead connection by default), so the
brain, the TUI and the synchronizer can be tested on reconnect.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import datetime

from ats.domain import (
    AccountState,
    Bars,
    Clock,
    Fill,
    InstrumentSpec,
    Order,
    OrderIntent,
    Position,
    Quote,
    timeframe_ms,
)
from ats.domain.costs import CostModel
from ats.domain.fx import FxRates
from broker_adapters.base import Capabilities, DepthLevel, FundingRate, OrderBook
from broker_adapters.errors import (
    BadSymbolError,
    CapabilityError,
    ConnectionLostError,
    VenueError,
)
from broker_adapters.mock.funding import FUNDING_MS, FundingModel
from broker_adapters.mock.fx import mock_fx
from broker_adapters.mock.paths import DAY_MS, MINUTE_MS, PathGenerator
from broker_adapters.mock.profiles import RegimeParams, Scenario, SymbolProfile, profile_for
from broker_adapters.paper_engine import BookView, PaperEngine

DEFAULT_SYMBOLS = ("BTC/USDT:USDT", "ETH/USDT:USDT", "EURUSD", "GBPUSD", "XAUUSD")
DEFAULT_START = "2026-01-05T00:00:00Z"
BOOK_LEVELS = 20
MAX_REPLAY_MINUTES = 7 * 1440  # a week offline: older resting orders see the current quote


def parse_start(start: str | int) -> int:
    """An ISO-8601 UTC time or ms since the epoch, as ms."""
    if isinstance(start, int):
        return start
    dt = datetime.fromisoformat(start.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        raise ValueError(f"mock start {start!r} has no timezone; write it with a trailing Z")
    return int(dt.timestamp() * 1000)


class MockMarket:
    """A deterministic market for any symbols; see the module docstring."""

    name = "mock"
    capabilities = Capabilities(
        depth=True, funding=True, ticks=False, trading=True, stop_orders=True,
        reduce_only=True, max_bars_per_request=5000,
    )

    def __init__(
        self,
        *,
        clock: Clock,
        seed: int = 42,
        symbols: Sequence[str] = DEFAULT_SYMBOLS,
        start: str | int = DEFAULT_START,
        history_days: int = 400,
        correlation: float = 0.3,
        cross_correlation: float | None = None,
        scenario: Scenario | None = None,
        regime_params: RegimeParams | None = None,
        costs: CostModel | None = None,
        starting_balance: float = 10_000.0,
        virtual_asset: str | None = None,
        leverage: float = 10.0,
        currency: str = "USD",
    ) -> None:
        if not symbols:
            raise ValueError("the mock market needs at least one symbol")
        self.clock = clock
        self.seed = seed
        start_ms = parse_start(start)
        self.origin_ms = (start_ms // DAY_MS - history_days) * DAY_MS
        if scenario is not None and scenario.start_ms is None:
            scenario = replace(scenario, start_ms=clock.now_ms())
        self.scenario = scenario
        self.gen = PathGenerator(
            seed=seed, origin_ms=self.origin_ms, correlation=correlation,
            cross=cross_correlation, scenario=scenario, params=regime_params,
        )
        self.profiles: dict[str, SymbolProfile] = {s: profile_for(s) for s in symbols}
        for prof in self.profiles.values():  # known up front: caches sized, paths grown together
            self.gen.path(prof)
        self.specs: dict[str, InstrumentSpec] = {
            s: p.spec(self.name) for s, p in self.profiles.items()
        }
        self.engine = PaperEngine(
            venue=self.name, costs=costs or CostModel(), starting_balance=starting_balance,
            specs=self.specs, currency=currency, virtual_asset=virtual_asset, leverage=leverage,
        )
        self.currency = currency
        self._fx_minute = -1
        self.funding = FundingModel(seed)
        self.connected = False
        self._closed = False
        self._fail_left = 0
        self._fail_exc: type[VenueError] = ConnectionLostError
        self._book_cache: dict[str, tuple[int, BookView]] = {}
        self._matched_minute: dict[str, int] = {}
        self._bar_cursor: dict[str, int] = {}  # newest 1m bar matched against resting orders

    # ------------------------------------------------------------------ failures
    def fail_next(self, n: int = 1, exc: type[VenueError] = ConnectionLostError) -> None:
        """Make the next ``n`` adapter calls raise ``exc`` (a simulated outage)."""
        self._fail_left = max(0, n)
        self._fail_exc = exc

    def heal(self) -> None:
        self._fail_left = 0

    def _gate(self, call: str) -> None:
        if self._fail_left > 0:
            self._fail_left -= 1
            raise self._fail_exc(f"simulated failure during {call}", venue=self.name)
        if self._closed:
            raise ConnectionLostError(
                f"{call} after close(); call connect() again", venue=self.name
            )

    def _profile(self, symbol: str) -> SymbolProfile:
        try:
            return self.profiles[symbol]
        except KeyError:
            raise BadSymbolError(
                f"unknown symbol {symbol!r}; the mock market lists "
                f"{', '.join(self.profiles)} (add it to configs/symbols.yaml under mock)",
                venue=self.name,
            ) from None

    # ------------------------------------------------------------------ session
    async def connect(self) -> None:
        self._closed = False
        self._gate("connect")
        self.connected = True

    async def close(self) -> None:
        self.connected = False
        self._closed = True

    async def server_time(self) -> int:
        self._gate("server_time")
        return self.clock.now_ms()

    async def instruments(self) -> dict[str, InstrumentSpec]:
        self._gate("instruments")
        return dict(self.specs)

    # ------------------------------------------------------------------ bars
    def closed_count(self, timeframe: str, now_ms: int | None = None) -> int:
        """How many ``timeframe`` bars have closed since the origin at ``now_ms``."""
        now = self.clock.now_ms() if now_ms is None else now_ms
        return max(0, (now - self.origin_ms) // timeframe_ms(timeframe))

    def bars_between(self, symbol: str, timeframe: str, k0: int, k1: int) -> Bars:
        """Bars ``k0 <= k < k1`` counted from the origin — no clock check (for tools/benches)."""
        prof = self._profile(symbol)
        cols = self.gen.bars(prof, timeframe_ms(timeframe) // MINUTE_MS, k0, k1)
        return Bars.from_arrays(
            symbol, timeframe, cols["ts"], cols["open"], cols["high"], cols["low"],
            cols["close"], cols["volume"], cols["spread"],
        )

    async def history(
        self, symbol: str, timeframe: str, since_ms: int | None, limit: int
    ) -> Bars:
        self._gate("history")
        tf = timeframe_ms(timeframe)
        limit = max(0, min(limit, self.capabilities.max_bars_per_request))
        count = self.closed_count(timeframe)
        if since_ms is None:
            k0 = count - limit
        else:
            k0 = -((self.origin_ms - since_ms) // tf)  # ceil((since - origin) / tf)
        k0 = max(k0, 0)
        return self.bars_between(symbol, timeframe, k0, min(k0 + limit, count))

    async def latest_bars(self, symbol: str, timeframe: str, n: int) -> Bars:
        self._gate("latest_bars")
        count = self.closed_count(timeframe)
        bars = self.bars_between(symbol, timeframe, max(0, count - n), count)
        # The live path (one call per symbol per bar) spreads tomorrow's path generation
        # over the evening; see PathGenerator.prefetch.
        self.gen.prefetch(self.profiles[symbol], (self.clock.now_ms() - self.origin_ms)
                          // MINUTE_MS)
        return bars

    async def stream_bars(
        self, symbol: str, timeframe: str, since_ms: int | None = None
    ) -> AsyncIterator[Bars]:
        """Yield each newly closed bar as the clock reaches its close (forever).

        With ``since_ms`` the bars closed after it are replayed first. The clock's ``sleep``
        decides the pace: real time, accelerated, or instant with a ``FixedClock``.
        """
        tf = timeframe_ms(timeframe)
        k = self.closed_count(timeframe) if since_ms is None else max(
            0, -((self.origin_ms - since_ms) // tf)
        )
        while True:
            count = self.closed_count(timeframe)
            if k < count:
                self._gate("stream_bars")
                yield self.bars_between(symbol, timeframe, k, k + 1)
                k += 1
                continue
            wait_ms = self.origin_ms + (k + 1) * tf - self.clock.now_ms()
            await self.clock.sleep(max(wait_ms, 1) / 1000.0)

    # ------------------------------------------------------------------ quotes
    def book_view(self, symbol: str, now_ms: int | None = None) -> BookView:
        """Quote and depth around the last closed 1m bar (cached per minute)."""
        prof = self._profile(symbol)
        now = self.clock.now_ms() if now_ms is None else now_ms
        m = (now - self.origin_ms) // MINUTE_MS - 1
        cached = self._book_cache.get(symbol)
        if cached is not None and cached[0] == m:
            return cached[1]
        if m < 0:
            raise ConnectionLostError(
                f"no prices for {symbol} before the mock origin "
                f"({self.origin_ms} ms); move the clock forward", venue=self.name,
            )
        bar = self.gen.minutes(prof, m, m + 1)
        close, spread = float(bar["close"][0]), float(bar["spread"][0])
        rng_bps = (float(bar["high"][0]) - float(bar["low"][0])) / close * 1e4
        tick = prof.tick
        half = max(1, math.ceil(spread / tick / 2))
        bid_t = round(close / tick) - half
        ask_t = bid_t + max(1, round(spread / tick))
        base_spread = close * prof.spread_bps / 1e4
        liq = min(2.0, max(0.1, base_spread / max(spread, tick)))
        step = max(1, half)
        wiggle = 0.7 + 0.6 * ((m * 2654435761) % 1000) / 1000.0
        sizes = [
            round(prof.depth_per_level * liq * wiggle * (1 + 0.35 * i) / prof.lot_step)
            * prof.lot_step
            for i in range(BOOK_LEVELS)
        ]
        sizes = [max(s, prof.min_qty) for s in sizes]
        bids = tuple(DepthLevel((bid_t - i * step) * tick, sizes[i]) for i in range(BOOK_LEVELS)
                     if bid_t - i * step > 0)
        asks = tuple(DepthLevel((ask_t + i * step) * tick, sizes[i]) for i in range(BOOK_LEVELS))
        ts = self.origin_ms + (m + 1) * MINUTE_MS
        quote = Quote(symbol, ts, bid_t * tick, ask_t * tick, sizes[0], sizes[0], close)
        view = BookView(quote, bids, asks, rng_bps)
        self._book_cache[symbol] = (m, view)
        return view

    async def quote(self, symbol: str) -> Quote:
        self._gate("quote")
        self._match(symbol)
        return self.book_view(symbol).quote

    async def order_book(self, symbol: str, depth: int = 10) -> OrderBook:
        self._gate("order_book")
        view = self.book_view(symbol)
        return OrderBook(symbol, view.quote.ts, view.bids[:depth], view.asks[:depth])

    async def funding_rate(self, symbol: str) -> FundingRate:
        """The rate settled last (every 8h) and the live mark/index basis (perps only);
        dynamics in ``broker_adapters.mock.funding``."""
        self._gate("funding_rate")
        self._perp(symbol)
        now = self.clock.now_ms()
        k = now // FUNDING_MS
        index = self.book_view(symbol, now).quote.last or 0.0
        mark = index * (1.0 + self.funding.basis(symbol, now))
        return FundingRate(symbol, now, round(self.funding.rate(symbol, k), 8),
                           (k + 1) * FUNDING_MS, mark, index)

    async def funding_history(self, symbol: str, since_ms: int | None,
                              limit: int = 100) -> list[FundingRate]:
        """Settled funding, oldest first: from ``since_ms`` on, else the newest ``limit``."""
        self._gate("funding_history")
        self._perp(symbol)
        rows = self.funding.history(symbol, since_ms, self.clock.now_ms(), limit)
        return [FundingRate(symbol, ts, rate, ts + FUNDING_MS) for ts, rate in rows]

    def _perp(self, symbol: str) -> None:
        if not self._profile(symbol).has_funding:
            raise CapabilityError(
                f"{symbol} is not a perpetual: it has no funding", venue=self.name
            )

    # ------------------------------------------------------------------ money
    def _fx_now(self) -> FxRates:
        """The minute's FX set (``broker_adapters.mock.fx``), also handed to the engine."""
        now = self.clock.now_ms()
        minute = (now - self.origin_ms) // MINUTE_MS
        if minute != self._fx_minute:
            ccys = {sp.quote_currency for sp in self.specs.values()} | {
                sp.margin_currency for sp in self.specs.values() if sp.margin_currency}
            self.engine.set_fx(mock_fx(self, self.currency, ccys, now))
            self._fx_minute = minute
        return self.engine.fx

    async def fx_rates(self) -> FxRates:
        """Account-currency value of each instrument currency, from the mock's own paths."""
        self._gate("fx_rates")
        return self._fx_now()

    # ------------------------------------------------------------------ trading
    def _match(self, symbol: str | None = None) -> list[Order]:
        """Match resting orders (once per minute per symbol) and refresh position marks.

        Symbols go in sorted order: a set's order changes with the process hash seed, and
        the fill sequence must not.
        """
        now = self.clock.now_ms()
        m = (now - self.origin_ms) // MINUTE_MS
        if m >= 1:
            self._fx_now()
        todo = [symbol] if symbol else self.engine.open_symbols()
        moved: list[Order] = []
        self._settle_funding(now)
        for sym in sorted(set(todo) | set(self.engine.position_symbols())):
            if sym not in self.profiles or m < 1 or self._matched_minute.get(sym) == m:
                continue
            self._matched_minute[sym] = m
            moved.extend(self._replay_bars(sym, m))
            moved.extend(self.engine.on_book(sym, self.book_view(sym, now), now))
        return moved

    def _settle_funding(self, now: int) -> None:
        """Charge open perpetual positions every settlement of the funding model passed
        since they opened or were last charged (before any fill of this call moves them)."""
        for sym in sorted(self.engine.position_symbols()):
            since = self.engine.funding_cursor(sym)
            if since is None or sym not in self.profiles or not self.profiles[sym].has_funding:
                continue
            for ts, rate in self.funding.history(sym, since + 1, now, 10_000):
                self.engine.settle_funding(sym, ts, rate)

    def _replay_bars(self, sym: str, m: int) -> list[Order]:
        """Match resting orders against the 1m bars closed since the last match (intrabar)."""
        last = self._bar_cursor.get(sym, m - 1)
        self._bar_cursor[sym] = m - 1
        if last >= m - 1 or sym not in self.engine.open_symbols():
            return []
        k0 = max(last + 1, m - MAX_REPLAY_MINUTES)
        bars = self.gen.minutes(self.profiles[sym], k0, m)
        moved: list[Order] = []
        o, h, lo, c = bars["open"], bars["high"], bars["low"], bars["close"]
        for i in range(len(c)):
            close_ts = self.origin_ms + (k0 + i + 1) * MINUTE_MS
            moved.extend(self.engine.on_bar(sym, float(o[i]), float(h[i]), float(lo[i]),
                                            float(c[i]), close_ts))
            if sym not in self.engine.open_symbols():
                break
        return moved

    async def process_pending(self) -> list[Order]:
        """Match every resting order against the current minute's book (same call as
        ``PaperBroker.process_pending``); returns the orders that moved."""
        return self._match(None)

    async def account(self) -> AccountState:
        self._gate("account")
        self._match()
        return self.engine.account(self.clock.now_ms())

    async def positions(self) -> list[Position]:
        self._gate("positions")
        self._match()
        return self.engine.positions(self.clock.now_ms())

    async def place_order(self, intent: OrderIntent) -> Order:
        self._gate("place_order")
        now = self.clock.now_ms()
        book = self.book_view(intent.symbol, now) if intent.symbol in self.profiles else None
        self._match()
        order = self.engine.submit(intent, book, now)
        if book is not None:  # this minute's depth is taken: a remainder waits for the next
            m = (now - self.origin_ms) // MINUTE_MS
            self._matched_minute[intent.symbol] = m
            self._bar_cursor[intent.symbol] = m - 1  # bars before the order cannot fill it
        return order

    async def set_protection(self, symbol: str, stop: float | None = None,
                             take: float | None = None) -> dict[str, Order]:
        """Place or move the position's resting stop-loss / take-profit (None keeps a leg)."""
        self._gate("set_protection")
        self._match()
        return self.engine.protect(symbol, self.clock.now_ms(), stop=stop, take=take)

    async def cancel_protection(self, symbol: str) -> list[Order]:
        self._gate("cancel_protection")
        return self.engine.cancel_protection(symbol, self.clock.now_ms())

    async def open_orders(self, symbol: str | None = None) -> list[Order]:
        """Resting orders with their client order ids (adoption after a restart)."""
        self._gate("open_orders")
        self._match()
        return self.engine.open_orders(symbol)

    async def cancel_order(self, client_order_id: str, symbol: str) -> Order:
        self._gate("cancel_order")
        self._match()
        return self.engine.cancel(client_order_id, self.clock.now_ms())

    async def fetch_order(self, client_order_id: str, symbol: str) -> Order:
        self._gate("fetch_order")
        self._match()
        return self.engine.order(client_order_id)

    async def fills_since(self, since_ms: int, symbol: str | None = None) -> list[Fill]:
        self._gate("fills_since")
        self._match()
        return self.engine.fills_since(since_ms, symbol)
