"""``ats account list | new | show`` and the ``--account`` / ``--speed`` options.

An account is the unit a trader keeps: a run continues it, a clean slate is a new one.
Nothing here trades; these commands read (and, for ``new``, add) account rows beside a
running brain.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from ats.cli.common import console, fail
from ats.i18n import t


def _account(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from storage.accounts import valid_account_name

    if value is None:
        return None
    bad = valid_account_name(value)
    if bad:
        fail(t("account.name_bad", name=value, why=bad))
    return value


def account_option(func: Any) -> Any:
    return click.option("--account", "account", default=None, callback=_account,
                        help=t("account.opt_account"))(func)


def _db_option(func: Any) -> Any:
    return click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
                        default=None, help=t("account.opt_db"))(func)


def open_dao(db_path: Path | None, account: str | None = None, *, readonly: bool = False) -> Any:
    from ats.config import load_settings
    from storage.accounts import DEFAULT_ACCOUNT
    from storage.dao import PersistDAO
    from storage.errors import StorageError

    path = db_path or load_settings().db_path
    try:
        if not readonly:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return PersistDAO(path, readonly=readonly, account=account or DEFAULT_ACCOUNT)
    except StorageError as exc:
        fail(str(exc))


def account_figures(dao: Any, name: str) -> dict[str, Any]:
    """What a trader wants to see of an account, from the database alone."""
    doc = dao.load_state("portfolio", account=name) or {}
    venue = dao.load_state("paper_venue", account=name) or {}
    clock = dao.load_state("clock", account=name) or {}
    holder = dao.holder(name)
    with dao.db.read() as conn:
        runs = conn.execute("SELECT count(*), max(started_ts) FROM runs WHERE account = ?",
                            (name,)).fetchall()[0]
        fills = conn.execute("SELECT count(*), coalesce(sum(fee), 0) FROM fills WHERE "
                             "account = ?", (name,)).fetchall()[0]
    return {
        "equity": doc.get("equity"), "cash": doc.get("balance", venue.get("balance")),
        "positions": {s: p[0] for s, p in (venue.get("positions") or {}).items() if p[0]},
        "resting_orders": len(venue.get("open_orders") or []),
        "runs": int(runs[0]), "fills": int(fills[0]), "fees": float(fills[1]),
        "last_cycle_ts": clock.get("cycle_ts"),
        "holder": None if holder is None else
        f"pid {holder.pid} on {holder.host}, run {holder.run_id}",
        "last_audit": dao.last_audit(name),
    }


@click.group("account", help=t("account.help"))
def account_group() -> None:
    pass


@account_group.command("list", help=t("account.list_help"))
@_db_option
def list_cmd(db_path: Path | None) -> None:
    dao = open_dao(db_path)
    try:
        table = Table(title=t("account.list_title"))
        for col in ("name", "currency", "start", "equity", "runs", "fills", "trading"):
            table.add_column(t(f"account.col_{col}"))
        for a in dao.list_accounts():
            f = account_figures(dao, a.name)
            eq = f["equity"]
            table.add_row(a.name, a.currency, f"{a.starting_equity:,.2f}",
                          "-" if eq is None else f"{eq:,.2f}", str(f["runs"]), str(f["fills"]),
                          f["holder"] or "-")
        console.print(table)
    finally:
        dao.close()


@account_group.command("new", help=t("account.new_help"))
@click.argument("name", callback=_account)
@click.option("--equity", type=click.FloatRange(min=0, min_open=True), default=10_000.0,
              show_default=True, help=t("account.opt_equity"))
@click.option("--currency", default="USD", show_default=True, help=t("account.opt_currency"))
@_db_option
def new_cmd(name: str, equity: float, currency: str, db_path: Path | None) -> None:
    from storage.errors import StorageError

    if not math.isfinite(equity):
        fail(t("account.equity_bad", value=equity))
    cur = currency.strip().upper()
    if not (cur.isalpha() and 2 <= len(cur) <= 6):
        fail(t("account.currency_bad", value=currency))
    dao = open_dao(db_path)
    try:
        dao.create_account(name, currency=cur, starting_equity=equity,
                           ts=int(time.time() * 1000))
    except StorageError as exc:
        fail(exc.message + ". " + exc.hint)
    finally:
        dao.close()
    console.print(t("account.created", name=name, equity=f"{equity:,.2f}", currency=cur))


@account_group.command("show", help=t("account.show_help"))
@click.argument("name", callback=_account)
@_db_option
def show_cmd(name: str, db_path: Path | None) -> None:
    dao = open_dao(db_path)
    try:
        info = dao.get_account(name)
        if info is None:
            fail(t("account.unknown", name=name))
        f = account_figures(dao, name)
    finally:
        dao.close()
    table = Table(title=t("account.show_title", name=name), show_header=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row(t("account.col_currency"), info.currency)
    table.add_row(t("account.col_start"), f"{info.starting_equity:,.2f}")
    for key in ("equity", "cash", "fees"):
        v = f[key]
        table.add_row(t(f"account.col_{key}"), "-" if v is None else f"{v:,.2f}")
    table.add_row(t("account.col_positions"),
                  ", ".join(f"{s} {q:g}" for s, q in f["positions"].items()) or "-")
    table.add_row(t("account.col_resting"), str(f["resting_orders"]))
    table.add_row(t("account.col_runs"), str(f["runs"]))
    table.add_row(t("account.col_fills"), str(f["fills"]))
    from ats.domain.clock import ms_to_datetime

    last = f["last_cycle_ts"]
    table.add_row(t("account.col_last_cycle"),
                  "-" if last is None else ms_to_datetime(int(last)).strftime("%Y-%m-%d %H:%M"))
    table.add_row(t("account.col_trading"), f["holder"] or "-")
    audit = f["last_audit"]
    table.add_row(t("account.col_audit"), "-" if audit is None else
                  t("account.audit_ok" if audit["ok"] else "account.audit_breach",
                    n=audit["breaches"]))
    console.print(table)
