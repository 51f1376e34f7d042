"""``ats run``: the brain headless — cycles until a limit or Ctrl-C, then a one-screen summary.

SIGINT/SIGTERM do not kill the process mid-order: they set a stop event, the running cycle
finishes, the run is closed with its summary and the venue is closed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from ats.cli.account_cmd import account_option
from ats.cli.common import (
    console,
    fail,
    guard_live,
    install_stop_handlers,
    live_message,
    mode_options,
    remove_stop_handlers,
)
from ats.cli.params import POSITIVE, SEED, SPEED, SafeName, parse_timeframes
from ats.config import ConfigError, LiveTradingRefused
from ats.domain import Mode
from ats.i18n import t
from storage.errors import StorageError

DEFAULT_ADAPTER = {Mode.PAPER: "mock", Mode.VST: "bingx", Mode.DEMO: "mt5"}


def summary_table(summary: dict[str, Any]) -> Table:
    """The end-of-run summary: counts, money, locks, rejections, latency."""
    table = Table(title=t("brain.run.summary_title", run_id=summary.get("run_id", "")),
                  show_header=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row(t("brain.run.cycles"), str(summary["cycles"]))
    table.add_row(t("brain.run.orders"), str(summary["orders"]))
    table.add_row(t("brain.run.fills"), str(summary["fills"]))
    table.add_row(t("brain.run.trades"), str(summary.get("closed_trades", 0)))
    equity = f"{summary['equity']:,.2f} {summary.get('currency') or ''}".strip()
    table.add_row(t("brain.run.pnl"),
                  t("qa.run_pnl_equity", pnl=f"{summary['pnl']:+,.2f}", equity=equity))
    table.add_row(t("brain.run.drawdown"), f"{summary['drawdown_pct']:.2%}")
    rej = summary.get("rejections") or {}
    table.add_row(t("brain.run.rejections"),
                  ", ".join(f"{k}: {v}" for k, v in sorted(rej.items(), key=lambda kv: -kv[1]))
                  or "-")
    # the desk's words for each lock (tui.risk.*), not the summary's keys
    lock_words = {"daily_lock": "tui.risk.daily_lock", "kill_switch": "tui.risk.kill_switch",
                  "governance_lock": "tui.risk.governance_locked"}
    locks = [t(key) for name, key in lock_words.items() if summary.get(name)]
    table.add_row(t("brain.run.locks"), ", ".join(locks) or t("brain.run.none"))
    if summary.get("locks"):
        table.add_row(t("brain.run.lock_events"), "\n".join(summary["locks"][-5:]))
    table.add_row(t("brain.run.latency"), f"p50 {summary['latency_p50_ms']:.2f} ms, "
                  f"p99 {summary['latency_p99_ms']:.2f} ms")
    for name, sh in (summary.get("shadow") or {}).items():
        table.add_row(t("brain.run.shadow", name=name),
                      f"{sh['plans']} plans, {sh['trades']} trades, pnl {sh['pnl']:+,.2f}")
    return table


def halted_by_storage(exc: Exception, cycle: int) -> Exception:
    """The fatal storage error re-worded for the trader: which cycle, the last order's state
    (and whether it reached the file); same type so it exits with the database code."""
    order = getattr(exc, "unrecorded_order", None)
    order_text = ""
    if order is not None:
        status = order.status.value
        if not getattr(exc, "order_recorded", False):
            status += " (not recorded in the database)"
        order_text = t("hostile.run_last_order", order_id=order.client_order_id,
                       symbol=order.symbol, status=status)
    message = t("hostile.run_storage_stopped", cycle=cycle,
                error=getattr(exc, "message", str(exc)), order=order_text)
    try:
        return type(exc)(message, path=getattr(exc, "path", ""), hint=getattr(exc, "hint", ""))
    except TypeError:
        return exc


def attach_metrics(orchestrator: Any, host: str, port: int) -> Callable[[], None] | None:
    """Serve /metrics and /graph for this run from a daemon thread; returns its stopper.

    A port already in use is one warning line and no exporter: the trading run matters
    more than its dashboards (``--no-metrics`` silences the exporter on purpose).
    """
    from ats.monitor.exporter import ExporterPortInUse, MetricsServer
    from ats.monitor.metrics import BrainMetrics

    dao_path = getattr(getattr(orchestrator, "dao", None), "path", None)
    metrics = BrainMetrics(db_path=dao_path if isinstance(dao_path, Path) else None)
    server = MetricsServer(metrics.registry, lambda: orchestrator.snapshot.graph(),
                           host=host, port=port)
    try:
        bound = server.start()
    except ExporterPortInUse:
        console.print(t("observability.metrics_port_busy", host=host, port=port),
                      style="yellow")
        return None
    except OSError as exc:
        raise ConfigError("--metrics-host", t("hostile.metrics_host", host=host, port=port,
                                               error=exc.strerror or exc)) from None
    orchestrator.add_sink(metrics.update)
    console.print(t("brain.run.metrics", host=host, port=bound))
    return server.stop


def _metrics_port(explicit: int | None) -> int:
    """``--metrics-port`` if given, else ``PROMETHEUS_PORT`` (default 9464)."""
    if explicit is not None:
        return explicit
    from ats.config.settings import load_settings

    return int(load_settings().prometheus_port)


async def run_brain(options: dict[str, Any], *, max_cycles: int | None,
                    max_seconds: float | None, metrics: tuple[str, int] | None = None,
                    telemetry: Path | None = None) -> dict[str, Any]:
    from ats.brain.runtime import RunOptions, build_orchestrator

    orch = build_orchestrator(RunOptions(**options))
    loop = asyncio.get_running_loop()
    stop_event = asyncio.Event()
    installed: list[Any] = []
    stop_metrics: Callable[[], None] | None = None
    try:
        try:
            stop_metrics = attach_metrics(orch, *metrics) if metrics else None
            if telemetry is not None:
                from ats.monitor.telemetry import TelemetryExporter

                orch.add_sink(TelemetryExporter(telemetry))
            installed = install_stop_handlers(loop, lambda _sig: stop_event.set())
            await orch.start()
            console.print(t("brain.run.started", run_id=orch.run_id, venue=orch.venue,
                            mode=orch.mode.value, n=len(orch.symbols)))
            if orch.venue == "replay":
                console.print(t("semantics.replay.db", path=str(orch.dao.path)))
            if orch.reconcile_block:
                console.print(t("account.reconcile_blocked", diff=orch.reconcile_block))
            await orch.run(max_cycles=max_cycles, max_seconds=max_seconds,
                           stop_event=stop_event)
            summary = orch.summary()
        finally:
            # Every path closes the venue (and its aiohttp session) and the database: an
            # authentication failure during start once left "Unclosed connector" behind.
            await orch.stop()
        if orch.fatal is not None:
            summary["halted"] = halted_by_storage(orch.fatal, orch.counters.cycles)
        return summary
    finally:
        remove_stop_handlers(loop, installed)
        if stop_metrics is not None:
            stop_metrics()


@click.command("run", help=t("brain.run.help"))
@mode_options
@click.option("--adapter", type=click.Choice(["mock", "mt5", "bingx", "replay"]), default=None,
              help=t("brain.run.opt_adapter"))
@click.option("--bars", "bars_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help=t("semantics.replay.opt_bars"))
@click.option("--from-db", is_flag=True, help=t("semantics.replay.opt_from_db"))
@click.option("--symbols", default=None, help=t("semantics.replay.opt_symbols"))
@click.option("--fees-of", type=click.Choice(["mock", "mt5", "bingx"]), default=None,
              help=t("semantics.replay.opt_fees_of"))
@click.option("--max-cycles", type=click.IntRange(min=1), default=None,
              help=t("brain.run.opt_max_cycles"))
@click.option("--max-seconds", type=POSITIVE, default=None,
              help=t("brain.run.opt_max_seconds"))
@click.option("--skip-feed-check", is_flag=True, help=t("brain.run.opt_skip_feed_check"))
@click.option("--use-mock-feed", is_flag=True, help=t("brain.run.opt_mock_feed"))
@click.option("--speed", type=SPEED, default=60.0,
              show_default=True, help=t("brain.run.opt_speed"))
@account_option
@click.option("--seed", type=SEED, default=None, help=t("brain.run.opt_seed"))
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=t("brain.run.opt_db"))
@click.option("--run-id", type=SafeName("run id"), default=None, help=t("brain.run.opt_run_id"))
@click.option("--config-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help=t("brain.run.opt_config_dir"))
@click.option("--timeframes", default=None, help=t("brain.run.opt_timeframes"))
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=None,
              help=t("brain.run.opt_metrics_port"))
@click.option("--metrics-host", default="127.0.0.1", show_default=True,
              help=t("brain.run.opt_metrics_host"))
@click.option("--no-metrics", is_flag=True, help=t("observability.opt_no_metrics"))
@click.option("--telemetry", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=t("report.opt_telemetry"))
def run_command(paper: bool, mode: str | None, live: bool, adapter: str | None,
                max_cycles: int | None, max_seconds: float | None, skip_feed_check: bool,
                use_mock_feed: bool, speed: float, seed: int | None, db_path: Path | None,
                run_id: str | None, config_dir: Path | None, timeframes: str | None,
                metrics_port: int | None, metrics_host: str, no_metrics: bool,
                telemetry: Path | None, account: str | None, bars_path: Path | None = None,
                from_db: bool = False, symbols: str | None = None,
                fees_of: str | None = None) -> None:
    guard_live(mode, live)
    if (bars_path is not None or from_db) and adapter is None:
        adapter = "replay"
    if adapter == "replay" and (bars_path is None) == (not from_db):
        fail(t("semantics.replay.need_source"))
    tfs = parse_timeframes(timeframes)
    chosen = Mode.PAPER if paper or mode is None else Mode(mode)
    options: dict[str, Any] = {
        "mode": chosen, "adapter": adapter or DEFAULT_ADAPTER[chosen], "speed": speed,
        "seed": seed, "db_path": db_path, "config_dir": config_dir, "run_id": run_id,
        "use_mock_feed": use_mock_feed, "skip_feed_check": skip_feed_check,
        "max_cycles": max_cycles, "max_seconds": max_seconds, "account": account,
    }
    if adapter == "replay":
        options.update(bars_path=bars_path, from_db=from_db, fees_of=fees_of)
    if symbols:
        options["symbols"] = tuple(x.strip() for x in symbols.split(",") if x.strip())
    if tfs:
        options["timeframes"] = tfs
    try:
        metrics = None if no_metrics else (metrics_host, _metrics_port(metrics_port))
        summary = asyncio.run(run_brain(options, max_cycles=max_cycles, max_seconds=max_seconds,
                                        metrics=metrics, telemetry=telemetry))
    except LiveTradingRefused as exc:
        fail(live_message(exc), code=3)
    except ConfigError as exc:
        fail(exc.describe())
    except click.ClickException:
        raise
    except StorageError:
        raise  # one line, exit code 4 (ats.cli.errors)
    except OSError as exc:
        fail(t("brain.run.os_error", error=exc))
    except ValueError as exc:  # a bars file the replay venue refused: one line, what to fix
        fail(str(exc))
    console.print(summary_table(summary))
    held = int(summary.get("clock_held_ms") or 0)
    if held > 0:
        console.print(t("account.clock_slowed", minutes=f"{held / 60_000:,.0f}"))
    from ats.cli.runs_cmd import exit_line

    console.print(exit_line(str(summary.get("run_id", "")), db_path))
    halted = summary.get("halted")
    if halted is not None:
        raise halted  # after the summary: one line on stderr, exit code 4
