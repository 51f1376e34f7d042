"""``ats sync``: backfill then follow a venue into SQLite, headless, with progress and a summary.

SIGINT / SIGTERM ask the synchronizer to stop after the batch in flight; since each batch
commits with its cursor, a stop (or even ``kill -9``) loses nothing that was reported.
"""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ats.cli.common import (
    console,
    fail,
    guard_live,
    install_stop_handlers,
    mode_options,
    remove_stop_handlers,
)
from ats.cli.db_cmd import db_option, fmt_ms, open_dao
from ats.cli.errors import EXIT_DATABASE, EXIT_RUNTIME, EXIT_USAGE, classify
from ats.cli.params import SEED, SPEED, parse_timeframes
from ats.config import ConfigError, SymbolsConfig, load_adapters, load_settings, load_symbols
from ats.domain import Clock, Mode, RealClock, SimulatedClock, timeframe_ms
from ats.domain.types import TIMEFRAMES
from ats.i18n import t
from storage.dao import PersistDAO
from storage.sync import Synchronizer, SyncSummary


def parse_since(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(t("sync.bad_since", value=text)) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1000)


def _split(text: str | None) -> list[str] | None:
    if not text:
        return None
    return [p.strip() for p in text.replace(" ", ",").split(",") if p.strip()]


def _clock_for(adapter: str, speed: float | None, mock_start: str) -> Clock:
    """The mock market runs on simulated time from its configured start (it serves ~400 days
    of closed history before that); every real venue runs on the wall clock."""
    if adapter != "mock":
        return RealClock()
    from broker_adapters.mock import parse_start

    return SimulatedClock(parse_start(mock_start), speed=speed or 60.0)


def _short(ms: int | None) -> str:
    return fmt_ms(ms)[2:]  # 26-01-04 23:59: the table must fit an 80-column terminal


def summary_table(summary: SyncSummary) -> Table:
    table = Table(title=t("sync.title", adapter=summary.source))
    for key, justify in (("sync.col_symbol", "left"), ("sync.col_timeframe", "left"),
                         ("sync.col_stream", "left"), ("sync.col_rows", "right"),
                         ("sync.col_batches", "right"), ("sync.col_range", "left"),
                         ("sync.col_errors", "right")):
        table.add_column(t(key), justify=justify,  # type: ignore[arg-type]
                         no_wrap=key in ("sync.col_symbol", "sync.col_rows"))
    for r in summary.targets.values():
        span = f"{_short(r.first_ts)} → {_short(r.last_ts)}" if r.first_ts else "-"
        errors = str(r.errors) + (f" ({r.last_error[:60]})" if r.last_error else "")
        table.add_row(r.symbol, r.timeframe or "-", r.stream, f"{r.rows:,}", str(r.batches),
                      span, errors)
    return table


def refuse_unknown_mock_symbols(requested: list[str], symbols_cfg: SymbolsConfig) -> None:
    """The mock market invents a price path for any name; ``--symbols NOPE/XYZ`` stored
    2,000 made-up bars. It lists what it has a profile for plus what symbols.yaml
    configures for it — anything else is refused like a real venue would."""
    from broker_adapters.mock.profiles import KNOWN

    known = sorted(set(KNOWN) | set(symbols_cfg.adapters["mock"].symbols
                                    if "mock" in symbols_cfg.adapters else ()))
    unknown = [s for s in requested if s not in known]
    if unknown:
        fail(t("hostile.unknown_symbols", venue="mock", symbols=", ".join(unknown),
               known=", ".join(known)), code=EXIT_USAGE)


async def _check_listed(sync: Synchronizer) -> None:
    """Every requested symbol must be listed by the venue before anything is stored."""
    specs = await sync.adapter.instruments()
    missing = [s for s in sync.symbols if s not in specs]
    if missing:
        from broker_adapters.errors import BadSymbolError

        raise BadSymbolError(t("hostile.unknown_symbols", venue=sync.source,
                               symbols=", ".join(missing),
                               known=", ".join(sorted(specs)[:20])), venue=sync.source)


async def _run(sync: Synchronizer, *, follow: bool, max_polls: int | None) -> SyncSummary:
    loop = asyncio.get_running_loop()
    def first_signal(sig: signal.Signals) -> None:
        # The first Ctrl+C stops after the batch in flight; a second one falls through to
        # the default handler (immediate exit — still safe: every commit is atomic).
        sync.request_stop()
        loop.remove_signal_handler(sig)
        installed.remove(sig)

    installed = install_stop_handlers(loop, first_signal)
    try:
        try:
            # close() on every path, a failed connect included: a half-open ccxt session
            # otherwise leaves aiohttp's "Unclosed connector" warning behind.
            await sync.adapter.connect()
            await _check_listed(sync)
            return await sync.run(follow=follow, max_polls=max_polls)
        finally:
            await sync.adapter.close()
    finally:
        remove_stop_handlers(loop, installed)


@click.command("sync", help=t("sync.help"))
@click.option("--adapter", default=None, help="mock, bingx or mt5 (default: adapters.yaml).")
@click.option("--symbols", default=None, help="Comma-separated symbols (default: symbols.yaml).")
@click.option("--timeframes", default=None, help="Comma-separated timeframes, e.g. 1m,1h.")
@click.option("--since", default=None, help="Backfill from this UTC date (YYYY-MM-DD or ISO).")
@click.option("--once/--follow", "once", default=False,
              help="Backfill and exit, or keep following (default).")
@db_option
@click.option("--speed", type=SPEED, default=None,
              help="Mock market clock speed (x real time).")
@click.option("--seed", type=SEED, default=None, help="Mock market seed.")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=None,
              help="Bars per request and per transaction (default: the venue's maximum).")
@click.option("--ticks", is_flag=True, help="Also record a quote per symbol on every poll.")
@click.option("--max-polls", type=click.IntRange(0), default=None,
              help="Stop following after this many polls.")
@click.option("--config-dir", type=click.Path(path_type=Path, file_okay=False), default=None)
@mode_options
def sync_command(adapter: str | None, symbols: str | None, timeframes: str | None,
                 since: str | None, once: bool, db_path: Path | None, speed: float | None,
                 seed: int | None, batch_size: int | None, ticks: bool, max_polls: int | None,
                 config_dir: Path | None, paper: bool, mode: str | None, live: bool) -> None:
    guard_live(mode, live)
    since_ms = parse_since(since)
    try:
        adapters_cfg = load_adapters(config_dir / "adapters.yaml" if config_dir else None)
        symbols_cfg = load_symbols(config_dir / "symbols.yaml" if config_dir else None)
        settings = load_settings()
    except ConfigError as exc:
        fail(exc.describe())
    name = (adapter or adapters_cfg.default).lower()
    tfs = list(parse_timeframes(timeframes) or symbols_cfg.timeframes_for(name))
    for tf in tfs:
        if tf not in TIMEFRAMES:
            fail(t("sync.bad_timeframe", value=tf, known=", ".join(TIMEFRAMES)))
    requested = _split(symbols)
    if name == "mock" and requested:
        refuse_unknown_mock_symbols(requested, symbols_cfg)
    from broker_adapters.factory import UnknownAdapterError, create_adapter

    clock = _clock_for(name, speed, adapters_cfg.mock.start)
    span_days = symbols_cfg.backfill_bars * max(timeframe_ms(tf) for tf in tfs) // 86_400_000
    extra = {"history_days": max(400, span_days + 2)} if name == "mock" else {}
    try:
        venue = create_adapter(
            name, mode=Mode(mode or "paper"), adapters_cfg=adapters_cfg,
            symbols_cfg=symbols_cfg, settings=settings, clock=clock, seed=seed,
            symbols=_split(symbols), **extra,
        )
    except (UnknownAdapterError, KeyError, ValueError) as exc:
        fail(t("sync.bad_adapter", message=str(exc).strip("'\"")))
    dao: PersistDAO = open_dao(db_path)
    syms = _split(symbols) or list(symbols_cfg.symbols_for(name))
    console.print(t("sync.starting", adapter=name, db=dao.path, n_symbols=len(syms),
                    n_timeframes=len(tfs),
                    mode=t("sync.mode_once") if once else t("sync.mode_follow")), markup=False)
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=console, transient=False,
                        disable=not console.is_terminal)
    tasks: dict[tuple[str, str], int] = {}

    def on_progress(symbol: str, tf: str, done: int, total: int) -> None:
        key = (symbol, tf)
        if key not in tasks:
            tasks[key] = progress.add_task(f"{symbol} {tf}", total=max(total, 1))
        progress.update(tasks[key], completed=done, total=max(total, 1))

    sync = Synchronizer(
        venue, dao, clock, symbols=syms, timeframes=tfs,
        backfill_bars=symbols_cfg.backfill_bars,
        poll_interval=symbols_cfg.poll_interval_seconds, since_ms=since_ms,
        batch_size=batch_size, ticks=ticks, on_progress=on_progress,
    )
    try:
        with progress:
            summary = asyncio.run(_run(sync, follow=not once, max_polls=max_polls))
    finally:
        dao.close()
    console.print(summary_table(summary))
    if summary.stopped:
        console.print(t("sync.stopped"))
    console.print(t("sync.done", rows=f"{summary.rows:,}", errors=summary.errors,
                    polls=summary.polls))
    if summary.aborted:
        # The cause decides the code: 4 for the database, 1 for the venue (3 if live).
        code = classify(summary.abort_cause)[0] if summary.abort_cause else EXIT_DATABASE
        fail(t("sync.aborted", reason=summary.aborted), code=code)
    if summary.errors:
        # The table above has the details; stderr says it too, in one line, so a script
        # that only watches stderr and the exit code is not left guessing.
        fail(t("hostile.sync_errors", n=summary.errors), code=EXIT_RUNTIME)
