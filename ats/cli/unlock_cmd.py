"""``ats unlock``: release the kill switch (or the daily lock) with a reason on record.

The kill switch never releases itself; a person decides, and the journal keeps who-said-
what. Works on the database, so it also releases a brain that is running right now (the
brain re-reads an engaged lock's saved state every cycle).
"""

from __future__ import annotations

from pathlib import Path

import click

from ats.brain.locks import DAILY, KILL, persisted_lock
from ats.cli.common import console, fail
from ats.config import load_settings
from ats.domain import RealClock
from ats.i18n import t


@click.command("unlock", help=t("brain.unlock.help"))
@click.option("--kill-switch", "kill", is_flag=True, help=t("brain.unlock.opt_kill"))
@click.option("--daily-lock", "daily", is_flag=True, help=t("brain.unlock.opt_daily"))
@click.option("--reason", required=True, help=t("brain.unlock.opt_reason"))
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=t("brain.run.opt_db"))
def unlock_command(kill: bool, daily: bool, reason: str, db_path: Path | None) -> None:
    if not (kill or daily):
        fail(t("brain.unlock.nothing"))
    if not reason.strip():
        fail(t("brain.unlock.no_reason"))
    path = db_path or load_settings().db_path
    if not Path(path).exists():
        fail(t("brain.unlock.no_db", path=path))
    from storage.dao import PersistDAO

    now = RealClock().now_ms()
    with PersistDAO(path) as dao:
        for flag, name in ((kill, KILL), (daily, DAILY)):
            if not flag:
                continue
            state = persisted_lock(dao, name)
            if not state.get("engaged"):
                console.print(t("brain.unlock.not_engaged", name=name))
                continue
            state.update({"engaged": False, "released_reason": reason, "released_at": now,
                          "previous_reason": state.get("reason", "")})
            state["reason"] = ""
            dao.save_lock_state(name, state, ts=now)
            text = f"{name.replace('_', ' ')} unlocked by the trader: {reason}"
            dao.journal("unlock", {"lock": name, "reason": reason}, ts=now, run_id="cli",
                        text=text)
            dao.log("warning", text, ts=now, source="cli")
            console.print("[green]" + t("brain.unlock.done", name=name, reason=reason) + "[/]")
