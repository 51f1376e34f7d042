"""BrainOrchestrator: one cycle per closed bar — regime → selection → risk → execution → monitor.

The orchestrator owns the cycle's order and its safety: each stage runs inside a guard so a
failing agent turns its graph node red and the cycle continues without it (no stage after a
failed selection or risk step can send an order, so failing closed is automatic). Locks are
checked before risk, exits bypass them, and every cycle leaves one journal record and one
immutable ``BrainSnapshot`` for the TUI and the exporter.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from time import perf_counter
from typing import TYPE_CHECKING, Any, cast

from ats.brain.account import AccountError, AccountKeeper, StatePart, paper_engine
from ats.brain.actions import ActionQueue, ActionResult
from ats.brain.actions import drain as drain_actions
from ats.brain.agents import (
    ExecInput,
    ExecResult,
    ExecutionAgent,
    LockStatus,
    MarketRegimeAgent,
    MonitorAgent,
    MonitorInput,
    RiskInput,
    RiskManagerAgent,
    RiskResult,
    StrategySelectionAgent,
)
from ats.brain.cycle import CycleWork, is_fatal_storage, run_stages
from ats.brain.funding import FundingBook, restore_funding
from ats.brain.fx import currency_mismatches, refresh_fx
from ats.brain.latency import LatencyBook
from ats.brain.locks import LockEvent, LockManager
from ats.brain.market import BarWindow
from ats.brain.ports import BrainCounters
from ats.brain.recovery import initial_regimes, recover
from ats.brain.report import percentile
from ats.brain.shadow import ShadowBook
from ats.brain.snapshot import build_snapshot
from ats.brain.state import BrainSnapshot, EquityPoint
from ats.brain.tools import ToolContext, ToolRegistry
from ats.brain.venue_timing import TimedVenue
from ats.config.loader import LockedGovernance
from ats.domain import Bars, Clock, FxRates, InstrumentSpec, Mode, timeframe_ms
from ats.i18n.said import Said, with_said
from broker_adapters.errors import SessionFatalError, VenueError
from storage.accounts import AccountBusyError
from storage.errors import StorageError

if TYPE_CHECKING:
    from ats.config.models import EnableMap
    from ats.portfolio.controller import PortfolioController
    from ats.risk.engine import RiskEngine
    from ats.strategies.base import TradingStrategy
    from broker_adapters.base import BrokerAdapter
    from storage.protocol import Ledger

log = logging.getLogger(__name__)

Sink = Callable[[BrainSnapshot], None]


class _RollBack(Exception):
    """Abandon the cycle's transaction (a fatal storage fault struck inside it)."""


class BrainStartError(RuntimeError):
    """The brain could not start (venue unreachable, feed stale, no instruments)."""


class BrainOrchestrator:
    """See the module docstring; built by ``ats.brain.runtime.build_orchestrator``."""

    def __init__(
        self, *, governance: LockedGovernance, enable_map: EnableMap, adapter: BrokerAdapter,
        dao: Ledger, clock: Clock, registry: ToolRegistry, portfolio: PortfolioController,
        risk_engine: RiskEngine, symbols: tuple[str, ...], timeframes: tuple[str, ...],
        strategies: dict[str, TradingStrategy],
        challengers: dict[str, TradingStrategy] | None = None, run_id: str, mode: Mode = Mode.PAPER,
        venue: str = "mock", virtual_asset: str | None = None, skip_feed_check: bool = False,
        feed_max_age_ms: int | None = None, owns_dao: bool = False,
        sinks: list[Sink] | None = None, window_margin: int = 50,
        max_symbols_for_correlation: int = 30, max_cycles: int | None = None,
        max_seconds: float | None = None, starting_equity: float = 10_000.0,
        currency: str = "USD",
    ) -> None:
        self.locked_governance = governance
        self.governance = governance.governance
        self.enable_map = enable_map
        # Latency histograms for the exporter: venue round trips (every awaited adapter
        # call, through the transparent TimedVenue wrapper) and cycle stages.
        self.venue_latency = LatencyBook()
        self.stage_latency = LatencyBook()
        self.spreads: dict[str, float] = {}  # symbol -> spread/mid of the last quote seen
        # The proxy is transparent (see venue_timing), so it is the adapter to everyone.
        adapter = cast("BrokerAdapter", TimedVenue(adapter, self.venue_latency, self.spreads))
        self.adapter: BrokerAdapter = adapter
        self.dao: Ledger = dao
        self.clock = clock
        self.registry = registry
        self.portfolio = portfolio
        self.run_id = run_id
        self.mode = mode
        self.venue = venue
        self.symbols = tuple(symbols)
        self.timeframes = tuple(sorted(set(timeframes), key=timeframe_ms))
        self.skip_feed_check = skip_feed_check
        self.feed_max_age_ms = feed_max_age_ms
        self.owns_dao = owns_dao
        self.default_limits = (max_cycles, max_seconds)  # RunOptions' limits for run()
        self.max_corr_symbols = max_symbols_for_correlation
        self._sinks: list[Sink] = list(sinks or [])
        self.ctx = ToolContext(
            governance=self.governance, enable_map=enable_map, clock=clock, run_id=run_id,
            risk_engine=risk_engine, portfolio=portfolio, adapter=adapter, dao=dao,
            venue=venue, virtual_asset=virtual_asset, sinks=self._sinks,
        )
        self.regime_agent = MarketRegimeAgent(self.ctx)
        self.selection = StrategySelectionAgent(registry, self.ctx, strategies, challengers)
        self.risk_agent = RiskManagerAgent(registry, self.ctx)
        self.exec_agent = ExecutionAgent(registry, self.ctx)
        self.monitor = MonitorAgent(registry, self.ctx)
        self.locks = LockManager(dao, getattr(dao, "account", None))
        self.shadow = ShadowBook()
        self.counters = BrainCounters()
        self.instruments: dict[str, InstrumentSpec] = {}
        need = max([self.regime_agent.bars_needed]
                   + [int(s.bars_needed) for s in self.selection.strategies.values()]
                   + [int(s.bars_needed) for s in self.selection.challengers.values()])
        self.window_size = need + window_margin
        self.windows: dict[tuple[str, str], BarWindow] = {
            (s, tf): BarWindow(s, tf, self.window_size) for s in self.symbols
            for tf in self.timeframes
        }
        self.regime_tf = self.timeframes[-1]
        self.fine_tf = self.timeframes[0]
        self.paused = False
        self.connected = False
        self.focus: str | None = None
        self.vol_quantiles: dict[str, float] = {}
        # Funding history per perpetual: restored, backfilled and stored (ats.brain.funding);
        # only for timeframes a funding-aware strategy trades.
        self.funding = FundingBook()  # settled rates per perpetual (ats.brain.funding)
        self.funding_next: dict[str, int] = {}
        self.basis: dict[str, float] = {}
        self.funding_tfs = {s.timeframe for n, s in {**self.selection.strategies,
                                                     **self.selection.challengers}.items()
                            if getattr(s, "uses_funding", "funding" in n)}
        self.equity_history: deque[EquityPoint] = deque(maxlen=500)
        # Conversion to the account currency (ats.brain.fx): refreshed at start and per cycle.
        self.fx = FxRates()
        self.fx_note = ""
        # Why each strategy's latest entry was refused (shown on the desk until it plans).
        self.refusals: dict[str, str] = {}
        # symbols.yaml ``instruments``: expected quote/margin currencies (runtime sets them).
        self.declared_currencies: dict[str, Any] = {}
        self.last_error = ""
        # A storage fault no retry can fix (full disk, read-only, corrupt): the run stops
        # after the cycle it happened in instead of cycling on with nothing recorded.
        self.fatal: StorageError | None = None
        self.last_journal_id: int | None = None
        self._snapshot = BrainSnapshot(run_id=run_id, mode=mode, venue=venue)
        self._cycle_lock = asyncio.Lock()
        self.warm_start = True  # the first cycle evaluates every timeframe (see cycle.py)
        self.actions = ActionQueue()  # the trader's actions, drained at the start of a cycle
        self.action_results: deque[ActionResult] = deque(maxlen=50)
        self._started = False
        self._stopped = False
        self._wall0 = time.monotonic()
        self.keeper = AccountKeeper(dao)
        self.account_defaults = (float(starting_equity), currency)
        cooldowns = registry.get("manage_cooldown") if "manage_cooldown" in registry else None
        if isinstance(cooldowns, StatePart):
            self.keeper.register(cooldowns)
        # A paper venue lives in this process: its book is saved with the cycle in one
        # transaction, so a crash loses the cycle in flight, never half of it.
        self.atomic_cycles = self.keeper.durable and paper_engine(adapter, mode) is not None
        self.clock_held_ms = 0
        self.reconcile_block = ""  # an unexplained ledger/venue difference found on start
        self._done_close: int | None = None
        self._sim0 = clock.now_ms()
        self.db_busy_cycles = 0

    # ------------------------------------------------------------------ public API
    @property
    def snapshot(self) -> BrainSnapshot:
        return self._snapshot

    def add_sink(self, sink: Sink) -> None:
        self._sinks.append(sink)

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False

    def set_focus(self, symbol: str | None) -> None:
        self.focus = symbol

    def bars(self, symbol: str, timeframe: str | None = None) -> Bars | None:
        """The rolling window the brain trades on (for charts); None if not subscribed."""
        w = self.windows.get((symbol, timeframe or self.fine_tf))
        return w.view() if w is not None and len(w) else None

    def journal_event(self, kind: str, text: str, payload: dict[str, Any] | None = None,
                      level: str = "info") -> int | None:
        ts = self.clock.now_ms()
        body = dict(payload or {})
        body.setdefault("message", text)
        with_said(body, text)  # a Said: the desk shows it again in the reader's language
        try:
            rid = self.dao.journal(kind, body, ts=ts, run_id=self.run_id, text=text)
            self.dao.log(level, text, ts=ts, source="brain", run_id=self.run_id)
            self.last_journal_id = rid
            return rid
        except Exception as exc:  # the journal failing must be loud but not fatal
            log.error("journal write failed (%s): %s", exc, text)
            return None
        finally:
            getattr(log, level if level in ("info", "warning", "error") else "info")(text)

    def lock_events(self, events: list[LockEvent | None]) -> None:
        for ev in events:
            if ev is None:
                continue
            self.counters.locks.append(f"{ev.kind} {ev.name}: {ev.reason}")
            self.journal_event(ev.kind, ev.reason, {"lock": ev.name, "reason": ev.reason},
                               level="warning" if ev.kind == "lock" else "info")

    async def engage_kill_switch(self, reason: str) -> None:
        self.lock_events([self.locks.engage_kill(reason, self.clock.now_ms())])
        self._refresh_snapshot()

    async def unlock_kill_switch(self, reason: str) -> None:
        now = self.clock.now_ms()
        self.lock_events([self.locks.unlock_kill(reason, now)])
        self.rebase_drawdown(now)
        self._refresh_snapshot()

    def rebase_drawdown(self, ts: int) -> None:
        """After an unlock, measure the trailing drawdown from now on.

        Otherwise the same old peak would re-trip the kill switch on the next cycle and the
        trader's decision to resume would be overruled by arithmetic.
        """
        pf = self.portfolio
        pf.restore(list(pf.positions.values()), None, pf.balance, [(ts, pf.equity)],
                   realized_pnl=pf.realized_pnl, fees_paid=pf.fees_paid,
                   loss_streak=pf.loss_streak, day_start_equity=pf.day_start_equity, ts=ts,
                   closed_trades=list(pf.closed_trades))

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Connect, check the feed, learn instruments, backfill, recover, open the run."""
        if self._started:
            return
        self._hold_clock(timeframe_ms(self.fine_tf))  # start-up must not skip bars either
        try:
            await self.adapter.connect()
            self.connected = True
            if not self.skip_feed_check:
                await self._feed_check()
            specs = await self.adapter.instruments()
        except SessionFatalError as exc:
            raise BrainStartError(f"{self.venue}: session refused: {exc}") from exc
        except (VenueError, OSError) as exc:
            raise BrainStartError(f"{self.venue}: cannot connect: {exc}") from exc
        missing = [s for s in self.symbols if s not in specs]
        if missing:
            raise BrainStartError(f"{self.venue} does not list {', '.join(missing)}; fix "
                                  "symbols.yaml or pass --symbols the venue knows")
        self.instruments = {s: specs[s] for s in self.symbols}
        try:  # the first write: a venue that cannot be reached leaves the database as it was
            self.keeper.open(self, starting_equity=self.account_defaults[0],
                             currency=self.account_defaults[1])
        except (AccountError, AccountBusyError) as exc:
            raise BrainStartError(str(exc)) from exc
        for text in currency_mismatches(self.instruments, self.declared_currencies):
            self.journal_event("event", Said("event.instrument_currency", text=text),
                               level="warning")
        self.dao.upsert_instruments(self.venue, list(self.instruments.values()))
        for (sym, tf), w in self.windows.items():
            w.extend(await self.adapter.latest_bars(sym, tf, self.window_size))
        initial_regimes(self)
        await self.update_fx(account_currency=True)
        await recover(self)
        await self.update_fx()  # recovery may have rebuilt the portfolio
        await restore_funding(self)
        now = self.clock.now_ms()
        self.dao.open_run(self.run_id, mode=self.mode.value, adapter=self.venue, ts=now,
                          meta={"symbols": list(self.symbols), "timeframes": list(self.timeframes),
                                "governance_sha256": self.locked_governance.sha256})
        self._started = True
        self.journal_event("event", Said("event.run.started", run_id=self.run_id,
                                         venue=self.venue, mode=self.mode.value,
                                         n=len(self.symbols),
                                         timeframes=",".join(self.timeframes)))
        self._refresh_snapshot()

    async def update_fx(self, *, account_currency: bool = False) -> str:
        """Fetch the venue's conversion rates into the portfolio; returns a warning or ""."""
        if account_currency:
            try:
                self.fx = FxRates((await self.adapter.account()).currency.upper())
            except (VenueError, OSError) as exc:
                raise BrainStartError(f"{self.venue}: cannot read the account: {exc}") from exc
        self.fx, self.fx_note = await refresh_fx(self.adapter, self.fx, self.instruments,
                                                 self.portfolio)
        self.ctx.fx = self.fx
        if self.fx_note:
            log.warning(self.fx_note)
        return self.fx_note

    async def _feed_check(self) -> None:
        from broker_adapters.feed_check import check_feed

        max_age = self.feed_max_age_ms or 3 * timeframe_ms(self.fine_tf)
        # A simulated clock runs `speed` times faster than the checks themselves: allow the
        # clock time that passes during two wall seconds of checking.
        max_age += int(float(getattr(self.clock, "speed", 0.0)) * 2000)
        verdicts = await check_feed(self.adapter, list(self.symbols), self.fine_tf,
                                    clock=self.clock, max_age_ms=max_age)
        bad = [v for v in verdicts if not getattr(v, "ok", True)]
        if bad:
            detail = "; ".join(str(getattr(v, "message", v)) for v in bad[:5])
            raise BrainStartError(f"feed check failed for {len(bad)} symbol(s): {detail} "
                                  "(use --skip-feed-check to start anyway)")

    @property
    def book_venue(self) -> str:
        """The venue tag on positions and fills ("paper:mock" for paper over the mock)."""
        from broker_adapters.paper import PaperBroker

        tag = getattr(self.adapter, "book_venue", None)  # wrappers (timing, tests) may say
        if isinstance(tag, str):
            return tag
        return f"paper:{self.venue}" if isinstance(self.adapter, PaperBroker) else self.venue

    async def stop(self) -> None:
        """Finish the running cycle, close the run with its summary, close the venue."""
        if self._stopped:
            return
        self._stopped = True
        async with self._cycle_lock:
            now = self.clock.now_ms()
            if self.fatal is not None:
                self._record_unrecorded_order()
            elif self._started:
                try:
                    self.dao.close_run(self.run_id, ts=now, summary=self.summary())
                    self.journal_event("event", Said("event.run.stopped", run_id=self.run_id,
                                                     cycles=self.counters.cycles))
                except Exception as exc:
                    log.error("closing run %s failed: %s", self.run_id, exc)
            try:
                await self.adapter.close()
            except Exception as exc:
                log.warning("closing %s failed: %s", self.venue, exc)
            self.keeper.release(self)
            if self.owns_dao:
                self.dao.close()

    def _record_unrecorded_order(self) -> None:
        """After a storage fault, try once to record the order whose state the file could
        not take (an update in place often still fits); the CLI names it either way."""
        order = getattr(self.fatal, "unrecorded_order", None)
        if order is None:
            return
        if self.atomic_cycles:
            # the whole cycle was rolled back with the paper book: recording its order now
            # would put a fill-less order in a ledger that is otherwise consistent
            self.fatal.order_recorded = False  # type: ignore[union-attr]
            return
        try:
            self.dao.record_order(order, self.run_id)
            self.fatal.order_recorded = True  # type: ignore[union-attr]
        except Exception:
            self.fatal.order_recorded = False  # type: ignore[union-attr]

    async def run(self, *, max_cycles: int | None = None, max_seconds: float | None = None,
                  stop_event: asyncio.Event | None = None) -> None:
        """Cycle on every bar close of the finest timeframe until a limit or the stop event.

        Limits not given here fall back to the ``RunOptions`` the brain was built with.
        """
        if max_cycles is None:
            max_cycles = self.default_limits[0]
        if max_seconds is None:
            max_seconds = self.default_limits[1]
        if not self._started:
            await self.start()
        wall_end = None if max_seconds is None else time.monotonic() + max_seconds
        done = 0
        step = timeframe_ms(self.fine_tf)
        while not self._stopped and self.fatal is None:
            if max_cycles is not None and done >= max_cycles:
                break
            if stop_event is not None and stop_event.is_set():
                break
            if wall_end is not None and time.monotonic() >= wall_end:
                break
            now = self.clock.now_ms()
            # Every closed bar gets its own cycle: the next one is due at the close after
            # the last one processed; when behind, it runs at once (catch up in order).
            due = (self._done_close + step) if self._done_close is not None \
                else (now // step + 1) * step
            wait_s = max(0.0, (due - now + 1) / 1000.0)
            if wait_s > 0 and await self._sleep(wait_s, stop_event, wall_end):
                break
            await self.run_cycle()
            done += 1
            if self.fatal is not None:
                break

    def _hold_clock(self, step: int) -> None:
        """Keep a simulated clock from passing the bar after the next one (see run)."""
        hold = getattr(self.clock, "hold_at", None)
        if hold is None:
            return
        base = self._done_close if self._done_close is not None \
            else (self.clock.now_ms() // step) * step
        hold(base + 2 * step - 1)

    def _after_cycle(self, step: int) -> None:
        self._done_close = (self.ctx.ts // step) * step
        self._hold_clock(step)
        held = int(getattr(self.clock, "held_ms", 0))
        if held - self.clock_held_ms >= 60 * step:
            speed = float(getattr(self.clock, "speed", 0.0))
            wall = max(1e-9, time.monotonic() - self._wall0)
            sim = self.ctx.ts - self._sim0
            self.journal_event(
                "clock", Said("event.clock_slowed", speed=speed, rate=sim / 1000.0 / wall),
                {"held_ms": held, "speed": speed}, level="warning")
            self.clock_held_ms = held

    async def _sleep(self, seconds: float, stop_event: asyncio.Event | None,
                     wall_end: float | None) -> bool:
        """Sleep clock time; True if the stop event fired first."""
        sleeper = asyncio.ensure_future(self.clock.sleep(seconds))
        waits: set[asyncio.Future[Any]] = {sleeper}
        if stop_event is not None:
            waits.add(asyncio.ensure_future(stop_event.wait()))
        timeout = None if wall_end is None else max(0.0, wall_end - time.monotonic())
        finished, pending = await asyncio.wait(waits, timeout=timeout,
                                               return_when=asyncio.FIRST_COMPLETED)
        for p in pending:
            p.cancel()
        return sleeper not in finished

    # ------------------------------------------------------------------ the cycle
    async def run_cycle(self) -> BrainSnapshot:
        if self.fatal is not None:
            # No trading without a ledger: every front end (the TUI drives cycles itself)
            # sees the storage fault on each further attempt instead of silent cycles.
            raise self.fatal
        async with self._cycle_lock:
            if not self.atomic_cycles:
                snap = await self._cycle_body()
                self._checkpoint()
                return snap
            ran = False
            try:
                with self.dao.batch():
                    ran = True
                    snap = await self._cycle_body()
                    if self.fatal is not None:
                        raise _RollBack  # half a cycle must not commit
                    self._checkpoint()
                return snap
            except _RollBack:
                return self._snapshot
            except StorageError as exc:
                if ran or is_fatal_storage(exc):
                    # the cycle's commit failed: nothing of it is on disk and the book in
                    # memory is ahead of the ledger, so the run stops; a restart resumes
                    # from the last committed cycle
                    if self.fatal is None:
                        self.fatal = exc
                    self.last_error = f"cycle not committed: {exc}"
                    return self._snapshot
                # the write lock was not free: nothing ran; the same bar is tried again
                self.db_busy_cycles += 1
                self.last_error = f"database busy, cycle postponed: {exc}"
                log.warning(self.last_error)
                return self._snapshot

    def _checkpoint(self) -> None:
        try:
            self.keeper.checkpoint(self, self.ctx.ts)
        except Exception as exc:
            if self.atomic_cycles:
                raise  # the cycle's rows must not commit without the book they came from
            log.error("saving account %s failed: %s", self.keeper.name, exc)
            self.last_error = f"account checkpoint: {exc}"

    async def _cycle_body(self) -> BrainSnapshot:
        t0 = perf_counter()
        ts = self.clock.now_ms()
        self.counters.cycles += 1
        self.ctx.ts, self.ctx.cycle = ts, self.counters.cycles
        work = CycleWork(ts=ts, cycle=self.counters.cycles)
        if len(self.actions):
            await drain_actions(self, work)
        await run_stages(self, work)
        if work.fatal is not None and self.fatal is None:
            self.fatal = work.fatal
        work.latency_ms = (perf_counter() - t0) * 1000.0
        for stage, ms in work.stage_ms.items():
            self.stage_latency.observe(stage, ms / 1000.0)
        self.counters.latencies_ms.append(work.latency_ms)
        self._journal_cycle(work)
        self._snapshot = build_snapshot(self, work)
        try:
            self.monitor.publish(self._snapshot)
        except Exception as exc:
            log.warning("publishing the snapshot failed: %s", exc)
        # whoever drives the cycles (run(), the desk's pacer, a test) moves the clock's hold
        self._after_cycle(timeframe_ms(self.fine_tf))
        return self._snapshot

    async def apply_actions_now(self) -> list[ActionResult]:
        """Drain the trader's queued actions between cycles (used while paused)."""
        async with self._cycle_lock:
            work = CycleWork(ts=self.clock.now_ms(), cycle=self.counters.cycles)
            work.monitor_only = True
            if self.atomic_cycles:  # the actions' orders and the paper book commit together
                with self.dao.batch():
                    results = await drain_actions(self, work)
                    self.keeper.checkpoint(self, self.ctx.ts)
            else:
                results = await drain_actions(self, work)
            self._refresh_snapshot()
            return results

    def lock_status(self) -> LockStatus:
        code, reason = self.locks.status()
        if not code and self.reconcile_block:
            return LockStatus(True, "reconcile", Said("reason.lock.reconcile",
                                                      detail=str(self.reconcile_block)))
        if not code and self.paused:
            return LockStatus(True, "paused", Said("reason.lock.paused"))
        return LockStatus(bool(code), code, reason)

    def _journal_cycle(self, work: CycleWork) -> None:
        self.counters.errors += len(work.errors)
        payload, text = work.journal_payload(self)
        try:
            with self.dao.batch():
                self._record_signals(work)
                self.last_journal_id = self.dao.journal("cycle", payload, ts=work.ts,
                                                        run_id=self.run_id, text=text)
        except Exception as exc:
            self.last_error = f"journal: {exc}"
            if is_fatal_storage(exc):
                if self.fatal is None:
                    self.fatal = exc  # type: ignore[assignment]
                return  # the run stops after this cycle and says why, once
            log.error("cycle journal write failed: %s", exc)

    def _record_signals(self, work: CycleWork) -> None:
        """Every signal with its fate: planned, or the reason it was refused."""
        if not (work.signals or work.shadow_signals):
            return
        why = {(r.strategy, r.symbol): r.reason for r in work.rejections}
        planned = {(p.strategy, p.symbol) for p in work.risk.plans}
        for sig in work.signals:
            key = (sig.strategy, sig.symbol)
            ok = sig.is_exit or key in planned
            reason = "exit" if sig.is_exit else ("planned" if ok else why.get(key, "not planned"))
            self.dao.record_signal(sig, self.run_id, accepted=ok, reason=reason)
        shadow = {(p.strategy, p.symbol) for p in work.shadow_plans}
        for sig in work.shadow_signals:
            ok = (sig.strategy, sig.symbol) in shadow
            self.dao.record_signal(sig, self.run_id, accepted=ok, shadow=True,
                                   reason="shadow plan" if ok else "shadow: not planned")

    def _refresh_snapshot(self) -> None:
        work = CycleWork(ts=self.clock.now_ms(), cycle=self.counters.cycles)
        work.monitor_only = True
        self._snapshot = build_snapshot(self, work)

    # ------------------------------------------------------------------ summary
    def _funding_paid(self) -> float:
        """Funding the paper account paid (negative: received), in the account currency."""
        engine = paper_engine(self.adapter, self.mode)
        return engine.funding_paid if engine is not None else 0.0

    def summary(self) -> dict[str, Any]:
        c = self.counters
        lat = list(c.latencies_ms)
        pf = self.portfolio
        return {
            "run_id": self.run_id, "cycles": c.cycles, "orders": c.orders, "fills": c.fills,
            "pnl": pf.equity - pf.starting_equity, "equity": pf.equity,
            "currency": self.fx.account,
            "drawdown_pct": pf.trailing_dd_pct, "daily_pnl_pct": pf.daily_pnl_pct,
            "rejections": dict(c.rejections), "locks": list(c.locks)[-50:],
            "daily_lock": self.locks.daily_lock, "kill_switch": self.locks.kill_switch,
            "governance_lock": self.locks.governance_locked,
            "latency_p50_ms": percentile(lat, 50), "latency_p99_ms": percentile(lat, 99),
            "closed_trades": len(pf.closed_trades), "errors": c.errors,
            "account": self.keeper.name, "clock_held_ms": int(getattr(self.clock, "held_ms", 0)),
            "db_busy_cycles": self.db_busy_cycles,
            "funding_paid": self._funding_paid(),
            "shadow": {n: {"trades": s.trades, "pnl": s.pnl, "plans": s.plans}
                       for n, s in self.shadow.scores.items()},
        }


__all__ = ["BrainOrchestrator", "BrainStartError", "ExecInput", "ExecResult", "RiskInput",
           "RiskResult", "MonitorInput"]
