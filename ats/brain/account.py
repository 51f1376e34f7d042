"""The brain's side of a durable account: take it, restore it, checkpoint it, let it go.

A run continues its account. On start the keeper becomes the account's one trading process
(a live holder refuses the start; a dead one's lock is taken over and journaled), restores
the paper venue's book and the brain's own state (day baseline, loss streak, cooldowns,
funding history, the fill cursor), and after every cycle saves them again — for a paper
venue in the same transaction as the cycle's orders, fills, positions, equity and journal,
so a ``kill -9`` loses at most the cycle in flight and never half of one.

Generic state: anything with ``state_key``, ``export_state()`` and ``import_state(doc)``
can be registered with ``AccountKeeper.register`` and is saved and restored with the rest
(the cooldowns use it; funding history has its own table, ``storage.funding``).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ats.i18n.said import Said
from broker_adapters.paper_engine import PaperEngine
from broker_adapters.paper_persist import export_state, import_state
from storage.accounts import DEFAULT_ACCOUNT, AccountInfo

if TYPE_CHECKING:
    from ats.brain.ports import CycleHost

log = logging.getLogger(__name__)

VENUE_KEY = "paper_venue"
PORTFOLIO_KEY = "portfolio"
CLOCK_KEY = "clock"
DAY_MS = 86_400_000


@runtime_checkable
class StatePart(Protocol):
    """A piece of brain state that must survive a restart."""

    state_key: str

    def export_state(self) -> dict[str, Any]: ...

    def import_state(self, doc: dict[str, Any]) -> None: ...


class AccountError(RuntimeError):
    """The account cannot be traded (unknown name, saved state from another venue)."""


def paper_engine(adapter: Any, mode: Any = "paper") -> PaperEngine | None:
    """The in-process engine behind a paper venue (paper broker or the mock) in paper mode,
    else None: in VST/demo mode the venue's own account is the truth and is never touched."""
    if str(getattr(mode, "value", mode)) != "paper":
        return None
    engine = getattr(adapter, "engine", None)
    return engine if isinstance(engine, PaperEngine) else None


def durable_dao(dao: Any) -> bool:
    return all(hasattr(dao, m) for m in ("save_state", "load_state", "acquire_account"))


class AccountKeeper:
    """See the module docstring; one per orchestrator."""

    def __init__(self, dao: Any, name: str | None = None) -> None:
        self.dao = dao
        self.name = name or getattr(dao, "account", DEFAULT_ACCOUNT)
        self.durable = durable_dao(dao)
        self.parts: list[StatePart] = []
        self.info: AccountInfo | None = None
        self.created = False
        self.restored = False
        self.holding = False
        self.market_seed: int | None = None  # the mock market's seed, kept with its clock

    def register(self, part: StatePart) -> None:
        self.parts.append(part)

    # ------------------------------------------------------------------ start
    def open(self, o: CycleHost, *, starting_equity: float, currency: str) -> None:
        """The account row (the default one is created on first use) and the process lock."""
        if not self.durable:
            return
        now = o.clock.now_ms()
        if self.name == DEFAULT_ACCOUNT:
            self.info, self.created = self.dao.ensure_account(
                self.name, currency=currency, starting_equity=starting_equity, ts=now)
        else:
            self.info = self.dao.get_account(self.name)
            if self.info is None:
                raise AccountError(f"account {self.name!r} does not exist; create it with "
                                   f"`ats account new {self.name}` (or list them with "
                                   "`ats account list`)")
        stale = self.dao.acquire_account(o.run_id, since_ms=int(time.time() * 1000))
        self.holding = True
        if stale is not None:
            # The dead run never closed itself: end it at its last committed cycle.
            clock = self.dao.load_state(CLOCK_KEY) or {}
            end = int(clock["cycle_ts"]) if clock.get("run_id") == stale.run_id else now
            if self.dao.get_run(stale.run_id) is not None:
                self.dao.close_run(stale.run_id, ts=end, summary={
                    "ended": "process gone (killed or crashed)", "closed_by_run": o.run_id})
            o.journal_event("account", Said("event.account.took_over", account=self.name,
                                            pid=stale.pid, run=stale.run_id),
                            {"account": self.name, "stale_pid": stale.pid,
                             "stale_run": stale.run_id}, level="warning")

    def restore_venue(self, o: CycleHost) -> None:
        """Put the paper venue's saved book back (or give a new account its balance)."""
        engine = paper_engine(o.adapter, o.mode)
        if engine is None or not self.durable or self.info is None:
            return
        doc = self.dao.load_state(VENUE_KEY)
        if doc is None:
            engine.balance = float(self.info.starting_equity)
            return
        try:
            import_state(engine, doc)
        except (ValueError, KeyError, TypeError) as exc:
            raise AccountError(f"account {self.name}: {exc}") from exc
        self.restored = True

    def restore_brain(self, o: CycleHost, now: int) -> None:
        """Portfolio figures the venue does not hold, and every registered part."""
        if not self.durable:
            return
        pf = o.portfolio
        doc = self.dao.load_state(PORTFOLIO_KEY)
        if doc is not None:
            pf.restore(list(pf.positions.values()), None, pf.balance, pf.peak_history,
                       realized_pnl=float(doc["realized"]), fees_paid=float(doc["fees"]),
                       loss_streak=int(doc["loss_streak"]),
                       day_start_equity=float(doc["day_start_equity"]), ts=now)
            # The day the baseline belongs to, not the restart's: a restart on a later day
            # lets the first cycle book the old day and roll, as a running brain would.
            pf._daily.day = int(doc["day"]) if doc.get("day") is not None else None
            o.exec_agent.fill_cursor_ms = int(doc.get("fill_cursor_ms", 0))
            self.restored = True
        for part in self.parts:
            saved = self.dao.load_state(part.state_key)
            if saved is not None:
                part.import_state(saved)

    # ------------------------------------------------------------------ every cycle
    def checkpoint(self, o: CycleHost, ts: int) -> None:
        """Save the account as of the end of the cycle at ``ts`` (joins an open batch)."""
        if not self.durable or not self.holding:
            return
        pf = o.portfolio
        with self.dao.batch():
            engine = paper_engine(o.adapter, o.mode)
            if engine is not None:
                self.dao.save_state(VENUE_KEY, export_state(engine), ts=ts)
            day = pf._daily.day
            self.dao.save_state(PORTFOLIO_KEY, {
                "realized": pf.realized_pnl, "fees": pf.fees_paid,
                "loss_streak": pf.loss_streak, "day_start_equity": pf.day_start_equity,
                "day": day, "equity": pf.equity, "balance": pf.balance,
                "fill_cursor_ms": o.exec_agent.fill_cursor_ms, "run_id": o.run_id,
            }, ts=ts)
            clock: dict[str, Any] = {"cycle_ts": ts, "run_id": o.run_id}
            if self.market_seed is not None:
                clock["mock_seed"] = self.market_seed
            self.dao.save_state(CLOCK_KEY, clock, ts=ts)
            for part in self.parts:
                self.dao.save_state(part.state_key, part.export_state(), ts=ts)

    # ------------------------------------------------------------------ stop
    def release(self, o: CycleHost) -> None:
        if self.durable and self.holding:
            try:
                self.dao.release_account(o.run_id)
            except Exception as exc:  # a failed release is taken over as stale next time
                log.warning("releasing account %s failed: %s", self.name, exc)
            self.holding = False


def resume_clock_ms(dao: Any, configured_start_ms: int) -> int:
    """Where the mock market's simulated clock resumes: after the last committed cycle."""
    doc = dao.load_state(CLOCK_KEY) if durable_dao(dao) else None
    if not doc:
        return configured_start_ms
    return max(configured_start_ms, int(doc["cycle_ts"]))


def market_seed(dao: Any) -> int | None:
    """The seed of the mock market the account last traded (None: never saved, or an older
    save that did not record it)."""
    doc = dao.load_state(CLOCK_KEY) if durable_dao(dao) else None
    seed = (doc or {}).get("mock_seed")
    return int(seed) if isinstance(seed, int) else None
