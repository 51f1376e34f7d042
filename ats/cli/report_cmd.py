"""``ats report RUN_ID``: write a run's summary markdown and equity chart from the database."""

from __future__ import annotations

from pathlib import Path

import click

from ats.cli.common import console, fail
from ats.cli.params import SafeName
from ats.i18n import t


@click.command("report", help=t("report.help"))
@click.argument("run_id", type=SafeName("run id"))
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=t("report.opt_db"))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("reports"), show_default=True, help=t("report.opt_out"))
def report_command(run_id: str, db_path: Path | None, out_dir: Path) -> None:
    from ats.config import load_settings
    from ats.monitor.report import ReportError, write_report
    from storage.dao import PersistDAO

    path = db_path or load_settings().db_path
    if not Path(path).exists():
        fail(t("report.no_db", path=str(path)))
    dao = PersistDAO(path, readonly=True)
    try:
        written = write_report(dao, run_id, out_dir)
    except ReportError as exc:
        fail(str(exc))
    finally:
        dao.close()
    for p in written:
        console.print(t("report.written", path=str(p)))
