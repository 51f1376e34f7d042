"""``ats tui``: the trader's desk. Paper on the mock market with no set-up; live is refused."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from ats.cli.account_cmd import account_option
from ats.cli.common import fail, guard_live, live_message, mode_options
from ats.cli.params import SEED, SPEED
from ats.config.settings import LiveTradingRefused, load_settings
from ats.domain import Mode
from ats.i18n import set_language, t

# Where each mode trades when --adapter is not given: paper on the mock market (no network),
# virtual money on BingX VST, an MT5 demo account through the terminal.
DEFAULT_ADAPTER = {Mode.PAPER: "mock", Mode.VST: "bingx", Mode.DEMO: "mt5"}


def prepare_db(db_path: Path) -> Path:
    """Create the database's directory (``data/`` by default) so the first run just works."""
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(t("tui.cli.db_failed", path=db_path.parent, error=exc))
    return db_path


def run_desk(options: dict[str, object], metrics_port: int | None = None) -> None:
    """Build the orchestrator and run the desk until the trader quits.

    With ``metrics_port``, ``/metrics`` and ``/graph`` are served on 127.0.0.1 for the run
    (the same exporter thread as ``ats run``), stopped when the desk closes; a busy port
    is one warning line and the desk opens anyway.
    """
    from ats.brain.runtime import RunOptions, build_orchestrator
    from ats.cli.run_cmd import attach_metrics
    from ats.tui.launch import desk_for
    from storage.errors import StorageError

    try:
        orchestrator = build_orchestrator(RunOptions(**options))  # type: ignore[arg-type]
    except StorageError:
        raise  # a database fault: its own line and exit code 4, as `ats run` (ats.cli.errors)
    except Exception as exc:  # noqa: BLE001 - config and adapter errors, shown plainly
        fail(t("tui.cli.build_failed", error=exc))
    stop_metrics = None
    if metrics_port is not None:
        try:
            stop_metrics = attach_metrics(orchestrator, "127.0.0.1", metrics_port)
        except OSError as exc:  # not a busy port (that only warns): a real bind failure
            asyncio.run(orchestrator.stop())
            fail(str(exc))
    speed = options.get("speed")
    app = desk_for(orchestrator, speed=float(speed) if speed else None,  # type: ignore[arg-type]
                   configs=options.get("config_dir"))  # type: ignore[arg-type]
    try:
        app.run()
    finally:
        if not app.stopped:  # the app died or was interrupted: still close the run cleanly
            asyncio.run(orchestrator.stop())
        if stop_metrics is not None:
            stop_metrics()
        from ats.cli.common import console
        from ats.cli.runs_cmd import exit_line

        db = options.get("db_path")
        console.print(exit_line(orchestrator.run_id, db if _not_default(db) else None))


def _not_default(db: object) -> bool:
    """True when ``db`` is not the settings' default database (then commands need --db)."""
    try:
        default = load_settings().db_path
    except Exception:  # noqa: BLE001 - then say the path explicitly
        return db is not None
    return db is not None and Path(str(db)).resolve() != Path(default).resolve()


@click.command("tui", help=t("tui.cli.help"))
@mode_options
@click.option("--adapter", type=click.Choice(["mock", "mt5", "bingx"]), default=None,
              help=t("tui.cli.adapter"))
@click.option("--speed", type=SPEED, default=None,
              help=t("tui.cli.speed"))
@account_option
@click.option("--seed", type=SEED, default=None, help=t("tui.cli.seed"))
@click.option("--lang", type=click.Choice(["en", "ru"]), default=None, help=t("tui.cli.lang"))
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=t("tui.cli.db"))
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=None,
              help=t("tui.cli.metrics_port"))
@click.option("--no-metrics", is_flag=True, help=t("observability.opt_no_metrics"))
@click.option("--config-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help=t("tui.cli.config"))
def tui_command(paper: bool, mode: str | None, live: bool, adapter: str | None,
                speed: float | None, seed: int | None, lang: str | None, db_path: Path | None,
                metrics_port: int | None, no_metrics: bool, config_dir: Path | None,
                account: str | None) -> None:
    guard_live(mode, live)
    if lang:
        set_language(lang)
    try:
        settings = load_settings()
    except LiveTradingRefused as exc:
        fail(live_message(exc), code=3)
    chosen_mode = Mode.PAPER if paper or mode is None else Mode(mode)
    options: dict[str, object] = {
        "mode": chosen_mode,
        "adapter": adapter or DEFAULT_ADAPTER[chosen_mode],
        "db_path": prepare_db(db_path or settings.db_path),
        "speed": speed, "seed": seed, "config_dir": config_dir, "account": account,
    }
    port = None if no_metrics else (
        metrics_port if metrics_port is not None else settings.prometheus_port)
    run_desk({k: v for k, v in options.items() if v is not None}, port)
