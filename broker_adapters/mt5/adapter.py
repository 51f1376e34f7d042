"""MetaTrader 5: forex, metals, indices from a terminal — natively or over an RPyC bridge.

``paper`` mode reads quotes and bars only (the factory wraps the adapter in ``PaperBroker``
and the adapter itself refuses to send orders); ``demo`` mode trades a demo account and
refuses, at connect, a terminal logged into a REAL account. Quantities are lots.

Times: MT5 stamps everything in trade-server wall-clock time. The offset to UTC comes from
``mt5.server_utc_offset_hours`` or is detected from the newest tick and the newest 1m bar of
every configured symbol against the clock: the freshest of them, rounded to 15 minutes when
it is under two minutes old. Older evidence (a quiet market) cannot tell a +1.25 h zone from
a +2 h one seen 45 minutes late, so the offset is then taken as the next whole hour above
the evidence (brokers' zones are whole hours) and ``offset_note`` says it is uncertain.
It is checked again every hour while connected, so a daylight-saving change during a run
moves it (only on fresh evidence). It is applied in ``convert`` only.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from ats.config.models import Mt5AdapterConfig
from ats.config.settings import Settings, refuse_live
from ats.domain import (
    AccountState,
    Bars,
    Clock,
    FxRates,
    InstrumentSpec,
    Mode,
    Position,
    Quote,
    RealClock,
    timeframe_ms,
)
from broker_adapters.base import Capabilities, FundingRate, OrderBook
from broker_adapters.errors import (
    BadSymbolError,
    CapabilityError,
    InvalidOrderError,
    SessionFatalError,
)
from broker_adapters.mt5 import constants as C
from broker_adapters.mt5 import convert
from broker_adapters.mt5.errors import VENUE, last_error_exception, live_account_refused
from broker_adapters.mt5.orders import Mt5Orders
from broker_adapters.mt5.resample import base_timeframe, resample
from broker_adapters.mt5.session import Mt5Session
from broker_adapters.mt5.terminal import BridgeTerminal, Mt5Terminal, NativeTerminal
from broker_adapters.retry import with_retries
from broker_adapters.validation import validate_bars

log = logging.getLogger(__name__)
T = TypeVar("T")
#: Detection trusts the newest tick only within ±6 h of the clock (real servers sit around
#: UTC-5..UTC+3); a larger gap means a stale tick (weekend, holiday), not a time zone.
MAX_DETECTED_OFFSET_S = 6 * 3600
FRESH_EVIDENCE_S = 120  # a tick/bar this recent pins the offset to the 15-minute grid
OFFSET_RECHECK_MS = 3_600_000


class Mt5Adapter(Mt5Orders):
    """The MT5 venue. Test extras: ``mt5_module`` (a fake module), ``terminal``, ``clock``."""

    name = VENUE

    def __init__(
        self,
        cfg: Mt5AdapterConfig,
        settings: Settings,
        *,
        mode: Mode,
        symbols: Sequence[str],
        mt5_module: Any | None = None,
        terminal: Mt5Terminal | None = None,
        clock: Clock | None = None,
        retry_attempts: int = 3,
        retry_base_delay: float = 0.5,
        deviation_points: int = 20,
        magic: int = 770_077,
    ) -> None:
        refuse_live(mode, "the MT5 adapter")
        if mode not in (Mode.PAPER, Mode.DEMO):
            raise SessionFatalError(f"MT5 supports --paper and --mode demo, not {mode.value}",
                                    venue=VENUE)
        if terminal is None:
            terminal = (NativeTerminal(mt5_module) if mt5_module is not None
                        or cfg.mode == "native"
                        else BridgeTerminal(cfg.host, cfg.port, cfg.timeout_seconds))
        self.cfg, self.mode, self.symbols = cfg, mode, tuple(symbols)
        self.session = Mt5Session(terminal, settings, cfg.timeout_seconds)
        self._clock: Clock = clock or RealClock()
        self._attempts, self._retry_delay = retry_attempts, retry_base_delay
        self.deviation, self.magic = deviation_points, magic
        self.virtual_asset: str | None = (
            (settings.virtual_asset if settings.use_virtual_trading else "DEMO")
            if mode is Mode.DEMO else settings.effective_virtual_asset)
        self.capabilities = Capabilities(
            depth=False, funding=False, ticks=True, trading=mode is Mode.DEMO,
            stop_orders=True, reduce_only=True, max_bars_per_request=10_000)
        self.offset_s = 0
        self.offset_note = ""  # why the detected offset is uncertain, when it is
        self._offset_checked_ms = 0
        self.hedging = True
        self.leverage = 100.0
        self._info: dict[str, dict[str, Any]] = {}
        self._connected = False
        Mt5Orders.__init__(self)

    # ------------------------------------------------------------------ lifecycle
    async def connect(self) -> None:
        self._connected = True  # so that close() shuts a half-started session down too
        try:
            await self.session.start()
            acc = await self.session.call("account_info")
            if acc["trade_mode"] == C.ACCOUNT_TRADE_MODE_REAL and self.mode is Mode.DEMO:
                raise live_account_refused(acc["login"], acc["server"])
            self.hedging = acc["margin_mode"] == C.ACCOUNT_MARGIN_MODE_RETAIL_HEDGING
            self.leverage = float(acc["leverage"] or 100)
            for sym in self.symbols:
                await self._select(sym)
            self.offset_s = await self._server_offset()
            self._offset_checked_ms = self._clock.now_ms()
            log.info("mt5: %s, server time = UTC%+.2f h", self.session.terminal.description,
                     self.offset_s / 3600)
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        if self._connected:
            self._connected = False
            await self.session.stop()

    async def __aenter__(self) -> Mt5Adapter:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _read(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Idempotent reads go through the shared retry helper."""
        if self._attempts <= 1:
            return await fn()
        return await with_retries(fn, attempts=self._attempts, base_delay=self._retry_delay,
                                  max_delay=max(self._retry_delay * 8, 0.001))

    async def _select(self, symbol: str) -> dict[str, Any]:
        """``symbol_select`` then ``symbol_info``; cached. Unknown symbols are BadSymbolError."""
        if symbol in self._info:
            return self._info[symbol]
        ok, _ = await self.session.raw("symbol_select", symbol, True)
        info, _ = await self.session.raw("symbol_info", symbol)
        if not ok or info is None:
            raise BadSymbolError(
                f"the MT5 terminal has no symbol {symbol!r}; check symbols.yaml against the "
                "broker's Market Watch names (suffixes like EURUSD.m differ per broker)",
                venue=VENUE)
        self._info[symbol] = info
        return info

    async def _offset_evidence(self) -> list[int]:
        """Server seconds of the newest tick and the newest 1m bar of every symbol."""
        out: list[int] = []
        for sym in self.symbols:
            tick, _ = await self.session.raw("symbol_info_tick", sym)
            if tick is not None and int(tick["time"]) > 0:
                out.append(int(tick["time"]))
            rates, _ = await self.session.raw("copy_rates_from_pos", sym, C.TIMEFRAMES["1m"],
                                              0, 1)
            if rates is not None and len(rates):
                out.append(int(rates["time"][-1]))
        return out

    async def _server_offset(self, previous: int | None = None) -> int:
        """The server's offset from UTC in seconds (see the module docstring); with
        ``previous`` (a re-check) uncertain evidence keeps the previous value."""
        if self.cfg.server_utc_offset_hours is not None:
            return int(round(self.cfg.server_utc_offset_hours * 3600))
        now_s = self._clock.now_ms() // 1000
        evidence = [t for t in await self._offset_evidence() if t - now_s <= 14 * 3600]
        if not evidence:
            if previous is not None:
                return previous
            raise SessionFatalError("no tick to detect the MT5 server time zone from; set "
                                    "mt5.server_utc_offset_hours in adapters.yaml", venue=VENUE)
        diff = max(evidence) - now_s  # the freshest: older ticks only pull it down
        grid = int(round(diff / 900.0)) * 900
        if abs(grid - diff) <= FRESH_EVIDENCE_S:
            self.offset_note = ""
            offset = grid
        else:
            offset = int(math.ceil(diff / 3600.0)) * 3600
            if previous is not None:
                offset = previous
            self.offset_note = (
                f"MT5 server time is uncertain: the newest tick or bar of "
                f"{', '.join(self.symbols)} is {(offset - diff) / 60:.0f} min old, so ATS "
                f"assumes UTC{offset / 3600:+g} h; set mt5.server_utc_offset_hours in "
                "adapters.yaml to be sure")
            log.warning(self.offset_note)
        if abs(offset) > MAX_DETECTED_OFFSET_S:
            if previous is not None:
                return previous
            raise SessionFatalError(
                f"cannot detect the MT5 server time zone: the newest tick is {diff / 3600:.1f} h "
                "from the clock (market closed?); set mt5.server_utc_offset_hours in "
                "adapters.yaml (e.g. 2 in winter, 3 in summer for most brokers)", venue=VENUE)
        return offset

    async def _recheck_offset(self) -> None:
        """Detect the offset again once an hour (daylight saving moves it during a run)."""
        now = self._clock.now_ms()
        if (self.cfg.server_utc_offset_hours is not None
                or now - self._offset_checked_ms < OFFSET_RECHECK_MS):
            return
        self._offset_checked_ms = now
        new = await self._server_offset(previous=self.offset_s)
        if new != self.offset_s:
            log.warning("mt5: the server's time moved from UTC%+.2f h to UTC%+.2f h (daylight "
                        "saving?); times are converted with the new offset from now on",
                        self.offset_s / 3600, new / 3600)
            self.offset_s = new

    # ------------------------------------------------------------------ market data
    async def server_time(self) -> int:
        return self._clock.now_ms()

    def _server_now(self) -> int:
        return self._clock.now_ms() // 1000 + self.offset_s

    async def instruments(self) -> dict[str, InstrumentSpec]:
        return {s: convert.instrument(await self._select(s), self.leverage)
                for s in self.symbols}

    def _tf(self, timeframe: str) -> tuple[int, int]:
        if timeframe not in C.TIMEFRAMES:
            raise InvalidOrderError(f"timeframe {timeframe!r} is not available on MT5; use one "
                                    f"of {', '.join(C.TIMEFRAMES)}", venue=VENUE)
        return C.TIMEFRAMES[timeframe], timeframe_ms(timeframe) // 1000

    async def _rates(self, name: str, *args: Any) -> np.ndarray:
        rates, err = await self.session.raw(name, *args)
        if rates is None:
            if err[0] == C.RES_E_NOT_FOUND:  # "no history" for that range: no bars, not an error
                return np.zeros(0)
            raise last_error_exception(err[0], err[1], name)
        return rates

    def _utc_bars(self, symbol: str, timeframe: str, rates: np.ndarray) -> Bars:
        point = float(self._info[symbol]["point"])
        return convert.bars(symbol, timeframe, rates, self.offset_s, point)

    @staticmethod
    def _validated(bars: Bars) -> Bars:
        clean, _issues = validate_bars(bars, venue=VENUE, repair=True)  # it logs each issue
        return clean

    def _closed(self, rates: np.ndarray, tf_s: int) -> np.ndarray:
        if not len(rates):
            return rates
        return rates[rates["time"] + tf_s <= self._server_now()]

    async def _native_history(self, symbol: str, timeframe: str, since_ms: int,
                              limit: int) -> Bars:
        """Closed bars of the terminal's own timeframe from ``since_ms``; the window widens
        over weekends and holidays until ``limit`` bars or "now" is reached."""
        tfc, tf_s = self._tf(timeframe)
        start = -(-since_ms // 1000) + self.offset_s
        span = max(limit, 1) * tf_s
        closed = np.zeros(0)
        for _ in range(8):
            end = min(start + span, self._server_now())
            rates = await self._read(
                lambda e=end: self._rates("copy_rates_range", symbol, tfc, start, e))
            closed = self._closed(rates, tf_s)
            if len(closed) >= limit or end >= self._server_now():
                break
            span *= 3
        return self._utc_bars(symbol, timeframe, closed[:limit])

    async def _native_latest(self, symbol: str, timeframe: str, n: int) -> Bars:
        tfc, tf_s = self._tf(timeframe)
        rates = await self._read(lambda: self._rates("copy_rates_from_pos", symbol, tfc, 0, n + 1))
        closed = self._closed(rates, tf_s)
        return self._utc_bars(symbol, timeframe, closed[-n:] if n else closed[:0])

    async def history(self, symbol: str, timeframe: str, since_ms: int | None,
                      limit: int) -> Bars:
        await self._select(symbol)
        await self._recheck_offset()
        self._tf(timeframe)
        if since_ms is None:
            return await self.latest_bars(symbol, timeframe, limit)
        base = base_timeframe(timeframe, self.offset_s)
        if base is None:
            return self._validated(await self._native_history(symbol, timeframe, since_ms, limit))
        tf = timeframe_ms(timeframe)
        want = (limit + 1) * (tf // timeframe_ms(base))
        raw = await self._native_history(symbol, base, -(-since_ms // tf) * tf, want)
        out = resample(raw, timeframe, self._clock.now_ms(), drop_first=False)
        if len(raw) >= want and len(out):  # the last bucket may be cut short by the limit
            out = out.slice(0, len(out) - 1)
        return self._validated(out.slice(0, limit))

    async def latest_bars(self, symbol: str, timeframe: str, n: int) -> Bars:
        await self._select(symbol)
        await self._recheck_offset()
        self._tf(timeframe)
        base = base_timeframe(timeframe, self.offset_s)
        if base is None:
            return self._validated(await self._native_latest(symbol, timeframe, n))
        ratio = timeframe_ms(timeframe) // timeframe_ms(base)
        raw = await self._native_latest(symbol, base, (n + 2) * ratio)
        out = resample(raw, timeframe, self._clock.now_ms(), drop_first=True)
        return self._validated(out.tail(n))

    async def ticks(self, symbol: str, since_ms: int, count: int = 10_000) -> np.ndarray:
        """Raw ticks (the official dtype) with ``time_msc`` converted to UTC ms."""
        await self._select(symbol)
        start = since_ms // 1000 + self.offset_s
        ticks = await self._read(lambda: self._rates("copy_ticks_from", symbol, start, count, -1))
        if len(ticks):
            ticks = ticks.copy()
            ticks["time_msc"] -= self.offset_s * 1000
            ticks["time"] -= self.offset_s
        return ticks

    async def quote(self, symbol: str) -> Quote:
        await self._select(symbol)
        await self._recheck_offset()

        async def once() -> Quote:
            tick, err = await self.session.raw("symbol_info_tick", symbol)
            if tick is None:  # dropped from Market Watch meanwhile: select again, once
                await self.session.raw("symbol_select", symbol, True)
                tick = await self.session.call("symbol_info_tick", symbol)
            return convert.quote(symbol, tick, self.offset_s)

        return await self._read(once)

    async def order_book(self, symbol: str, depth: int = 10) -> OrderBook:
        raise CapabilityError("the MT5 adapter does not read market depth (most FX brokers "
                              "publish none)", venue=VENUE)

    async def funding_rate(self, symbol: str) -> FundingRate:
        raise CapabilityError("MT5 instruments have swaps, not funding rates", venue=VENUE)

    async def fx_rates(self) -> FxRates:
        """Conversion to the account currency from each symbol's live tick value."""
        acc = await self._read(lambda: self.session.call("account_info"))
        rates: dict[str, float] = {}
        for sym in self.symbols:
            info, _ = await self.session.raw("symbol_info", sym)
            rate = convert.quote_rate(info) if info is not None else None
            if rate is not None:
                rates.setdefault(str(info["currency_profit"]).upper(), rate)
        return FxRates(str(acc["currency"]).upper(), rates, source="mt5 tick value")

    # ------------------------------------------------------------------ account
    async def account(self) -> AccountState:
        acc = await self._read(lambda: self.session.call("account_info"))
        return AccountState(
            balance=float(acc["balance"]), equity=float(acc["equity"]),
            margin_used=float(acc["margin"]), free_margin=float(acc["margin_free"]),
            currency=str(acc["currency"]), ts=self._clock.now_ms(),
            virtual_asset=self.virtual_asset)

    async def positions(self) -> list[Position]:
        rows = await self._read(lambda: self.session.rows("positions_get"))
        return [convert.position(p, self.offset_s, self.virtual_asset) for p in rows]

    async def _positions_of(self, symbol: str) -> list[dict[str, Any]]:
        return await self.session.rows("positions_get", symbol=symbol)

