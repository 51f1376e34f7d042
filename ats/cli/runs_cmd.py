"""``ats runs``: the runs in the database, newest first — so a run id is never lost.

One row per run: its id (never cut), the account it traded (when the run recorded one),
mode and venue, start and end (UTC; "running" while open), cycles and P&L from the run's
summary. ``ats report RUN_ID`` and the desk's exit line point here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich import box
from rich.table import Table

from ats.cli.common import console, fail
from ats.domain.clock import ms_to_datetime
from ats.i18n import t


def _when(ms: int | None) -> str:
    return ms_to_datetime(int(ms)).strftime("%Y-%m-%d %H:%M") if ms is not None else ""


def _end(run: dict[str, Any]) -> str:
    """The end time; only HH:MM when the run ended on the day it started (fits 80 cols)."""
    end, start = run.get("ended_ts"), run.get("started_ts")
    if not end:
        return t("desk2.runs.open")
    text = _when(end)
    return text[11:] if start is not None and _when(start)[:10] == text[:10] else text


def _account(run: dict[str, Any]) -> str:
    meta = run.get("meta") or {}
    for source in (run, meta):
        value = source.get("account") or source.get("account_id")
        if value:
            return str(value)
    return ""


def runs_table(runs: list[dict[str, Any]], db: Path) -> Table:
    """Compact (one space between columns) so an 80-column terminal shows whole ids."""
    table = Table(title=t("desk2.runs.title", db=str(db)), box=box.SIMPLE_HEAD,
                  padding=(0, 1), pad_edge=False, collapse_padding=True)
    id_width = max((len(r["run_id"]) for r in runs), default=6)
    with_account = any(_account(r) for r in runs)
    keys = ["run", *(["account"] if with_account else []), "venue", "start", "end", "cycles",
            "pnl"]
    for key in keys:
        # ids are what a trader copies: never cut (min width), the rest folds if it must
        table.add_column(t(f"desk2.runs.col.{key}"),
                         justify="right" if key in ("cycles", "pnl") else "left",
                         overflow="fold", no_wrap=key == "run",
                         min_width=id_width if key == "run" else None)
    for run in runs:
        summary = run.get("summary") or {}
        pnl = summary.get("pnl")
        row = [run["run_id"], *([_account(run) or "—"] if with_account else []),
               f"{run.get('mode', '')} {run.get('adapter', '')}", _when(run.get("started_ts")),
               _end(run), str(summary.get("cycles", "—")),
               f"{pnl:+,.2f}" if isinstance(pnl, int | float) else "—"]
        table.add_row(*row)
    return table


@click.command("runs", help=t("desk2.runs.help"))
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=t("desk2.runs.opt_db"))
@click.option("-n", "--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help=t("desk2.runs.opt_limit"))
def runs_command(db_path: Path | None, limit: int) -> None:
    from ats.config import load_settings
    from storage.dao import PersistDAO

    path = db_path or load_settings().db_path
    if not Path(path).exists():
        fail(t("desk2.runs.no_db", path=str(path)))
    dao = PersistDAO(path, readonly=True)
    try:
        runs = dao.list_runs(limit)
    finally:
        dao.close()
    if not runs:
        console.print(t("desk2.runs.none", db=str(path)))
        return
    console.print(runs_table(runs, Path(path)))
    console.print(t("desk2.runs.hint"))


def exit_line(run_id: str, db: Path | str | None) -> str:
    """What the desk and ``ats run`` print on exit: the id, and how to find it again."""
    return t("desk2.run.exit", run=run_id,
             db=f" --db {db}" if db is not None else "")
