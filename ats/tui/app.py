"""The trader's desk: wires one ``BrainOrchestrator`` to the desk screen.

The orchestrator runs as an async worker in Textual's loop (exclusive group ``brain``); the
next cycle is scheduled only when the previous one has ended, and waits on the run's clock
for the next bar close. Blocking reads (SQLite journal, search, governance file) go through
``asyncio.to_thread``. Snapshots arrive as coalescing messages and are applied to the panels
at most ``refresh_interval`` apart, so the UI cost does not grow with the cycle rate.

Tests pass ``tick_interval=None`` (no automatic cycles; drive them with ``cycle_once``) and
``refresh_interval=None`` (apply every snapshot at once).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

from textual import on
from textual.app import App, SystemCommand
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input
from textual.worker import Worker, WorkerState

from ats.brain.state import BrainSnapshot
from ats.domain import Bars, Clock
from ats.i18n import t
from ats.tui.actions import DeskActions
from ats.tui.brain_port import BrainPort
from ats.tui.commands import desk_commands
from ats.tui.dialogs import DeskDialogs
from ats.tui.keys import desk_bindings
from ats.tui.messages import ConnectionChanged, DeskEvent, SnapshotReady
from ats.tui.screens.actions import VenueErrorScreen
from ats.tui.screens.desk import DeskScreen
from ats.tui.widgets.charts import FillMark
from ats.tui.widgets.events import record_fills
from ats.tui.widgets.header import HeaderInfo
from ats.tui.widgets.journal_log import JournalLog

log = logging.getLogger(__name__)

Pacer = Callable[[], Awaitable[None]]
FIRST_LOAD = 600  # journal records read when the log is first filled
PAUSED_POLL = 0.25  # seconds between checks for "resumed" while paused
AUDIT_EVERY = 120  # refresh ticks between reads of the last audit verdict (~30 s at 0.25 s)


class DeskApp(DeskActions, DeskDialogs, App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "ATS"
    BINDINGS = desk_bindings()

    def __init__(
        self,
        brain: BrainPort,
        *,
        clock: Clock,
        mode: str,
        venue: str,
        run_id: str,
        speed: float | None = None,
        tick_interval: float | None = 0.05,
        refresh_interval: float | None = 0.25,
        pacer: Pacer | None = None,
        configs: Path | None = None,
        journal_rows: int = 100,
    ) -> None:
        super().__init__()
        self.brain = brain
        self.clock = clock
        self.mode = mode
        self.venue = venue
        self.run_id = run_id
        self.speed = speed
        self.tick_interval = tick_interval
        self.refresh_interval = refresh_interval
        self.pacer = pacer
        self.configs = configs
        self.journal_rows = journal_rows
        self.latest: BrainSnapshot | None = None
        self.pending: BrainSnapshot | None = None
        self.applied: BrainSnapshot | None = None
        self.started = False
        self.stopping = False
        self.stopped = False
        self.cycle_failed = False
        self.in_cycle = False
        self.cycles_run = 0
        self.refreshes = 0  # snapshots applied to the panels
        self.ticks = 0  # refresh-timer ticks (the header clock redrawn)
        self._start_failures = 0
        self._cycle_timer: Timer | None = None
        self._journal_seen: int | None = None
        self._connected: bool | None = None
        self._observed: BrainSnapshot | None = None
        self.events: deque[DeskEvent] = deque(maxlen=200)
        self.fills: deque[FillMark] = deque(maxlen=500)  # this run's fills, for the chart
        self._fill_seen: int = 0  # newest journal id whose fills were collected
        self.start_retry_base = 2.0  # seconds; doubled per failed start, capped at 30 s
        self.start_error: str = ""  # the last failed start, shown in a dialog once
        self.lock_since: int | None = None  # when the lock in force was engaged (journal)
        self._lock_key: tuple[bool, bool, bool] = (False, False, False)
        # The last audit's verdict for the header: read at start, then every AUDIT_EVERY
        # refresh ticks in a worker thread (one indexed query), never per tick.
        self.audit: tuple[bool, int, int | None] | None = None

    # ------------------------------------------------------------------ lifecycle
    def on_mount(self) -> None:
        self.push_screen(DeskScreen())
        self.brain.add_sink(self._on_snapshot)
        self.audit = self.read_audit()
        self.update_header()
        if self.refresh_interval is not None:
            self.set_interval(self.refresh_interval, self.refresh_desk, name="desk-refresh")
        if self.tick_interval is not None:
            self._start_brain()

    async def ensure_started(self) -> None:
        if not self.started:
            await self.brain.start()
            self.started = True
            self.add_event("desk", t("tui.event.started", venue=self.venue))

    async def _boot(self) -> None:
        await self.ensure_started()
        self._start_failures = 0

    def _schedule_next(self, delay: float | None = None) -> None:
        if self.tick_interval is None or self.stopping:
            return
        wait = self.tick_interval if delay is None else delay
        if self.brain.paused:  # nothing to pace while paused: look again now and then
            wait = max(wait, PAUSED_POLL)
        self._cycle_timer = self.set_timer(max(0.001, wait), self.launch_cycle, name="cycle")

    def launch_cycle(self) -> None:
        """Start one (paced) cycle as the exclusive ``brain`` worker."""
        if self.stopping:
            return
        self.run_worker(self._paced_cycle, group="brain", exclusive=True, exit_on_error=False,
                        name="brain-cycle", description="one brain cycle")

    async def _paced_cycle(self) -> None:
        if self.pacer is not None and not self.brain.paused:
            await self.pacer()
        await self.cycle_once()

    async def cycle_once(self) -> BrainSnapshot | None:
        """Run one cycle unless paused; the new snapshot reaches the desk as a message."""
        await self.ensure_started()
        if self.brain.paused or self.stopping:
            return None
        self.in_cycle = True
        try:
            snapshot = await self.brain.run_cycle()
        finally:
            self.in_cycle = False
        self.cycles_run += 1
        self.cycle_failed = False
        self._on_snapshot(snapshot)
        return snapshot

    @on(Worker.StateChanged)
    def _brain_worker_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group != "brain" or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        if event.state == WorkerState.ERROR:
            error = f"{type(worker.error).__name__}: {worker.error}"
            if worker.name == "brain-start":
                self._start_failures += 1
                self.add_event("venue", t("tui.event.start_failed", error=error))
                self._schedule_retry_start()
                self._show_start_error(str(worker.error) or error)
                return
            self.cycle_failed = True
            self.add_event("error", t("tui.event.cycle_failed", error=error))
        self.update_header()
        self._schedule_next()

    def _retry_delay(self) -> float:
        return min(30.0, self.start_retry_base * 2.0 ** (max(1, self._start_failures) - 1))

    def _schedule_retry_start(self) -> None:
        if self.stopping:
            return
        self.set_timer(self._retry_delay(), self._start_brain)

    def _show_start_error(self, error: str) -> None:
        """A venue that cannot be reached gets a dialog with the full error, once per error."""
        if error == self.start_error:
            return
        self.start_error = error
        if not isinstance(self.screen, VenueErrorScreen):
            self.push_screen(VenueErrorScreen(self.venue, error, self._retry_delay()))

    def _start_brain(self) -> None:
        self.run_worker(self._boot, group="brain", exclusive=True, exit_on_error=False,
                        name="brain-start", description="start the orchestrator")

    # ------------------------------------------------------------------ snapshots → desk
    def _on_snapshot(self, snapshot: BrainSnapshot) -> None:
        """The brain's sink: sees every snapshot, so no connection change slips between two
        coalesced refreshes. Only posts messages, which is safe from any thread."""
        if snapshot is self._observed:
            return
        self._observed = snapshot
        if self._connected is not None and snapshot.connected != self._connected:
            self.post_message(ConnectionChanged(snapshot.connected))
        self._connected = snapshot.connected
        self.post_message(SnapshotReady(snapshot))

    @on(ConnectionChanged)
    def _connection_changed(self, message: ConnectionChanged) -> None:
        key = "tui.event.reconnected" if message.connected else "tui.event.disconnected"
        self.add_event("desk" if message.connected else "error", t(key, venue=self.venue))

    @on(SnapshotReady)
    def _snapshot_ready(self, message: SnapshotReady) -> None:
        self.latest = self.pending = message.snapshot
        if self.refresh_interval is None:
            self.refresh_desk()

    @property
    def desk(self) -> DeskScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, DeskScreen):
                return screen
        return None

    def refresh_desk(self) -> None:
        """Apply the newest snapshot (if any arrived) and tick the header clock."""
        desk = self.desk
        if desk is None:
            return
        self.ticks += 1
        if self.ticks % AUDIT_EVERY == 0:
            self.reload_audit()
        snapshot = self.pending
        self.pending = None
        if snapshot is not None and snapshot is not self.applied:
            self.applied = snapshot
            self.refreshes += 1
            symbol = self.chart_symbol(snapshot)
            desk.apply(snapshot, symbol=symbol, bars=self.chart_bars(symbol),
                       fills=tuple(self.fills))
            self._update_banner(snapshot)
            if snapshot.last_journal_id != self._journal_seen:
                self._journal_seen = snapshot.last_journal_id
                self.reload_journal()
        self.update_header()

    def chart_symbol(self, snapshot: BrainSnapshot) -> str | None:
        """The price chart's symbol: the focus, else the first position, else the first."""
        if snapshot.focus_symbol:
            return snapshot.focus_symbol
        if snapshot.positions:
            return snapshot.positions[0].symbol
        return snapshot.regimes[0].symbol if snapshot.regimes else None

    def chart_bars(self, symbol: str | None) -> Bars | None:
        reader = getattr(self.brain, "bars", None)
        if symbol is None or reader is None:
            return None
        try:
            bars: Bars | None = reader(symbol)
        except Exception:  # noqa: BLE001 - a chart without data says so itself
            return None
        return bars

    # ------------------------------------------------------------------ lock banner
    def _update_banner(self, snapshot: BrainSnapshot) -> None:
        desk = self.desk
        if desk is None or not desk.is_mounted:
            return
        risk = snapshot.risk
        key = (risk.governance_locked, risk.kill_switch, risk.daily_lock)
        if key != self._lock_key:
            self._lock_key = key
            self.lock_since = None
            if any(key):
                self.run_worker(self._find_lock_time, group="journal-lock", exclusive=True,
                                exit_on_error=False, name="lock-time")
        desk.banner.show_lock(risk, self.lock_since, self.db_hint(), self.account_name())

    def account_name(self) -> str | None:
        """The account the desk trades (its locks are its own: ``ats unlock --account``)."""
        name = getattr(getattr(self.brain, "dao", None), "account", None)
        return name if isinstance(name, str) and name else None

    def db_hint(self) -> str | None:
        """``--db PATH`` for the unlock command unless the database is the default one."""
        from ats.config.settings import load_settings

        path = getattr(self.brain.dao, "path", None)
        if path is None:
            return None
        try:
            default = load_settings().db_path
        except Exception:  # noqa: BLE001 - then name the path explicitly
            default = None
        same = default is not None and Path(path).resolve() == Path(default).resolve()
        return None if same else str(path)

    async def _find_lock_time(self) -> None:
        """When the lock in force was engaged: its newest ``lock`` record, from any run."""
        from ats.brain.locks import DAILY, KILL

        gov, kill, daily = self._lock_key
        name = KILL if kill else DAILY if daily else "governance"
        records = await asyncio.to_thread(self.brain.dao.journal_tail, 50, kind="lock")
        found = [r.ts for r in records
                 if isinstance(r.payload, dict) and r.payload.get("lock") == name]
        self.lock_since = found[-1] if found else None
        if self.latest is not None and self.desk is not None:
            self.desk.banner.show_lock(self.latest.risk, self.lock_since, self.db_hint(),
                                       self.account_name())

    # ------------------------------------------------------------------ audit verdict
    def read_audit(self) -> tuple[bool, int, int | None] | None:
        """The account's last ``ats audit`` (ok, breaches, ts); ts None if never run.

        None when the database cannot say (no audits table in an old file, a stand-in
        brain without a DAO): the header then shows no audit field rather than a guess.
        """
        from ats.audit import last_verdict

        dao = getattr(self.brain, "dao", None)
        if dao is None or not hasattr(dao, "last_audit"):
            return None
        try:
            verdict = last_verdict(dao, getattr(dao, "account", None))
        except Exception:  # noqa: BLE001 - the desk keeps running; the field stays as it was
            return self.audit
        if verdict is None:
            return (True, 0, None)
        return (verdict.ok, int(verdict.breaches), int(verdict.ts))

    def reload_audit(self) -> None:
        if self.stopped:
            return
        self.run_worker(self._load_audit, group="audit", exclusive=True,
                        exit_on_error=False, name="audit-verdict")

    async def _load_audit(self) -> None:
        got = await asyncio.to_thread(self.read_audit)
        if got != self.audit:
            self.audit = got
            self.update_header()

    def header_info(self) -> HeaderInfo:
        snap = self.latest
        if self.stopping:
            status = "stopping"
        elif self.brain.paused:
            status = "paused"
        elif not self.started:
            status = "starting"
        elif self.cycle_failed:
            status = "error"
        else:
            status = "running"
        if status == "running" and snap is not None and (
                snap.risk.kill_switch or snap.risk.daily_lock or snap.risk.governance_locked):
            status = "locked"
        if status == "starting" and self.start_error:
            status = "venue_down"
        ages = list(snap.feed_age_ms.values()) if snap is not None else []
        return HeaderInfo(
            mode=self.mode, venue=self.venue, run_id=self.run_id,
            clock_ms=self.clock.now_ms(), speed=self.speed,
            connected=snap.connected if snap is not None else False,
            feed_age_ms=max(ages) if ages else None,
            cycle=snap.cycle if snap is not None else 0, status=status,
            equity=snap.equity if snap is not None else None,
            latency_ms=snap.cycle_latency_ms if snap is not None else None,
            audit=self.audit,
        )

    def update_header(self) -> None:
        desk = self.desk
        if desk is not None:
            desk.set_header(self.header_info())

    def add_event(self, kind: str, text: str) -> None:
        """Note a desk event; kept on the app so events before the desk is composed survive."""
        event = DeskEvent(self.clock.now_ms(), kind, text)
        self.events.append(event)
        log_panel = self._log_panel()
        if log_panel is not None:
            log_panel.set_events(self.events)

    def _log_panel(self) -> JournalLog | None:
        desk = self.desk
        if desk is None or not desk.is_mounted:
            return None
        return desk.log_panel

    # ------------------------------------------------------------------ journal (threads)
    def reload_journal(self) -> None:
        if self.stopped:
            return
        self.run_worker(self._load_journal, group="journal", exclusive=True,
                        exit_on_error=False, name="journal-tail")

    async def _load_journal(self) -> None:
        # the first load reaches further back; later ones only need what is new
        newest = self.latest.last_journal_id if self.latest is not None else None
        rows = max(self.journal_rows, FIRST_LOAD)
        if self._fill_seen and newest is not None:  # only what arrived since the last load
            rows = min(rows, max(self.journal_rows, newest - self._fill_seen + 10))
        records = await asyncio.to_thread(
            self.brain.dao.journal_tail, rows, run_id=self.run_id
        )
        for r in records:
            if r.id > self._fill_seen:
                self.fills.extend(record_fills(r))
        if records:
            self._fill_seen = max(self._fill_seen, records[-1].id)
        log_panel = self._log_panel()
        if log_panel is not None:
            log_panel.set_records(records)

    def action_toggle_pause(self) -> None:
        if self.brain.paused:
            self.brain.resume()
            self.add_event("desk", t("tui.event.resumed"))
        else:
            self.brain.pause()
            self.add_event("desk", t("tui.event.paused"))
        self.update_header()

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    def action_filter_log(self) -> None:
        desk = self.desk
        if desk is not None and self.screen is desk:
            desk.log_panel.query_one("#log-filter", Input).focus()

    async def action_quit(self) -> None:
        """Graceful: let a running cycle finish, stop the brain (flush, close venue), exit."""
        if self.stopping:
            return
        self.stopping = True
        self.update_header()
        if self._cycle_timer is not None:
            self._cycle_timer.stop()
        for worker in list(self.workers):
            if worker.group == "brain" and worker.is_running:
                if self.in_cycle or worker.name == "brain-start":
                    await self._wait_quietly(worker)
                else:
                    worker.cancel()
        await self.shutdown_brain()
        self.exit()

    @staticmethod
    async def _wait_quietly(worker: Worker[None]) -> None:
        try:
            await worker.wait()
        except Exception:  # noqa: BLE001 - the failure is already in the log panel
            log.warning("brain worker ended with an error during quit")

    async def shutdown_brain(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        if self.started:
            await self.brain.stop()

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """Save an SVG of the screen into the data directory and say where."""
        folder = Path(path) if path else self.screenshot_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            saved = self.save_screenshot(filename, str(folder))
        except OSError as exc:
            self.add_event("error", t("desk2.screenshot.failed", error=exc))
            return
        self.add_event("desk", t("desk2.screenshot.saved", path=saved))
        self.notify(t("desk2.screenshot.saved", path=saved), timeout=8)

    def screenshot_dir(self) -> Path:
        """``<data dir>/screenshots``: beside the database, never in the working tree."""
        db = getattr(self.brain.dao, "path", None)
        base = Path(db).parent if db is not None else Path("data")
        return base / "screenshots"

    # ------------------------------------------------------------------ palette
    def action_command_palette(self) -> None:
        """Textual's palette, with its search prompt from the catalogue."""
        from textual.command import CommandPalette

        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(id="--command-palette",
                                            placeholder=t("desk2.palette.placeholder")))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from desk_commands(self, screen)
