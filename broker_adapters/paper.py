"""Paper trading over any venue: real market data in, simulated fills out.

``PaperBroker`` is itself a ``BrokerAdapter``. Market-data calls go to the wrapped venue;
orders never leave the machine — they are filled by ``PaperEngine`` against that venue's own
quote (and depth where ``capabilities.depth``), with ``CostModel`` fees and slippage. The
fill rules are stated in ``broker_adapters.paper_engine``.

When resting orders are matched (there is no exchange pushing events to us):

* on arrival, against the book fetched for the order;
* on every ``quote(symbol)`` fetch, for that symbol;
* on ``fetch_order``, for that order's symbol;
* on ``process_pending()``, for every symbol with resting orders — the brain calls it once
  per cycle, so stops and limits are checked at least every cycle.

Each match first replays the venue's 1m bars closed since the last one through
``PaperEngine.on_bar``, so resting stops (the protective legs of an entry with
``stop_loss``/``take_profit`` included) fill where the price touched them inside the bar,
not at whatever the quote is by the time we look.

Each distinct venue quote is matched once: a GTC remainder that took the visible depth waits
for the quote to move (depth is not subtracted across different orders at one quote).
``account()``/``positions()`` refresh marks (unrealized PnL) from fresh quotes.

Funding: before matching, placing an order or reporting the account, every open position in
a perpetual is charged the venue's settlements since it opened or was last charged
(``PaperEngine.settle_funding``): from the venue's funding history (BingX through ccxt, the
replay file's ``funding_rate`` column), else from its current rate once its
``next_funding_ts`` has passed. A venue that cannot answer now is asked again next time;
the engine's cursor only moves on a charge, so nothing is skipped.
``name`` stays the venue's (bars and quotes are the venue's); orders, fills and positions
say ``venue="paper:<venue>"`` so a simulated trade is never mistaken for a real one.
"""

from __future__ import annotations

import logging
import math

from ats.domain import (
    AccountState,
    Bars,
    Clock,
    Fill,
    FxRates,
    InstrumentSpec,
    Order,
    OrderIntent,
    Position,
    Quote,
)
from ats.domain.costs import CostModel
from ats.domain.types import timeframe_ms
from broker_adapters.base import (
    BrokerAdapter,
    Capabilities,
    FundingHistorySource,
    FundingRate,
    FxSource,
    OrderBook,
)
from broker_adapters.errors import CapabilityError, VenueBusyError, VenueError
from broker_adapters.paper_engine import BookView, PaperEngine

log = logging.getLogger(__name__)

MINUTE_MS = 60_000
MAX_REPLAY_BARS = 1440  # older gaps: resting orders see the current quote only


class PaperBroker:
    """A paper account over ``venue``; see the module docstring for when orders are matched."""

    def __init__(
        self,
        venue: BrokerAdapter,
        *,
        costs: CostModel,
        clock: Clock,
        starting_balance: float = 10_000.0,
        virtual_asset: str | None = None,
        currency: str = "USD",
        leverage: float = 10.0,
        depth_levels: int = 20,
    ) -> None:
        self.venue = venue
        self.name = venue.name
        self.clock = clock
        vc = venue.capabilities
        self.capabilities = Capabilities(
            depth=vc.depth, funding=vc.funding, ticks=vc.ticks, trading=True,
            stop_orders=True, reduce_only=True, max_bars_per_request=vc.max_bars_per_request,
        )
        self.engine = PaperEngine(
            venue=f"paper:{venue.name}", costs=costs, starting_balance=starting_balance,
            specs={}, currency=currency, virtual_asset=virtual_asset, leverage=leverage,
        )
        self._depth_levels = depth_levels
        self._range: dict[str, tuple[int, float]] = {}
        self._views: dict[str, tuple[Quote, OrderBook | None, float, BookView]] = {}
        self._matched: dict[str, tuple[int, float, float]] = {}
        self._funding_asked: dict[str, int] = {}  # symbol -> clock ms the venue was asked
        self._funding_seen: dict[str, FundingRate] = {}  # last current rate (no history)
        self._no_history: set[str] = set()
        self._specs_loaded = False
        self._bar_cursor: dict[str, int] = {}  # open ts of the newest 1m bar replayed

    @property
    def virtual_asset(self) -> str | None:
        return self.engine.virtual_asset

    # ------------------------------------------------------------------ delegation
    async def connect(self) -> None:
        await self.venue.connect()
        await self._load_specs()

    async def close(self) -> None:
        await self.venue.close()

    async def server_time(self) -> int:
        return await self.venue.server_time()

    async def instruments(self) -> dict[str, InstrumentSpec]:
        specs = await self.venue.instruments()
        self.engine.specs.update(specs)
        self._specs_loaded = True
        return specs

    async def history(
        self, symbol: str, timeframe: str, since_ms: int | None, limit: int
    ) -> Bars:
        return await self.venue.history(symbol, timeframe, since_ms, limit)

    async def latest_bars(self, symbol: str, timeframe: str, n: int) -> Bars:
        return await self.venue.latest_bars(symbol, timeframe, n)

    async def order_book(self, symbol: str, depth: int = 10) -> OrderBook:
        return await self.venue.order_book(symbol, depth)

    async def funding_rate(self, symbol: str) -> FundingRate:
        return await self.venue.funding_rate(symbol)

    async def funding_history(self, symbol: str, since_ms: int | None,
                              limit: int = 100) -> list[FundingRate]:
        """The venue's settled funding (a paper account pays the venue's real rates)."""
        if not isinstance(self.venue, FundingHistorySource):
            raise CapabilityError(f"{self.name} serves no funding history", venue=self.name)
        return await self.venue.funding_history(symbol, since_ms, limit)

    async def fx_rates(self) -> FxRates:
        """The venue's conversion rates, re-expressed for the paper account's currency.

        A venue without rates leaves same-money conversion only (USDT perpetuals on a USD
        paper account); anything else is refused by the engine with the missing currency.
        """
        eng = self.engine
        fx = FxRates(eng.currency)
        if isinstance(self.venue, FxSource):
            got = await self.venue.fx_rates()
            base = got.rate(eng.currency)  # venue-account units per paper-account unit
            if base is not None:
                fx = FxRates(eng.currency, {c: r / base for c, r in got.rates.items()}
                             | {got.account: 1.0 / base}, source=got.source)
        eng.set_fx(fx)
        return fx

    async def quote(self, symbol: str) -> Quote:
        if symbol in self.engine.open_symbols() or symbol in self.engine.position_symbols():
            await self._replay_bars(symbol)
            view = await self._book(symbol)
            self._match(symbol, view)
            return view.quote
        return await self.venue.quote(symbol)

    # ------------------------------------------------------------------ books
    async def _load_specs(self) -> None:
        if not self._specs_loaded:
            await self.instruments()

    async def _range_bps(self, symbol: str) -> float:
        """Range of the last closed 1m bar in bps, cached per clock minute (a venue that
        knows its own bar range, like the replay venue, answers directly)."""
        own = getattr(self.venue, "bar_range_bps", None)
        if callable(own):
            return float(own(symbol))
        minute = self.clock.now_ms() // MINUTE_MS
        hit = self._range.get(symbol)
        if hit is not None and hit[0] == minute:
            return hit[1]
        value = 0.0
        try:
            bars = await self.venue.latest_bars(symbol, "1m", 1)
            if len(bars) and bars.close[-1] > 0:
                value = float((bars.high[-1] - bars.low[-1]) / bars.close[-1] * 1e4)
        except (VenueError, ValueError):
            value = 0.0  # volatility unknown: slippage falls back to size and base terms
        self._range[symbol] = (minute, value)
        return value

    async def _book(self, symbol: str) -> BookView:
        quote = await self.venue.quote(symbol)
        if not (0 < quote.bid <= quote.ask and math.isfinite(quote.ask)):
            # filling against a broken quote would invent prices; the caller retries later
            raise VenueBusyError(
                f"no usable quote for {symbol} (bid={quote.bid}, ask={quote.ask}); "
                "paper orders wait for a valid one", venue=self.name,
            )
        book: OrderBook | None = None
        if self.venue.capabilities.depth:
            try:
                book = await self.venue.order_book(symbol, self._depth_levels)
            except CapabilityError:
                book = None
        rng = await self._range_bps(symbol)
        hit = self._views.get(symbol)
        if hit is not None and hit[0] is quote and hit[1] is book and hit[2] == rng:
            return hit[3]  # venues that cache their quote objects save us rebuilding the view
        view = BookView(quote, book.bids if book else (), book.asks if book else (), rng)
        self._views[symbol] = (quote, book, rng, view)
        return view

    async def _settle_funding(self, *, force: bool = False) -> None:
        """Charge open perpetual positions the venue's funding settled since their cursor.

        The venue is asked at most once a clock minute per symbol (account reads come often
        and funding settles every few hours) unless ``force`` (before an order fills).
        """
        now = self.clock.now_ms()
        for symbol in sorted(self.engine.position_symbols()):
            spec = self.engine.specs.get(symbol)
            since = self.engine.funding_cursor(symbol)
            if spec is None or not spec.has_funding or since is None or since >= now:
                continue
            if not force and now - self._funding_asked.get(symbol, -MINUTE_MS) < MINUTE_MS:
                continue
            self._funding_asked[symbol] = now
            try:
                await self._settle_symbol(symbol, since, now)
            except (VenueError, ValueError) as exc:
                log.warning("paper funding of %s not settled now (%s); asked again next time",
                            symbol, type(exc).__name__)

    async def _settle_symbol(self, symbol: str, since: int, now: int) -> None:
        if isinstance(self.venue, FundingHistorySource) and symbol not in self._no_history:
            try:
                rows = await self.venue.funding_history(symbol, since + 1, 1000)
            except CapabilityError:
                self._no_history.add(symbol)  # fall back to the current rate below
            else:
                for fr in sorted(rows, key=lambda r: r.ts):
                    if since < fr.ts <= now:
                        self.engine.settle_funding(symbol, fr.ts, fr.rate, fr.mark_price)
                return
        fr = await self.venue.funding_rate(symbol)
        seen = self._funding_seen.get(symbol)
        due = seen.next_funding_ts if seen is not None else None
        if seen is not None and due is not None and since < due <= now:
            self.engine.settle_funding(symbol, due, seen.rate, seen.mark_price)
        self._funding_seen[symbol] = fr

    async def process_pending(self) -> list[Order]:
        """Match every resting order against a fresh book; returns the orders that moved."""
        await self._settle_funding()
        moved: list[Order] = []
        for symbol in self.engine.open_symbols():
            moved.extend(await self._replay_bars(symbol))
            if symbol in self.engine.open_symbols():
                moved.extend(self._match(symbol, await self._book(symbol)))
        return moved

    def _bar_ms(self) -> int:
        """The bars resting orders are matched against: 1m, or the venue's own bar when it
        has no finer ones (the replay venue over recorded H1 bars)."""
        tf = getattr(self.venue, "bar_timeframe", None)
        return timeframe_ms(tf) if isinstance(tf, str) else MINUTE_MS

    def _last_closed_open(self) -> int:
        step = self._bar_ms()
        return (self.clock.now_ms() // step - 1) * step

    async def _replay_bars(self, symbol: str) -> list[Order]:
        """Match resting orders against the venue's 1m bars closed since the last replay."""
        last = self._bar_cursor.get(symbol)
        newest = self._last_closed_open()
        if last is None or last >= newest or symbol not in self.engine.open_symbols():
            self._bar_cursor[symbol] = max(newest, last or newest)
            return []
        step = self._bar_ms()
        n = min(MAX_REPLAY_BARS, (newest - last) // step)
        try:
            bars = await self.venue.latest_bars(symbol, getattr(self.venue, "bar_timeframe",
                                                                None) or "1m", int(n))
        except (VenueError, ValueError):
            return []  # no bars now: the quote still matches; the bars are tried next time
        moved: list[Order] = []
        now = self.clock.now_ms()
        for i in range(len(bars)):
            ts = int(bars.ts[i])
            if ts <= last:
                continue
            self._bar_cursor[symbol] = ts
            moved.extend(self.engine.on_bar(
                symbol, float(bars.open[i]), float(bars.high[i]), float(bars.low[i]),
                float(bars.close[i]), min(ts + step, now)))
            if symbol not in self.engine.open_symbols():
                break
        self._bar_cursor[symbol] = max(self._bar_cursor[symbol], newest)
        return moved

    def _match(self, symbol: str, view: BookView) -> list[Order]:
        """Match resting orders once per distinct quote: the depth a remainder saw is taken,
        so asking again before the venue's quote moves must not fill it a second time."""
        q = view.quote
        key = (q.ts, q.bid, q.ask)
        if self._matched.get(symbol) == key:
            self.engine.mark(symbol, q.mid)
            return []
        self._matched[symbol] = key
        return self.engine.on_book(symbol, view, self.clock.now_ms())

    async def _refresh_marks(self) -> None:
        for symbol in self.engine.position_symbols():
            self.engine.mark(symbol, (await self.venue.quote(symbol)).mid)

    # ------------------------------------------------------------------ trading
    async def account(self) -> AccountState:
        await self._settle_funding()
        await self._refresh_marks()
        return self.engine.account(self.clock.now_ms())

    async def positions(self) -> list[Position]:
        await self._settle_funding()
        await self._refresh_marks()
        return self.engine.positions(self.clock.now_ms())

    async def place_order(self, intent: OrderIntent) -> Order:
        await self._load_specs()
        # settlements before this fill belong to the position as it was
        await self._settle_funding(force=True)
        known = intent.symbol in self.engine.specs
        fresh = not self.engine.knows(intent.client_order_id)
        book = await self._book(intent.symbol) if known and fresh else None
        order = self.engine.submit(intent, book, self.clock.now_ms())
        if book is not None:
            q = book.quote
            self._matched[intent.symbol] = (q.ts, q.bid, q.ask)
            self._bar_cursor[intent.symbol] = self._last_closed_open()  # no fills from before
        return order

    async def set_protection(self, symbol: str, stop: float | None = None,
                             take: float | None = None) -> dict[str, Order]:
        """Place or move the position's resting stop-loss / take-profit (None keeps a leg)."""
        await self._replay_bars(symbol)
        return self.engine.protect(symbol, self.clock.now_ms(), stop=stop, take=take)

    async def cancel_protection(self, symbol: str) -> list[Order]:
        return self.engine.cancel_protection(symbol, self.clock.now_ms())

    async def open_orders(self, symbol: str | None = None) -> list[Order]:
        """Resting orders with their client order ids (adoption after a restart)."""
        return self.engine.open_orders(symbol)

    async def cancel_order(self, client_order_id: str, symbol: str) -> Order:
        return self.engine.cancel(client_order_id, self.clock.now_ms())

    async def fetch_order(self, client_order_id: str, symbol: str) -> Order:
        order = self.engine.order(client_order_id)
        if not order.status.is_terminal:
            await self._replay_bars(order.symbol)
            self._match(order.symbol, await self._book(order.symbol))
            order = self.engine.order(client_order_id)
        return order

    async def fills_since(self, since_ms: int, symbol: str | None = None) -> list[Fill]:
        return self.engine.fills_since(since_ms, symbol)
