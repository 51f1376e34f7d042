"""Trading locks: the daily lock, the kill switch and the governance lock.

- Daily lock: daily PnL <= -daily_max_loss. Stops new entries until the next UTC day.
- Kill switch: trailing drawdown over the governance window <= -trailing_dd_kill_switch,
  or engaged by hand. Stays engaged — across restarts — until ``ats unlock --kill-switch``.
- Governance lock: ``governance.yaml`` changed on disk while running. Until restart.

Exits are never blocked by any lock. Daily lock and kill switch are saved through the DAO
on every change so a restart comes back locked; the governance lock is not saved, because a
restart reloads (and re-validates) the edited file — that is the intended way to apply it.

A lock's reason is a ``Said``: the saved state keeps its catalogue record (``said``) next to
the English text, so a lock carried over a restart still shows its cause in the reader's
language. A state saved before records existed loads with its English text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ats.i18n.said import Said, from_record, said_record

DAY_MS = 86_400_000
DAILY = "daily_lock"
KILL = "kill_switch"


@dataclass(frozen=True, slots=True)
class LockEvent:
    """A lock change, for the journal: kind is "lock" or "unlock"."""

    kind: str
    name: str
    reason: str
    ts: int


def lock_name(name: str, account: str | None) -> str:
    """Locks are per account; the default account keeps the historical names."""
    return name if account in (None, "", "paper") else f"{name}@{account}"


class LockManager:
    def __init__(self, dao: Any, account: str | None = None) -> None:
        self.dao = dao
        self.daily_key = lock_name(DAILY, account)
        self.kill_key = lock_name(KILL, account)
        self.daily_lock = False
        self.daily_day: int | None = None
        self.daily_reason = ""
        self.kill_switch = False
        self.kill_reason = ""
        self.governance_locked = False
        self.governance_reason = ""
        self.kill_released_at: int | None = None  # drawdown is measured from here after unlock

    # ------------------------------------------------------------------ persistence
    def load(self) -> None:
        d = self.dao.load_lock_state(self.daily_key) or {}
        self.daily_lock = bool(d.get("engaged", False))
        self.daily_day = d.get("day")
        self.daily_reason = _stored_reason(d)
        k = self.dao.load_lock_state(self.kill_key) or {}
        self.kill_switch = bool(k.get("engaged", False))
        self.kill_reason = _stored_reason(k)
        rel = k.get("released_at")
        self.kill_released_at = int(rel) if rel is not None and not self.kill_switch else None

    def refresh_released(self, ts: int) -> tuple[bool, bool]:
        """Pick up a release made by ``ats unlock`` while running (it writes the DB).

        Returns (kill switch released, daily lock released): the caller re-bases the
        drawdown peak or the day's baseline, as for an in-process unlock, so the same old
        loss does not re-engage the lock on the next cycle.
        """
        released = False
        daily = False
        if self.kill_switch:
            k = self.dao.load_lock_state(self.kill_key) or {}
            if k and not k.get("engaged", True):
                self.kill_switch, self.kill_reason = False, ""
                self.kill_released_at = int(k.get("released_at", ts))
                released = True
        if self.daily_lock:
            d = self.dao.load_lock_state(self.daily_key) or {}
            if d and not d.get("engaged", True):
                self.daily_lock, self.daily_reason = False, ""
                daily = True
        return released, daily

    def _save_daily(self, ts: int) -> None:
        self.dao.save_lock_state(self.daily_key, {"engaged": self.daily_lock, "day": self.daily_day,
                                                  "reason": self.daily_reason,
                                                  "said": said_record(self.daily_reason)}, ts=ts)

    def _save_kill(self, ts: int) -> None:
        self.dao.save_lock_state(self.kill_key, {"engaged": self.kill_switch,
                                                 "reason": self.kill_reason,
                                                 "said": said_record(self.kill_reason)}, ts=ts)

    # ------------------------------------------------------------------ transitions
    def roll_day(self, ts: int) -> LockEvent | None:
        """Release the daily lock once the UTC day it was set on is over."""
        if self.daily_lock and self.daily_day is not None and ts // DAY_MS > self.daily_day:
            self.daily_lock = False
            reason = Said("reason.lock.daily_new_day")
            self.daily_reason = ""
            self._save_daily(ts)
            return LockEvent("unlock", DAILY, reason, ts)
        return None

    def apply_guard(self, guard: Any, ts: int) -> list[LockEvent]:
        """Engage locks the drawdown guard asks for (never releases them)."""
        events: list[LockEvent] = []
        if guard.kill_switch and not self.kill_switch:
            self.kill_switch = True
            self.kill_reason = _own_cause(guard, KILL)
            self._save_kill(ts)
            events.append(LockEvent("lock", KILL, self.kill_reason, ts))
        if guard.daily_lock and not self.daily_lock:
            self.daily_lock = True
            self.daily_day = ts // DAY_MS
            self.daily_reason = _own_cause(guard, DAILY)
            self._save_daily(ts)
            events.append(LockEvent("lock", DAILY, self.daily_reason, ts))
        return events

    def engage_kill(self, reason: str, ts: int) -> LockEvent:
        self.kill_switch = True
        self.kill_reason = Said("reason.lock.kill_manual", reason=reason)
        self._save_kill(ts)
        return LockEvent("lock", KILL, self.kill_reason, ts)

    def unlock_kill(self, reason: str, ts: int) -> LockEvent:
        self.kill_switch = False
        self.kill_reason = ""
        self.kill_released_at = ts
        self.dao.save_lock_state(self.kill_key, {"engaged": False, "reason": "", "released_at": ts,
                                        "released_reason": reason}, ts=ts)
        return LockEvent("unlock", KILL, Said("reason.lock.kill_unlocked", reason=reason), ts)

    def unlock_daily(self, reason: str, ts: int) -> LockEvent:
        self.daily_lock = False
        self.daily_reason = ""
        self._save_daily(ts)
        return LockEvent("unlock", DAILY, Said("reason.lock.daily_unlocked", reason=reason), ts)

    def lock_governance(self, path: str, ts: int) -> LockEvent | None:
        if self.governance_locked:
            return None
        self.governance_locked = True
        self.governance_reason = Said("reason.lock.governance", path=str(path))
        return LockEvent("lock", "governance", self.governance_reason, ts)

    # ------------------------------------------------------------------ reading
    @property
    def blocked(self) -> bool:
        return self.kill_switch or self.daily_lock or self.governance_locked

    def status(self) -> tuple[str, str]:
        """(code, reason) of the strongest lock in force, or ("", "")."""
        if self.governance_locked:
            return "governance_lock", self.governance_reason
        if self.kill_switch:
            return "kill_switch", self.kill_reason or Said("reason.lock.kill_engaged")
        if self.daily_lock:
            return "daily_lock", self.daily_reason or Said("reason.lock.daily_engaged")
        return "", ""


def _stored_reason(state: dict[str, Any]) -> str:
    """A saved lock's reason: the ``Said`` its record names, else the stored text (a state
    saved before records existed, or naming a key this version no longer has)."""
    text = str(state.get("reason", "") or "")
    if not text:
        return ""
    back = from_record(state.get("said"))
    return back if back is not None else text


def _own_cause(guard: Any, name: str) -> str:
    """The guard's cause for one lock: its own field (a ``Said``), else the piece of the
    joined reason that names the lock."""
    own = getattr(guard, "kill_reason" if name == KILL else "daily_reason", "")
    return own or _part(guard.reason, name.replace("_", " "))


def _part(reason: str, key: str) -> str:
    for piece in reason.split("; "):
        if piece.startswith(key):
            return piece
    return reason or key


def persisted_lock(dao: Any, name: str) -> dict[str, Any]:
    """The saved state of one lock (for ``ats unlock``), empty if never saved."""
    return dict(dao.load_lock_state(name) or {})
