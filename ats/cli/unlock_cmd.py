"""``ats unlock``: release the kill switch (or the daily lock) with a reason on record.

The kill switch never releases itself; a person decides, and the journal keeps who-said-
what. Works on the database, so it also releases a brain that is running right now (the
brain re-reads an engaged lock's saved state every cycle).
"""

from __future__ import annotations

from pathlib import Path

import click

from ats.brain.locks import DAILY, KILL, lock_name, persisted_lock
from ats.cli.account_cmd import account_option
from ats.cli.common import console, fail
from ats.config import load_settings
from ats.domain import RealClock
from ats.i18n import t
from ats.i18n.said import Said


@click.command("unlock", help=t("brain.unlock.help"))
@click.option("--kill-switch", "kill", is_flag=True, help=t("brain.unlock.opt_kill"))
@click.option("--daily-lock", "daily", is_flag=True, help=t("brain.unlock.opt_daily"))
@click.option("--reason", required=True, help=t("brain.unlock.opt_reason"))
@account_option
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=t("brain.run.opt_db"))
def unlock_command(kill: bool, daily: bool, reason: str, account: str | None,
                   db_path: Path | None) -> None:
    """Locks are per account (``lock_name``): release only the named account's, and say
    which account in the journal so the desk of every other account stays locked."""
    if not (kill or daily):
        fail(t("brain.unlock.nothing"))
    if not reason.strip():
        fail(t("brain.unlock.no_reason"))
    path = db_path or load_settings().db_path
    if not Path(path).exists():
        fail(t("brain.unlock.no_db", path=path))
    from storage.accounts import DEFAULT_ACCOUNT
    from storage.dao import PersistDAO

    acct = account or DEFAULT_ACCOUNT
    now = RealClock().now_ms()
    with PersistDAO(path, account=acct) as dao:
        # The default account's row is created on first use; any other must exist.
        if acct != DEFAULT_ACCOUNT and dao.get_account(acct) is None:
            fail(t("final.unlock.no_account", account=acct))
        for flag, name in ((kill, KILL), (daily, DAILY)):
            if not flag:
                continue
            key = lock_name(name, acct)
            state = persisted_lock(dao, key)
            if not state.get("engaged"):
                console.print(t(f"event.unlock.not_engaged.{name}"))
                continue
            state.update({"engaged": False, "released_reason": reason, "released_at": now,
                          "previous_reason": state.get("reason", ""),
                          "previous_said": state.get("said")})
            state["reason"], state["said"] = "", None
            dao.save_lock_state(key, state, ts=now)
            text = Said("event.unlock.by_trader", lock=Said(f"event.lock_name.{name}"),
                        account=acct, reason=reason)
            dao.journal("unlock", {"lock": name, "account": acct, "reason": reason,
                                   "message": text, "said": text.record()}, ts=now,
                        run_id="cli", text=text)
            dao.log("warning", text, ts=now, source="cli")
            console.print(t(f"event.unlock.printed.{name}", reason=reason), style="green",
                          markup=False)
