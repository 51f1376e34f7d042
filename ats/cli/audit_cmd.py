"""``ats audit``: prove from the ledger and the journal that the risk rules held.

Runs beside a trading brain (it only reads trading rows; it writes its verdict to the
``audits`` table, where the desk reads it). Exit 1 when any invariant is breached.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from rich.table import Table

from ats.cli.account_cmd import _account, open_dao
from ats.cli.common import console, fail
from ats.i18n import t


def audit_table(checks: list, title: str) -> Table:  # type: ignore[type-arg]
    table = Table(title=title)
    for col in ("invariant", "checked", "breaches", "first"):
        table.add_column(t(f"account.audit_col_{col}"))
    for c in checks:
        table.add_row(c.name, str(c.checked), str(len(c.breaches)),
                      c.breaches[0] if c.breaches else "-",
                      style=None if c.ok else "bold red")
    return table


@click.command("audit", help=t("account.audit_help"))
@click.option("--account", "account", default=None, callback=_account,
              help=t("account.opt_account"))
@click.option("--run", "run_id", default=None, help=t("account.opt_run"))
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=t("account.opt_db"))
@click.option("--config-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help=t("account.opt_config"))
def audit_command(account: str | None, run_id: str | None, db_path: Path | None,
                  config_dir: Path | None) -> None:
    from ats.audit import run_audit
    from ats.config import ConfigError, load_governance
    from ats.config import config_dir as cfg_dir
    from storage.accounts import DEFAULT_ACCOUNT

    name = account or DEFAULT_ACCOUNT
    try:
        gov = load_governance(cfg_dir(config_dir) / "governance.yaml").governance
    except ConfigError as exc:
        fail(exc.describe())
    dao = open_dao(db_path, name)
    now = int(time.time() * 1000)
    try:
        checks = run_audit(dao, gov, name, run_id, ts=now)
        path = dao.path
    except LookupError as exc:
        fail(str(exc).strip("'\""))
    finally:
        dao.close()
    n = sum(len(c.breaches) for c in checks)
    from ats.monitor.audit_status import write_audit_status

    try:  # the running exporter publishes it as ats_audit_breaches (the AuditBreach alert)
        write_audit_status(path, n, now)
    except OSError as exc:
        console.print(t("account.audit_status_failed", error=exc))
    console.print(audit_table(checks, t("account.audit_title", account=name,
                                        run=run_id or t("account.audit_all_runs"))))
    console.print(t("account.audit_verdict_ok") if n == 0 else
                  t("account.audit_verdict_bad", n=n))
    if n:
        sys.exit(1)
