"""Accounts: the unit of durability, their saved state, their one trading process, audits.

An account outlives runs. Everything that defines it — the paper venue's book, the
portfolio's day baseline and peak window, cooldowns, the mock market's clock — is saved as
one JSON document per ``key`` in ``account_state`` and read back on start, so a run
continues where the last committed cycle left it. ``account_holders`` names the one process
trading an account (pid, host, run id, since when); readers never take it.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from storage.codec import dumps
from storage.db import Database
from storage.errors import StorageError

DEFAULT_ACCOUNT = "paper"
ACCOUNT_NAME_MAX = 40


@dataclass(frozen=True, slots=True)
class AccountInfo:
    name: str
    currency: str
    starting_equity: float
    created_ts: int
    meta: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Holder:
    """The process trading an account."""

    account: str
    pid: int
    host: str
    run_id: str
    since_ms: int


class AccountBusyError(StorageError):
    """Another live process trades this account."""

    def __init__(self, holder: Holder, *, path: str = "") -> None:
        self.holder = holder
        super().__init__(
            f"account {holder.account!r} is already traded by pid {holder.pid} on "
            f"{holder.host} (run {holder.run_id}, since {_iso(holder.since_ms)})",
            path=path,
            hint="Stop that run first, or trade another account with --account NAME",
        )


def _iso(ms: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def valid_account_name(name: str) -> str | None:
    """None if ``name`` is usable, else why not (one line)."""
    if not name or len(name) > ACCOUNT_NAME_MAX:
        return f"an account name has 1 to {ACCOUNT_NAME_MAX} characters"
    if not all(c.isalnum() or c in "-_." for c in name):
        return "an account name uses letters, digits, '-', '_' and '.' only"
    return None


def pid_alive(pid: int) -> bool:
    """Is ``pid`` a running process on this machine? (signal 0 checks without touching it)"""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


class AccountsMixin:
    _db: Database
    account: str
    _ensure_run: Callable[[Any, str, int], None]

    # ------------------------------------------------------------------ accounts
    def create_account(self, name: str, *, currency: str, starting_equity: float, ts: int,
                       meta: dict[str, Any] | None = None) -> AccountInfo:
        """A new account; an existing name is refused (a clean slate never overwrites)."""
        with self._db.write() as conn:
            if conn.execute("SELECT 1 FROM accounts WHERE name = ?", (name,)).fetchall():
                raise StorageError(f"account {name!r} already exists", path=self._db.path,
                                   hint="Pick another name; `ats account list` shows them")
            conn.execute(
                "INSERT INTO accounts (name, currency, starting_equity, created_ts, meta) "
                "VALUES (?,?,?,?,?)",
                (name, currency, float(starting_equity), int(ts), dumps(meta or {})))
        info = self.get_account(name)
        assert info is not None
        return info

    def ensure_account(self, name: str, *, currency: str, starting_equity: float,
                       ts: int) -> tuple[AccountInfo, bool]:
        """The account, created on first use; (info, created)."""
        info = self.get_account(name)
        if info is not None:
            return info, False
        return self.create_account(name, currency=currency, starting_equity=starting_equity,
                                   ts=ts), True

    def get_account(self, name: str) -> AccountInfo | None:
        with self._db.read() as conn:
            rows = conn.execute("SELECT name, currency, starting_equity, created_ts, meta "
                                "FROM accounts WHERE name = ?", (name,)).fetchall()
        if not rows:
            return None
        n, cur, eq, ts, meta = rows[0]
        return AccountInfo(n, cur, float(eq), int(ts), json.loads(meta))

    def list_accounts(self) -> list[AccountInfo]:
        with self._db.read() as conn:
            names = [r[0] for r in conn.execute("SELECT name FROM accounts ORDER BY name")]
        return [a for a in (self.get_account(n) for n in names) if a is not None]

    # ------------------------------------------------------------------ saved state
    def save_state(self, key: str, state: dict[str, Any], *, ts: int,
                   account: str | None = None) -> None:
        """Save one state document of the account (joins an open ``batch()``)."""
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO account_state (account, key, state, ts) VALUES (?,?,?,?) "
                "ON CONFLICT (account, key) DO UPDATE SET state = excluded.state, "
                "ts = excluded.ts", (account or self.account, key, dumps(state), int(ts)))

    def load_state(self, key: str, *, account: str | None = None) -> dict[str, Any] | None:
        with self._db.read() as conn:
            rows = conn.execute("SELECT state FROM account_state WHERE account = ? AND key = ?",
                                (account or self.account, key)).fetchall()
        return json.loads(rows[0][0]) if rows else None

    def state_keys(self, account: str | None = None) -> dict[str, int]:
        """Saved keys and when each was saved."""
        with self._db.read() as conn:
            return {k: int(ts) for k, ts in conn.execute(
                "SELECT key, ts FROM account_state WHERE account = ? ORDER BY key",
                (account or self.account,))}

    # ------------------------------------------------------------------ the trading process
    def holder(self, account: str | None = None) -> Holder | None:
        with self._db.read() as conn:
            rows = conn.execute("SELECT account, pid, host, run_id, since_ms FROM "
                                "account_holders WHERE account = ?",
                                (account or self.account,)).fetchall()
        return Holder(*rows[0]) if rows else None

    def acquire_account(self, run_id: str, *, since_ms: int, pid: int | None = None,
                        account: str | None = None) -> Holder | None:
        """Become the account's one trading process.

        Returns the stale holder taken over (its pid is gone) or None; raises
        ``AccountBusyError`` when a live process holds it. Check and take are one
        transaction, so two starts racing cannot both win.
        """
        name = account or self.account
        me = Holder(name, os.getpid() if pid is None else pid, socket.gethostname(), run_id,
                    int(since_ms))
        with self._db.write() as conn:
            rows = conn.execute("SELECT account, pid, host, run_id, since_ms FROM "
                                "account_holders WHERE account = ?", (name,)).fetchall()
            stale = None
            if rows:
                old = Holder(*rows[0])
                same_host = old.host == me.host
                if old.pid != me.pid or not same_host:
                    if not same_host or pid_alive(old.pid):
                        raise AccountBusyError(old, path=str(self._db.path))
                    stale = old
            conn.execute(
                "INSERT OR REPLACE INTO account_holders (account, pid, host, run_id, since_ms) "
                "VALUES (?,?,?,?,?)", (name, me.pid, me.host, me.run_id, me.since_ms))
        return stale

    def release_account(self, run_id: str, account: str | None = None) -> None:
        """Let the account go (only if this run still holds it)."""
        with self._db.write() as conn:
            conn.execute("DELETE FROM account_holders WHERE account = ? AND run_id = ?",
                         (account or self.account, run_id))

    # ------------------------------------------------------------------ audits
    def record_audit(self, *, account: str, run_id: str | None, ts: int, ok: bool,
                     breaches: int, report: dict[str, Any]) -> int:
        with self._db.write() as conn:
            conn.execute("INSERT INTO audits (account, run_id, ts, ok, breaches, report) "
                         "VALUES (?,?,?,?,?,?)",
                         (account, run_id, int(ts), int(ok), int(breaches), dumps(report)))
            return int(conn.last_insert_rowid())

    def last_audit(self, account: str | None = None) -> dict[str, Any] | None:
        with self._db.read() as conn:
            rows = conn.execute("SELECT id, account, run_id, ts, ok, breaches, report FROM "
                                "audits WHERE account = ? ORDER BY id DESC LIMIT 1",
                                (account or self.account,)).fetchall()
        if not rows:
            return None
        i, acc, run, ts, ok, n, report = rows[0]
        return {"id": i, "account": acc, "run_id": run, "ts": ts, "ok": bool(ok),
                "breaches": n, "report": json.loads(report)}
