"""The synchronizer: mirror a venue's closed bars, optional ticks and its own fills into SQLite.

Per (symbol, timeframe) it backfills what is missing — from the stored cursor, from
``--since``, or ``backfill_bars`` back on a first run — then follows, polling every
``poll_interval`` seconds of *clock* time. Each batch of bars and its cursor commit in one
transaction (``PersistDAO.store_bars``), so a crash at any instant leaves a file whose cursor
never points past missing rows, and a rerun resumes with no gap and (thanks to upserts) no
duplicate. Venue calls retry ``RetryableError`` with exponential backoff and jitter
(``broker_adapters.retry``); every pass that stored rows and every failure lands in
``sync_logs``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from ats.domain import Bars, Clock, Fill, Order, timeframe_ms
from broker_adapters.base import BrokerAdapter
from broker_adapters.errors import (
    BadBarError,
    CapabilityError,
    OrderFatalError,
    SessionFatalError,
    VenueError,
)
from broker_adapters.retry import with_retries
from storage.dao import PersistDAO
from storage.errors import InvalidDataError, StorageError

T = TypeVar("T")
ProgressFn = Callable[[str, str, int, int], None]  # symbol, timeframe, done, total


class SyncAborted(Exception):
    """The venue refused the session (credentials, permissions); syncing cannot go on."""


@dataclass
class TargetReport:
    """What one (symbol, timeframe, stream) did during this run."""

    symbol: str
    timeframe: str
    stream: str
    rows: int = 0
    batches: int = 0
    first_ts: int | None = None
    last_ts: int | None = None
    errors: int = 0
    last_error: str | None = None
    seconds: float = 0.0


@dataclass
class SyncSummary:
    source: str
    targets: dict[tuple[str, str, str], TargetReport] = field(default_factory=dict)
    polls: int = 0
    stopped: bool = False
    aborted: str | None = None
    abort_cause: BaseException | None = None  # what stopped it (decides the exit code)

    def target(self, symbol: str, timeframe: str, stream: str) -> TargetReport:
        key = (symbol, timeframe, stream)
        if key not in self.targets:
            self.targets[key] = TargetReport(symbol, timeframe, stream)
        return self.targets[key]

    @property
    def rows(self) -> int:
        return sum(r.rows for r in self.targets.values())

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.targets.values())


def _select(bars: Bars, mask: np.ndarray) -> Bars:
    return Bars(bars.symbol, bars.timeframe, *(getattr(bars, c)[mask] for c in (
        "ts", "open", "high", "low", "close", "volume", "spread")))


class Synchronizer:
    """Backfill then follow one adapter for a set of symbols and timeframes."""

    def __init__(
        self,
        adapter: BrokerAdapter,
        dao: PersistDAO,
        clock: Clock,
        *,
        symbols: Sequence[str],
        timeframes: Sequence[str],
        backfill_bars: int = 2000,
        poll_interval: float = 5.0,
        since_ms: int | None = None,
        batch_size: int | None = None,
        ticks: bool = False,
        trades: bool = True,
        retry_attempts: int = 4,
        retry_base_delay: float = 0.5,
        on_progress: ProgressFn | None = None,
    ) -> None:
        for tf in timeframes:
            timeframe_ms(tf)
        self.adapter = adapter
        self.dao = dao
        self.clock = clock
        self.source = adapter.name
        self.symbols = tuple(symbols)
        self.timeframes = tuple(timeframes)
        self.backfill_bars = backfill_bars
        self.poll_interval = poll_interval
        self.since_ms = since_ms
        cap = max(1, adapter.capabilities.max_bars_per_request)
        self.batch_size = min(batch_size, cap) if batch_size else cap
        self.ticks = ticks
        self.trades = trades and adapter.capabilities.trading
        self.retry_attempts = retry_attempts
        self.retry_base_delay = retry_base_delay
        self.on_progress = on_progress
        self.summary = SyncSummary(self.source)
        self._stop = asyncio.Event()
        self._dead: set[tuple[str, str]] = set()

    # ------------------------------------------------------------------ control
    def request_stop(self) -> None:
        """Stop after the batch in flight commits (signal handlers call this)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    async def run(self, *, follow: bool = False, max_polls: int | None = None) -> SyncSummary:
        """Backfill every target; with ``follow``, keep polling until stopped (or
        ``max_polls`` passes). Returns the run's summary (also written to ``sync_logs``)."""
        t0 = time.monotonic()
        try:
            await self._mirror_instruments()
            await self.pass_once(phase="backfill")
            while follow and not self.stopping and (
                max_polls is None or self.summary.polls < max_polls
            ):
                await self._sleep(self.poll_interval)
                if self.stopping:
                    break
                await self.pass_once(phase="follow")
                self.summary.polls += 1
        except SyncAborted as exc:
            self.summary.aborted = str(exc)
            self.summary.abort_cause = exc.__cause__
        finally:
            self.summary.stopped = self.stopping
            await self._log(phase="run", stream="all", rows=self.summary.rows,
                            seconds=time.monotonic() - t0, error=self.summary.aborted)
        return self.summary

    async def pass_once(self, *, phase: str) -> None:
        """One sweep over every target: bars, then ticks, then fills."""
        for symbol in self.symbols:
            for tf in self.timeframes:
                if self.stopping:
                    return
                await self._guard(symbol, tf, "bars", phase, self._sync_bars(symbol, tf, phase))
        if self.ticks and not self.stopping:
            await self._guard("*", "", "ticks", phase, self._sync_ticks())
        if self.trades and not self.stopping:
            await self._guard("*", "", "fills", phase, self._sync_fills())

    # ------------------------------------------------------------------ streams
    async def _sync_bars(self, symbol: str, tf: str, phase: str) -> None:
        report = self.summary.target(symbol, tf, "bars")
        tf_ms = timeframe_ms(tf)
        now = self.clock.now_ms()
        newest_closed = (now // tf_ms) * tf_ms - tf_ms  # open time of the last closed bar
        cursor = await asyncio.to_thread(self.dao.get_cursor, self.source, symbol, tf, "bars")
        if phase == "backfill" and self.since_ms is not None:
            start = (self.since_ms // tf_ms) * tf_ms
        elif cursor is not None:
            start = cursor + tf_ms
        else:
            start = newest_closed - (self.backfill_bars - 1) * tf_ms
        total = max(0, (newest_closed - start) // tf_ms + 1)
        done = 0
        t0 = time.monotonic()
        stored = 0
        while start <= newest_closed and not self.stopping:
            since = start
            bars = await self._call(
                lambda s=since: self.adapter.history(symbol, tf, s, self.batch_size)
            )
            if len(bars):
                ts = np.asarray(bars.ts, dtype=np.int64)
                bars = _select(bars, (ts >= since) & (ts + tf_ms <= now))
            if not len(bars):
                break  # caught up (or the venue has nothing newer yet)
            last = int(bars.ts[-1])
            fetched = len(bars)
            bars = await self._drop_unstorable(bars, phase)
            if len(bars):
                n = await asyncio.to_thread(self.dao.store_bars, bars, self.source, ts=now)
                report.rows += n
                stored += n
                report.batches += 1
                if report.first_ts is None:
                    report.first_ts = int(bars.ts[0])
                report.last_ts = int(bars.ts[-1])
            done = min(total, done + fetched) if last < newest_closed else total
            if self.on_progress:
                self.on_progress(symbol, tf, done, total)
            start = last + tf_ms
        elapsed = time.monotonic() - t0
        report.seconds += elapsed
        if self.on_progress and done < total:
            self.on_progress(symbol, tf, total, total)
        if stored or phase == "backfill":
            await self._log(phase=phase, stream="bars", symbol=symbol, timeframe=tf,
                            rows=stored, seconds=elapsed)

    async def _sync_ticks(self) -> None:
        report = self.summary.target("*", "", "ticks")
        t0 = time.monotonic()
        quotes = []
        for symbol in self.symbols:
            quotes.append(await self._call(lambda s=symbol: self.adapter.quote(s)))
        n = await asyncio.to_thread(self.dao.record_ticks, self.source, quotes)
        report.rows += n
        report.batches += 1
        report.seconds += time.monotonic() - t0

    async def _sync_fills(self) -> None:
        report = self.summary.target("*", "", "fills")
        t0 = time.monotonic()
        now = self.clock.now_ms()
        cursor = await asyncio.to_thread(self.dao.get_cursor, self.source, "*", "", "fills")
        if cursor is not None:
            since = cursor  # inclusive: fills sharing the cursor's ms are deduplicated by key
        elif self.since_ms is not None:
            since = self.since_ms
        else:
            longest = max(timeframe_ms(tf) for tf in self.timeframes)
            since = now - self.backfill_bars * longest
        fills = await self._call(lambda: self.adapter.fills_since(since))
        if cursor is not None and fills:
            # The cursor's own millisecond is re-read on purpose; skip what is already stored
            # so each poll does not fetch the same order again.
            seen = {(f.venue, f.fill_id) for f in await asyncio.to_thread(
                self.dao.load_fills, since_ms=cursor)}
            fills = [f for f in fills if (f.venue, f.fill_id) not in seen]
        orders: list[Order] = []
        for coid, sym in sorted({(f.client_order_id, f.symbol) for f in fills}):
            try:
                order = await self._call(lambda c=coid, s=sym: self.adapter.fetch_order(c, s))
                orders.append(order)
            except OrderFatalError:
                continue  # the venue forgot the order; the fill itself is still mirrored
        n = await asyncio.to_thread(self._store_fills, fills, orders, now)
        report.rows += n
        report.batches += 1
        report.seconds += time.monotonic() - t0
        if n:
            await self._log(phase="follow", stream="fills", rows=n,
                            seconds=time.monotonic() - t0)

    async def _drop_unstorable(self, bars: Bars, phase: str) -> Bars:
        """Drop bars with NaN/inf values (logged with their times). Storing them is refused
        and refetching them forever would stall the target; the hole stays visible as a gap."""
        cols = np.vstack([bars.open, bars.high, bars.low, bars.close, bars.volume, bars.spread])
        ok = np.isfinite(cols).all(axis=0)
        if ok.all():
            return bars
        bad = [int(x) for x in bars.ts[~ok][:5]]
        report = self.summary.target(bars.symbol, bars.timeframe, "bars")
        report.errors += 1
        report.last_error = f"dropped {int((~ok).sum())} bar(s) with NaN/inf values, ts {bad}"
        await self._log(phase=phase, stream="bars", symbol=bars.symbol,
                        timeframe=bars.timeframe, rows=0, seconds=0.0, error=report.last_error)
        return _select(bars, ok)

    def _store_fills(self, fills: list[Fill], orders: list[Order], now: int) -> int:
        run_id = f"sync:{self.source}"
        with self.dao.batch():
            for order in orders:
                self.dao.record_order(order, run_id)
            n = self.dao.record_fills(fills, run_id)
            if fills:
                self.dao.set_cursor(self.source, "*", "", "fills", max(f.ts for f in fills),
                                    ts=now)
        return n

    async def _mirror_instruments(self) -> None:
        try:
            specs = await self._call(self.adapter.instruments)
        except (VenueError, BadBarError) as exc:
            await self._log(phase="backfill", stream="instruments", rows=0, seconds=0.0,
                            error=str(exc))
            if isinstance(exc, SessionFatalError):
                raise SyncAborted(str(exc)) from exc
            return
        wanted = [s for s in specs.values() if s.symbol in self.symbols] or list(specs.values())
        await asyncio.to_thread(self.dao.upsert_instruments, self.source, wanted)

    # ------------------------------------------------------------------ plumbing
    async def _call(self, fn: Callable[[], Awaitable[T]]) -> T:
        return await with_retries(
            fn, attempts=self.retry_attempts, base_delay=self.retry_base_delay,
            max_delay=30.0, sleep=self.clock.sleep,
        )

    async def _guard(self, symbol: str, tf: str, stream: str, phase: str,
                     work: Awaitable[None]) -> None:
        """Run one target's work; venue trouble is logged and the sweep goes on, a refused
        session aborts, and a storage fault (disk full) stops the run with the cursor
        consistent."""
        if (symbol, tf or stream) in self._dead:
            work.close()  # type: ignore[attr-defined]
            return
        try:
            await work
        except InvalidDataError as exc:  # a venue sent an unstorable bar: skip this target
            await self._target_error(symbol, tf, stream, phase, exc)
        except (SessionFatalError, StorageError) as exc:
            self.summary.target(symbol, tf, stream).errors += 1
            self.summary.target(symbol, tf, stream).last_error = str(exc)
            await self._log(phase=phase, stream=stream, symbol=symbol, timeframe=tf, rows=0,
                            seconds=0.0, error=str(exc))
            raise SyncAborted(str(exc)) from exc
        except (VenueError, BadBarError, ValueError) as exc:
            await self._target_error(symbol, tf, stream, phase, exc)

    async def _target_error(self, symbol: str, tf: str, stream: str, phase: str,
                            exc: Exception) -> None:
        report = self.summary.target(symbol, tf, stream)
        report.errors += 1
        report.last_error = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, OrderFatalError | CapabilityError):
            self._dead.add((symbol, tf or stream))  # bad symbol / unsupported: stop asking
        await self._log(phase=phase, stream=stream, symbol=symbol, timeframe=tf, rows=0,
                        seconds=0.0, error=report.last_error)

    async def _log(self, *, phase: str, stream: str, rows: int, seconds: float,
                   symbol: str = "", timeframe: str = "", error: str | None = None) -> None:
        try:
            await asyncio.to_thread(
                self.dao.sync_log, ts=self.clock.now_ms(), source=self.source, symbol=symbol,
                timeframe=timeframe, stream=stream, phase=phase, rows=rows,
                duration_ms=seconds * 1000.0, error=error,
            )
        except StorageError:
            pass  # the fault itself is reported by the caller; a full disk cannot log it

    async def _sleep(self, seconds: float) -> None:
        """Sleep in clock time, waking early when a stop is requested."""
        sleeper = asyncio.ensure_future(self.clock.sleep(seconds))
        stopper = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, stopper):
                task.cancel()
