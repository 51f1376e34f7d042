"""The stages of one brain cycle, each inside a guard that isolates its failure.

Kept apart from the orchestrator's lifecycle code so the cycle reads top to bottom:
housekeeping → bars → regime → selection → risk → execution → monitor. ``CycleWork``
carries what the stages produce to the journal and the snapshot.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from time import perf_counter
from typing import TYPE_CHECKING, Any

from ats.brain.agents import (
    ExecInput,
    ExecResult,
    ExitRequest,
    MonitorInput,
    Rejection,
    RiskInput,
    RiskResult,
    SelectionInput,
)
from ats.brain.agents.execution import range_bps
from ats.brain.cycle_support import (
    book_fills,
    correlation_returns,
    funding_history,
    sync_venue_protection,
)
from ats.brain.day_boundary import book_day_boundary
from ats.brain.report import cycle_text, signal_text
from ats.domain import Position, Quote, StrategySignal, timeframe_ms
from ats.i18n.said import Said, with_said
from ats.i18n.said_join import said_join
from broker_adapters.base import VenueProtection
from broker_adapters.errors import VenueError
from storage.errors import DatabaseLockedError, InvalidDataError, StorageError

if TYPE_CHECKING:
    from ats.brain.ports import CycleHost

log = logging.getLogger(__name__)


def is_fatal_storage(exc: BaseException) -> bool:
    """A storage fault that retrying the next cycle cannot fix (full disk, read-only,
    corrupt, I/O error) — unlike a lock held by another writer or one bad row."""
    return isinstance(exc, StorageError) and not isinstance(
        exc, DatabaseLockedError | InvalidDataError)


@dataclass(slots=True)
class CycleWork:
    ts: int
    cycle: int
    monitor_only: bool = False
    new_bars: list[tuple[str, str]] = field(default_factory=list)
    regime_changes: dict[str, str] = field(default_factory=dict)
    regimes_run: int = 0
    signals: list[StrategySignal] = field(default_factory=list)
    shadow_signals: list[StrategySignal] = field(default_factory=list)
    candidates: int = 0
    risk: RiskResult = field(default_factory=RiskResult)
    exits: list[ExitRequest] = field(default_factory=list)
    shadow_plans: list[Any] = field(default_factory=list)
    execd: ExecResult = field(default_factory=ExecResult)
    rejections: list[Rejection] = field(default_factory=list)
    stage_ms: dict[str, float] = field(default_factory=dict)
    states: dict[str, str] = field(default_factory=dict)  # node -> ok|warn|error|disabled
    errors: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)  # locks, refusals: not failures
    quotes: dict[str, Quote] = field(default_factory=dict)
    latency_ms: float = 0.0
    equity: float = 0.0
    daily_pnl_pct: float = 0.0
    drawdown_pct: float = 0.0
    fatal: StorageError | None = None  # raised by a stage (full disk, read-only...)

    def fail(self, node: str, exc: BaseException) -> None:
        self.states[node] = "error"
        self.errors[node] = f"{type(exc).__name__}: {exc}"
        if is_fatal_storage(exc):
            # The run stops after this cycle and reports it once; no traceback per stage.
            if self.fatal is None:
                self.fatal = exc  # type: ignore[assignment]
            return
        log.exception("brain stage %s failed", node, exc_info=exc)

    def warn(self, node: str, text: str) -> None:
        if self.states.get(node) != "error":
            self.states[node] = "warn"
        self.warnings.setdefault(node, text)

    def journal_payload(self, o: CycleHost) -> tuple[dict[str, Any], str]:
        plans = self.risk.plans
        payload: dict[str, Any] = {
            "cycle": self.cycle, "new_bars": len(self.new_bars),
            "regime_changes": self.regime_changes, "candidates": self.candidates,
            "signals": [signal_text(s) for s in self.signals],
            "shadow": [signal_text(s) for s in self.shadow_signals]
            + [f"{p.strategy} plan {p.side.value} {p.qty:g} {p.symbol}" for p in
               self.shadow_plans],
            "plans": [{"symbol": p.symbol, "side": p.side.value, "qty": p.qty,
                       "entry": p.entry, "stop": p.stop, "take": p.take,
                       "risk_pct": p.risk_pct, "risk": p.risk_amount,
                       "currency": o.fx.account, "strategy": p.strategy} for p in plans],
            "exits": [_with_said({"symbol": e.symbol, "side": e.side.value, "qty": e.qty,
                                  "reason": e.reason}) for e in self.exits],
            "rejections": [_with_said({"symbol": r.symbol, "strategy": r.strategy,
                                       "code": r.code, "reason": r.reason})
                           for r in self.rejections],
            "orders": [{"id": x.client_order_id, "symbol": x.symbol, "side": x.side.value,
                        "qty": x.qty, "status": x.status.value} for x in self.execd.orders],
            "fills": [{"id": f.fill_id, "symbol": f.symbol, "side": f.side.value,
                       "qty": f.qty, "price": f.price, "fee": f.fee} for f in self.execd.fills],
            "timings_ms": {k: round(v, 3) for k, v in self.stage_ms.items()},
            "latency_ms": round(self.latency_ms, 3), "errors": self.errors,
            "warnings": self.warnings,
            "locks": {"daily_lock": o.locks.daily_lock, "kill_switch": o.locks.kill_switch,
                      "governance_lock": o.locks.governance_locked,
                      "safe_mode": bool(o.portfolio.safe_mode),
                      "max_correlation": float(o.portfolio.max_correlation)},
            "connected": o.connected, "paused": o.paused, "equity": self.equity,
            "daily_pnl_pct": self.daily_pnl_pct, "drawdown_pct": self.drawdown_pct,
        }
        return payload, cycle_text(payload)


def _with_said(row: dict[str, Any]) -> dict[str, Any]:
    """A journal row with its reason's catalogue record, so the desk can show it in Russian."""
    return with_said(row, row.get("reason"))


class _Stage:
    """Time a stage and turn an exception into an error state for its graph node."""

    __slots__ = ("work", "node", "t0")

    def __init__(self, work: CycleWork, node: str) -> None:
        self.work, self.node = work, node

    def __enter__(self) -> None:
        self.t0 = perf_counter()
        self.work.states.setdefault(self.node, "ok")

    def __exit__(self, et: Any, exc: BaseException | None, tb: Any) -> bool:
        self.work.stage_ms[self.node] = (perf_counter() - self.t0) * 1000.0
        if exc is not None and isinstance(exc, Exception):
            self.work.fail(self.node, exc)
            return True
        return False


async def run_stages(o: CycleHost, w: CycleWork) -> None:
    with _Stage(w, "brain"):
        await _housekeeping(o, w)
        if o.connected:
            await _fetch_bars(o, w)
        if o.connected and o.portfolio.positions:
            await _venue_fills(o, w)
        book_day_boundary(o, w)
    with _Stage(w, "regime"):
        _regimes(o, w)
    with _Stage(w, "strategy"):
        await _select(o, w)
    with _Stage(w, "risk"):
        await _risk(o, w)
    with _Stage(w, "exec"):
        await _execute(o, w)
        await sync_venue_protection(o, w)
    with _Stage(w, "monitor"):
        _monitor(o, w)


async def _housekeeping(o: CycleHost, w: CycleWork) -> None:
    if o.locked_governance.changed_on_disk():
        o.lock_events([o.locks.lock_governance(str(o.locked_governance.path), w.ts)])
    o.lock_events([o.locks.roll_day(w.ts)])
    kill, daily = o.locks.refresh_released(w.ts)
    if kill:
        o.rebase_drawdown(w.ts)
        o.journal_event("unlock", Said("reason.lock.kill_released_cli"))
    if daily:
        o.portfolio.reset_day(w.ts)
        o.journal_event("unlock", Said("reason.lock.daily_released_cli"))
    if not o.connected:
        try:
            await o.adapter.connect()
            o.connected = True
            o.journal_event("event", Said("event.venue.reconnected", venue=o.venue))
        except (VenueError, OSError) as exc:
            w.warn("brain", Said("event.venue.still_disconnected", error=str(exc)))
            w.states["exec"] = "error"


def _lost(o: CycleHost, w: CycleWork, what: str, exc: BaseException) -> None:
    """``what`` is the stage that lost the venue: a ``Said`` of ``event.venue.stage.*``."""
    if o.connected:
        o.journal_event("event", Said("event.venue.lost", venue=o.venue, what=what,
                                      error=str(exc)), level="warning")
    o.connected = False
    o.last_error = Said("event.venue.lost_short", what=what, error=str(exc))
    w.warn("brain", o.last_error)


async def _fetch_bars(o: CycleHost, w: CycleWork) -> None:
    if getattr(o, "warm_start", False):
        # Warm start: on the first cycle every strategy reads the history the windows were
        # backfilled with (its last closed bar), instead of waiting up to a whole bar of its
        # own timeframe (15 min, 4 h) for the first new one.
        o.warm_start = False
        w.new_bars.extend(k for k, win in o.windows.items() if len(win))
    for key, win in o.windows.items():
        step = timeframe_ms(key[1])
        due_open = (w.ts // step) * step - step  # open time of the newest closed bar
        last = win.last_ts
        if last is not None and last >= due_open:
            continue
        n = o.window_size if last is None else min(o.window_size, (due_open - last) // step)
        try:
            bars = await o.adapter.latest_bars(key[0], key[1], max(1, int(n)))
        except (VenueError, OSError) as exc:
            _lost(o, w, Said("event.venue.stage.bars", symbol=key[0], timeframe=key[1]), exc)
            return
        if win.extend(bars) and key not in w.new_bars:
            w.new_bars.append(key)


def _regimes(o: CycleHost, w: CycleWork) -> None:
    for sym, tf in w.new_bars:
        if tf != o.regime_tf:
            continue
        win = o.windows[(sym, tf)]
        if len(win) < o.regime_agent.MIN_BARS:
            w.warn("regime", Said("event.warming_up", symbol=sym, n=len(win)))
            continue
        try:
            r = o.regime_agent.assess(sym, win.view())
        except Exception as exc:
            w.fail("regime", exc)
            continue
        w.regimes_run += 1
        o.vol_quantiles[sym] = r.features.vol_quantile
        if r.changed:
            w.regime_changes[sym] = r.regime.value


async def _select(o: CycleHost, w: CycleWork) -> None:
    o.selection.active.clear()
    positions: dict[str, Position] = o.portfolio.positions
    for sym, tf in w.new_bars:
        hold = o.regime_agent.current(sym)
        if hold is None:
            continue
        win = o.windows[(sym, tf)]
        funding = await funding_history(o, w, sym) if tf in o.funding_tfs else None
        res = o.selection.select(SelectionInput(
            symbol=sym, timeframe=tf, bars=win.view(), regime=hold.regime, ts=w.ts,
            position=positions.get(sym), instrument=o.instruments.get(sym),
            funding_rates=funding, basis=o.basis.get(sym)))
        w.candidates += len(res.candidates)
        w.signals.extend(res.signals)
        w.shadow_signals.extend(res.shadow_signals)
        for name, err in res.errors.items():
            w.states["strategy"] = "error"
            w.errors[f"strategy {name}"] = err
    if o.selection.disabled and w.states.get("strategy") == "ok":
        w.states["strategy"] = "warn"


def _last_bar(o: CycleHost, sym: str) -> tuple[int, float, float] | None:
    """(close time, high, low) of the symbol's newest closed bar of the finest timeframe."""
    win = o.windows.get((sym, o.fine_tf))
    if win is None or not len(win):
        return None
    v = win.view()
    return int(v.ts[-1]) + timeframe_ms(o.fine_tf), float(v.high[-1]), float(v.low[-1])


async def _venue_fills(o: CycleHost, w: CycleWork) -> None:
    """Book what the venue filled since the last cycle (stops and takes resting there,
    matched against the bars that just closed) before any strategy runs: a strategy must see
    the position as it is — stopped out on this bar, it may enter again on this bar's
    signal, as the vectorized backtester lets it."""
    try:
        early = await o.exec_agent.collect_fills()
    except (VenueError, OSError) as exc:
        _lost(o, w, Said("event.venue.stage.fills"), exc)
        return
    if early:
        book_fills(o, w, ExecResult(fills=early))
        w.execd.fills.extend(early)


async def _risk(o: CycleHost, w: CycleWork) -> None:
    if o.connected and (w.new_bars or o.portfolio.positions):
        note = await o.update_fx()
        if note:
            w.warn("risk", note)
    positions: dict[str, Position] = o.portfolio.positions
    if o.connected and positions:
        await sync_venue_protection(o, w)  # a stop moved since the last cycle goes out first
    if o.connected:
        for sym in positions:
            try:
                w.quotes[sym] = await o.adapter.quote(sym)
            except (VenueError, OSError) as exc:
                _lost(o, w, Said("event.venue.stage.quote", symbol=sym), exc)
                break
    if o.connected and positions:
        # Stops resting at the venue may have closed positions since the last cycle: book
        # those fills first, so the bar-close check below is only the fallback for stops
        # the venue does not hold, and never sends an exit for a position already gone.
        try:
            early = await o.exec_agent.collect_fills()
        except (VenueError, OSError) as exc:
            _lost(o, w, Said("event.venue.stage.fills"), exc)
            early = []
        if early:
            book_fills(o, w, ExecResult(fills=early, quotes=dict(w.quotes)))
            w.execd.fills.extend(early)
            positions = o.portfolio.positions
    # Where the venue holds the stop, the bar-close check is only the fallback for a venue
    # that failed to act: it looks at the current quote, not at a bar range the venue has
    # already matched (partly against an older stop).
    held = o.exec_agent.venue_stops if isinstance(o.adapter, VenueProtection) else {}
    last_bars = {s: b for s, p in positions.items()
                 if held.get(s) != (p.stop, p.take) and (b := _last_bar(o, s)) is not None}
    protective = o.risk_agent.protect(positions, last_bars, w.quotes)
    lock = o.lock_status()
    bars = {k: o.windows[k].view() for k in w.new_bars}
    inp = RiskInput(signals=w.signals, bars=bars, instruments=o.instruments, lock=lock,
                    vol_quantile=o.vol_quantiles, fx=o.fx)
    w.risk = o.risk_agent.evaluate(inp)
    seen = {e.symbol for e in protective}
    w.exits = protective + [e for e in w.risk.exits if e.symbol not in seen]
    w.rejections.extend(w.risk.rejections)
    for rej in w.risk.rejections:
        o.refusals[rej.strategy] = Said("reason.for_symbol", symbol=rej.symbol,
                                        reason=rej.reason)
    for plan in w.risk.plans:
        o.refusals.pop(plan.strategy, None)
    if lock.blocked:
        w.warn("risk", lock.reason)
    if w.shadow_signals:
        for sig in w.shadow_signals:
            if sig.is_exit:
                o.shadow.exit_signal(sig)
        sh = o.risk_agent.shadow_plans(RiskInput(signals=w.shadow_signals, bars=bars,
                                                 instruments=o.instruments, fx=o.fx))
        for plan in sh.plans:
            if o.shadow.open(plan):
                w.shadow_plans.append(plan)
        for rej in sh.rejections:
            o.shadow.score(rej.strategy).last_signal = Said("said.strategy.rejected",
                                                            reason=rej.reason)
    for key in w.new_bars:
        if o.shadow.scores:
            o.shadow.on_bar(key[0], bars[key])


async def _execute(o: CycleHost, w: CycleWork) -> None:
    plans, exits = w.risk.plans, w.exits
    try:
        if not o.connected:
            for p in plans:
                w.rejections.append(Rejection(p.symbol, p.strategy, "disconnected",
                                              Said("reason.disconnected", venue=o.venue)))
            if exits:
                w.warn("exec", Said("event.venue.exits_waiting", n=len(exits), exits=said_join(
                    [Said("event.venue.exit_item", symbol=e.symbol, reason=e.reason)
                     for e in exits], "reason.list.comma")))
            return
        if not (plans or exits or o.exec_agent.open_orders or w.new_bars):
            return
        rb = {}
        for p in plans:
            lb = _last_bar(o, p.symbol)
            if lb is not None:
                rb[p.symbol] = range_bps(lb[1], lb[2], p.entry)
        res = await o.exec_agent.execute(ExecInput(plans, exits, o.instruments, rb))
        early = w.execd.fills  # booked by _risk already; kept for the journal
        w.execd = res
        w.rejections.extend(res.rejections)
        if res.venue_error:
            _lost(o, w, Said("event.venue.stage.execution"), VenueError(res.venue_error))
            w.states["exec"] = "error"
        elif res.rejections:
            w.warn("exec", res.rejections[-1].reason)
        book_fills(o, w, res)
        res.fills[:0] = early
        while o.exec_agent.conflicts:
            text = o.exec_agent.conflicts.pop(0)
            w.fail("exec", RuntimeError(text))
            o.journal_event("fill_conflict", text, level="error")
    finally:
        o.portfolio.clear_pending()


def _monitor(o: CycleHost, w: CycleWork) -> None:
    pf = o.portfolio
    # Fresh closes for every symbol with a new bar keep the book's marks current even for
    # symbols it is flat in (it values the next position opened there from them).
    prices: dict[str, float] = {
        sym: float(o.windows[(sym, tf)].view().close[-1]) for sym, tf in w.new_bars
        if tf == o.fine_tf}
    for sym in pf.positions:
        q = w.quotes.get(sym)
        if q is not None and q.bid > 0 and q.ask >= q.bid:
            prices[sym] = q.mid
        else:
            win = o.windows.get((sym, o.fine_tf))
            if win is not None and len(win):
                prices[sym] = float(win.view().close[-1])
    returns = None
    if any(tf == o.regime_tf for _, tf in w.new_bars):
        returns = correlation_returns(o)
    res = o.monitor.observe(MonitorInput(ts=w.ts, prices=prices, returns=returns))
    w.equity, w.daily_pnl_pct, w.drawdown_pct = res.equity, res.daily_pnl_pct, \
        res.trailing_dd_pct
    guard = o.registry.call("guard_drawdown", o.ctx, daily_pnl_pct=res.daily_pnl_pct,
                            trailing_dd_pct=res.trailing_dd_pct)
    o.lock_events(list(o.locks.apply_guard(guard, w.ts)))
    if o.monitor.export_errors:
        w.warn("monitor", o.monitor.export_errors[0])
    for r in w.rejections:
        o.counters.rejections[r.code] = o.counters.rejections.get(r.code, 0) + 1


