"""``ats doctor``: compare an account's ledger with its venue; ``--adopt``/``--flatten`` fix it."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click
from rich.table import Table

from ats.cli.account_cmd import _account, open_dao
from ats.cli.common import console, fail
from ats.i18n import t
from ats.i18n.said import render


@click.command("doctor", help=t("account.doctor_help"))
@click.option("--account", "account", default=None, callback=_account,
              help=t("account.opt_account"))
@click.option("--adopt", is_flag=True, help=t("account.opt_adopt"))
@click.option("--flatten", is_flag=True, help=t("account.opt_flatten"))
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=t("account.opt_db"))
def doctor_command(account: str | None, adopt: bool, flatten: bool,
                   db_path: Path | None) -> None:
    from ats.brain import doctor
    from storage.accounts import DEFAULT_ACCOUNT, AccountBusyError

    if adopt and flatten:
        fail(t("account.doctor_both"))
    name = account or DEFAULT_ACCOUNT
    dao = open_dao(db_path, name)
    try:
        if dao.get_account(name) is None:
            fail(t("account.unknown", name=name))
        rows = doctor.compare(dao)
        table = Table(title=t("account.doctor_title", account=name))
        for col in ("symbol", "ledger", "venue", "fills", "state"):
            table.add_column(t(f"account.doctor_col_{col}"))
        for r in rows:
            table.add_row(r.symbol, f"{r.ledger:g}", f"{r.venue:g}", f"{r.fills:g}",
                          t("account.doctor_ok") if r.ok else t("account.doctor_diff"),
                          style=None if r.ok else "bold red")
        console.print(table)
        bad = [r for r in rows if not r.ok]
        if not (adopt or flatten):
            console.print(t("account.doctor_clean") if not bad else
                          t("account.doctor_found", n=len(bad)))
            sys.exit(1 if bad else 0)
        now = int(time.time() * 1000)
        run_id = f"doctor-{now}"
        try:
            dao.acquire_account(run_id, since_ms=now, pid=os.getpid())
        except AccountBusyError as exc:
            fail(str(exc))
        try:
            done = doctor.adopt(dao, now) if adopt else doctor.flatten(dao, now)
        finally:
            dao.release_account(run_id)
        for line in done:
            console.print(render(line), markup=False)
        console.print(t("account.doctor_done", n=len(done)))
    finally:
        dao.close()
