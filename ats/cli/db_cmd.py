"""``ats db stats|backup|cleanup|check`` and ``ats search``: the database from the shell.

Expected failures (a corrupt file, a bad query, a full disk) print one clear line and exit
non-zero — never a traceback.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.table import Table
from rich.text import Text

from ats.cli.common import console, fail
from ats.cli.errors import EXIT_DATABASE
from ats.config.settings import load_settings
from ats.domain import RealClock
from ats.i18n import t
from storage.dao import PersistDAO
from storage.errors import CorruptDatabaseError, ReadOnlyDatabaseError, StorageError
from storage.maintenance import backup, check, cleanup, stats
from storage.protocol import SearchQueryError

_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_MARK = re.compile(r"\[([^\[\]]*)\]")
_AGE_MS = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 7 * 86_400_000}

db_option = click.option(
    "--db", "db_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
    help="Database file (default: ATS_DB or data/ats.db).",
)


def resolve_db(db_path: Path | None) -> Path:
    """``--db``, else the settings' path; the default ``data/`` directory is created."""
    if db_path is not None:
        return db_path
    path = load_settings().db_path
    if not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    return path


def open_dao(db_path: Path | None, *, readonly: bool = False,
             create: bool = True) -> PersistDAO:
    """Open the database or exit with a clear message; ``create=False`` refuses to make an
    empty file (inspecting a database that is not there is a typo, not a request)."""
    path = resolve_db(db_path)
    if not create and not path.exists():
        fail(t("db.missing", path=path))
    try:
        return PersistDAO(path, readonly=readonly)
    except StorageError as exc:
        fail(str(exc), code=EXIT_DATABASE)


def open_for_reading(db_path: Path | None, *, damaged_ok: bool = False) -> PersistDAO:
    """Open for a command that only reads: read-write when possible (so an older schema is
    migrated), read-only when the file is read-only (a healthy read-only file is healthy),
    and — for ``ats db check`` only — read-only when the quick check finds damage, so the
    full check can say what is wrong."""
    path = resolve_db(db_path)
    if not path.exists():
        fail(t("db.missing", path=path))
    fallback: tuple[type[StorageError], ...] = (ReadOnlyDatabaseError,)
    if damaged_ok:
        fallback += (CorruptDatabaseError,)
    try:
        return PersistDAO(path)
    except fallback:
        pass
    except StorageError as exc:
        fail(str(exc), code=EXIT_DATABASE)
    try:
        return PersistDAO(path, readonly=True)
    except StorageError as exc:
        fail(str(exc), code=EXIT_DATABASE)


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def fmt_ms(ms: int | None) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")


def highlight(snippet: str) -> Text:
    """The FTS snippet with its ``[match]`` marks shown bold instead of as brackets."""
    out = Text()
    pos = 0
    for m in _MARK.finditer(snippet):
        out.append(snippet[pos:m.start()])
        out.append(m.group(1), style="bold yellow")
        pos = m.end()
    out.append(snippet[pos:])
    return out


def parse_age(text: str) -> int:
    m = _AGE.match(text)
    if not m:
        raise click.BadParameter(t("db.cleanup.bad_age", value=text))
    return int(float(m.group(1)) * _AGE_MS[m.group(2)])


@click.group("db", help=t("db.help"))
def db_group() -> None:
    pass


@db_group.command("stats", help=t("db.stats.help"))
@db_option
def stats_cmd(db_path: Path | None) -> None:
    dao = open_for_reading(db_path)
    try:
        s = stats(dao)
    except StorageError as exc:
        fail(str(exc), code=EXIT_DATABASE)
    finally:
        dao.close()
    table = Table(title=t("db.stats.title", path=s.path, version=s.user_version))
    table.add_column(t("db.col_table"))
    table.add_column(t("db.col_rows"), justify="right")
    for name, n in s.rows.items():
        table.add_row(name, f"{n:,}")
    console.print(table)
    console.print(t("db.stats.sizes", file=human_bytes(s.file_bytes), wal=human_bytes(s.wal_bytes)))


@db_group.command("backup", help=t("db.backup.help"))
@click.argument("dest", type=click.Path(path_type=Path))
@db_option
def backup_cmd(dest: Path, db_path: Path | None) -> None:
    dao = open_dao(db_path, create=False)
    try:
        out = backup(dao, dest)
    except StorageError as exc:
        fail(str(exc), code=EXIT_DATABASE)
    finally:
        dao.close()
    console.print(t("db.backup.done", path=out, size=human_bytes(out.stat().st_size)))


@db_group.command("cleanup", help=t("db.cleanup.help"))
@click.option("--older-than", "older_than", default="90d", show_default=True,
              help="Age cutoff: 90d, 12h, 2w...")
@click.option("--archive-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Where Parquet archives go (default: data/archive next to the database).")
@db_option
def cleanup_cmd(older_than: str, archive_dir: Path | None, db_path: Path | None) -> None:
    age_ms = parse_age(older_than)
    dao = open_dao(db_path, create=False)
    now = RealClock().now_ms()
    cutoff = now - age_ms
    adir = archive_dir or dao.path.parent / "archive"
    stamp = datetime.fromtimestamp(now / 1000, tz=UTC).strftime("%Y%m%dT%H%M%SZ")
    try:
        result = cleanup(dao, cutoff_ms=cutoff, archive_dir=adir, stamp=stamp)
        dao.db.checkpoint()
    except StorageError as exc:
        fail(str(exc), code=EXIT_DATABASE)
    finally:
        dao.close()
    if not any(result.deleted.values()):
        console.print(t("db.cleanup.nothing", cutoff=fmt_ms(cutoff)))
        return
    table = Table(title=t("db.cleanup.title", cutoff=fmt_ms(cutoff)))
    table.add_column(t("db.col_table"))
    table.add_column(t("db.col_deleted"), justify="right")
    table.add_column(t("db.col_archive"))
    for name, n in result.deleted.items():
        path = result.archives.get(name)
        table.add_row(name, f"{n:,}", str(path) if path else "-")
    console.print(table)


@db_group.command("check", help=t("db.check.help"))
@db_option
def check_cmd(db_path: Path | None) -> None:
    dao = open_for_reading(db_path, damaged_ok=True)
    try:
        problems = check(dao)
    except StorageError as exc:
        fail(str(exc), code=EXIT_DATABASE)
    finally:
        dao.close()
    if problems:
        console.print(f"[bold red]{t('db.check.problems', n=len(problems), path=dao.path)}[/]")
        for p in problems:
            console.print(f"  - {p}", markup=False)
        raise SystemExit(EXIT_DATABASE)
    console.print(t("db.check.ok", path=dao.path))


@click.command("search", help=t("search.help"))
@click.argument("query", nargs=-1, required=True)
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@db_option
def search_cmd(query: tuple[str, ...], limit: int, db_path: Path | None) -> None:
    text = " ".join(query)
    dao = open_for_reading(db_path)
    try:
        hits = dao.search(text, limit=limit)
    except SearchQueryError as exc:
        fail(t("search.bad_query", message=str(exc)))
    except StorageError as exc:
        fail(str(exc), code=EXIT_DATABASE)
    finally:
        dao.close()
    if not hits:
        console.print(t("search.none", query=text), markup=False)
        return
    table = Table(title=Text(t("search.title", query=text, n=len(hits))))
    table.add_column(t("search.col_time"), no_wrap=True)
    table.add_column(t("search.col_source"))
    table.add_column(t("search.col_kind"))
    table.add_column(t("search.col_text"))
    for h in hits:
        table.add_row(fmt_ms(h.ts), h.source, Text(h.kind), highlight(h.snippet))
    console.print(table)
