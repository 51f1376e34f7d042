"""``ats research ...`` (the research pipeline, one stage per command) and ``ats backtest``.

Every stage command reads ``reports/research/<run>/state.json``, runs one stage with a
progress bar, prints the result table and writes the run back, so a trader can stop after
any stage, read the report and go on. ``--config-dir`` decides which configs a promotion
writes (tests promote into a temporary copy).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from ats.cli.common import console, fail
from ats.cli.params import SEED, SafeName
from ats.config.loader import ConfigError, config_dir
from ats.domain import RealClock
from ats.i18n import t

if TYPE_CHECKING:
    from research_lab.pipeline_ci.stages import Lab
    from research_lab.pipeline_ci.state import RunState

# research_lab (numpy, scipy, the mock market, matplotlib) is imported inside the commands:
# `ats --help` and every other command must not pay for it, or break if it cannot import.
MARKETS = ("mock", "mock-trending")
STAGES = ("lookahead", "backtest", "walkforward", "gates", "shadow", "promoted")
DEFAULT_REPORTS = Path("reports/research")
MARK = {True: "[green]pass[/]", False: "[red]FAIL[/]", None: "[dim]-[/]"}


@contextmanager
def progress_hook() -> Iterator[Callable[[str, int, int], None]]:
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=console, transient=True) as prog:
        tasks: dict[str, Any] = {}

        def hook(stage: str, i: int, n: int) -> None:
            if stage not in tasks:
                tasks[stage] = prog.add_task(t("research.progress", stage=stage), total=n)
            prog.update(tasks[stage], completed=i, total=n)

        yield hook


def _cfg(path: str | None) -> Path:
    return config_dir(path)


def _load(reports: str, run_id: str) -> RunState:
    from research_lab.dsl.errors import DslError
    from research_lab.pipeline_ci.state import RunState

    try:
        return RunState.load(reports, run_id)
    except (FileNotFoundError, DslError) as exc:
        fail(str(exc))


def _journal(db: str | None) -> Any:
    from ats.config.settings import load_settings
    from storage.dao import PersistDAO

    path = Path(db) if db else load_settings().db_path
    path.parent.mkdir(parents=True, exist_ok=True)
    return PersistDAO(path)


def _num(x: object, fmt: str = "{:.2f}") -> str:
    return fmt.format(x) if isinstance(x, int | float) else "-"


def show_table(st: RunState) -> None:
    from research_lab.pipeline_ci import stages

    table = Table(title=t("research.table.title", run=st.run_id))
    cols = ("candidate", "lookahead", "backtest", "walkforward", "gates", "shadow", "promoted",
            "oos_trades", "oos_pf", "oos_sharpe", "oos_maxdd", "failed_gates")
    for c in cols:
        table.add_column(t(f"research.col.{c}"),
                         justify="left" if c in ("candidate", "failed_gates") else "right")
    for r in stages.summary_rows(st):
        table.add_row(r["candidate"], *(MARK[r[s]] for s in cols[1:7]),
                      str(r["oos_trades"] if r["oos_trades"] is not None else "-"),
                      _num(r["oos_pf"]), _num(r["oos_sharpe"]), _num(r["oos_maxdd"], "{:.2%}"),
                      ", ".join(r["failed_gates"]) or "-")
    console.print(table)


def _finish(st: RunState, lab: Lab) -> None:
    from research_lab.pipeline_ci.report import write_reports

    out = write_reports(st, lab)
    show_table(st)
    console.print(t("research.report", path=str(out["report"])))


common = [
    click.option("--run", "run_id", required=True, type=SafeName("run id"),
                 help="Research run id."),
    click.option("--reports-dir", default=str(DEFAULT_REPORTS), show_default=True),
    click.option("--config-dir", default=None, help="Configs directory (default ./configs)."),
]


def with_common(f: Callable[..., Any]) -> Callable[..., Any]:
    for opt in reversed(common):
        f = opt(f)
    return f


executor_opts = [
    click.option("--executor", "executor_kind", type=click.Choice(("local", "dask")),
                 default="local", show_default=True, help=t("scale.opt_executor")),
    click.option("--scheduler", default=None, help=t("scale.opt_scheduler")),
    click.option("--workers", type=click.IntRange(min=1), default=None,
                 help=t("scale.opt_workers")),
]


def with_executor(f: Callable[..., Any]) -> Callable[..., Any]:
    for opt in reversed(executor_opts):
        f = opt(f)
    return f


@contextmanager
def sweep_executor(lab: Lab, kind: str, scheduler: str | None, workers: int | None
                   ) -> Iterator[None]:
    """Give the lab its executor for this command and always shut it down after."""
    from research_lab.pipeline_ci.executor import make_executor

    if kind == "local" and scheduler:
        raise click.UsageError(t("scale.scheduler_needs_dask"))
    ex = make_executor(kind, scheduler, workers)
    lab.executor = ex
    try:
        yield
    finally:
        lab.executor = None
        ex.close()
    where = getattr(ex, "scheduler", None) or f"{getattr(ex, 'workers', 1)} worker(s)"
    console.print(t("scale.executor_used", executor=ex.name, where=where))


@click.group("research", help=t("research.help"))
def research_group() -> None:
    pass


@research_group.command("generate", help=t("research.generate.help"))
@click.option("--run", "run_id", default=None, type=SafeName("run id"),
              help="Run id (default: a new time-stamped id).")
@click.option("--reports-dir", default=str(DEFAULT_REPORTS), show_default=True)
@click.option("--config-dir", default=None)
@click.option("-n", "--count", default=12, type=click.IntRange(1, 10_000), show_default=True,
              help="Candidates to generate.")
@click.option("--seed", type=SEED, default=0, show_default=True)
@click.option("--generator", "gen_kind", default="deterministic", show_default=True,
              help="deterministic | ollama | replay:<run id>")
@click.option("--market", type=click.Choice(MARKETS), default="mock-trending", show_default=True)
@click.option("--symbol", default="BTC/USDT:USDT", show_default=True)
@click.option("--timeframe", default="1h", show_default=True)
@click.option("--history-bars", default=4000, type=click.IntRange(100, 1_000_000),
              show_default=True)
@click.option("--shadow-cycles", default=480, type=click.IntRange(0, 1_000_000),
              show_default=True,
              help="Bars the shadow stage runs a candidate in the brain.")
@click.option("--db", default=None, help="Journal database for LLM prompts (default ATS_DB).")
def generate_cmd(run_id: str | None, reports_dir: str, config_dir: str | None, count: int,
                 seed: int, gen_kind: str, market: str, symbol: str, timeframe: str,
                 history_bars: int, shadow_cycles: int, db: str | None) -> None:
    from ats.config.settings import load_settings
    from research_lab.pipeline_ci import stages
    from research_lab.pipeline_ci.market import MarketSpec
    from research_lab.pipeline_ci.pipeline import (
        GeneratorChoice,
        existing_specs,
        make_generator,
        make_lab,
        new_run,
    )
    from research_lab.pipeline_ci.state import ResearchSettings

    clock = RealClock()
    settings = ResearchSettings(market=MarketSpec(market, symbol, timeframe, 42, history_bars),
                                n_candidates=count, seed=seed, shadow_cycles=shadow_cycles)
    try:
        st = new_run(reports_dir, settings, clock, run_id)
        lab = make_lab(_cfg(config_dir), clock)
        s = load_settings()
        choice = GeneratorChoice(gen_kind, s.ollama_host, s.ollama_model)
        journal = _journal(db) if gen_kind != "deterministic" else None
        gen = make_generator(choice, st, journal=journal, clock=clock,
                             seeds=existing_specs(lab.config_dir))
        if gen.name != gen_kind.split(":")[0]:
            console.print(f"[yellow]{st.notes[-1]}[/]")
        with progress_hook() as hook:
            lab.progress = hook
            names = stages.stage_generate(st, lab, gen)
    except (ValueError, ConfigError) as exc:
        fail(str(exc))
    st.save()
    console.print(t("research.generated", n=len(names), run=st.run_id, generator=gen.name))
    show_table(st)


def _stage(name: str, fn_name: str, *, sweep: bool = False) -> Callable[..., None]:
    def body(run_id: str, reports_dir: str, config_dir: str | None, executor_kind: str,
             scheduler: str | None, workers: int | None) -> None:
        from research_lab.pipeline_ci import stages
        from research_lab.pipeline_ci.pipeline import make_lab

        fn = getattr(stages, fn_name)
        st = _load(reports_dir, run_id)
        try:
            lab = make_lab(_cfg(config_dir), RealClock())
            with progress_hook() as hook:
                lab.progress = hook
                if sweep:
                    with sweep_executor(lab, executor_kind, scheduler, workers):
                        fn(st, lab)
                        _finish(st, lab)  # the report reuses the lab's walk-forwards
                    return
                fn(st, lab)
        except (ValueError, ConfigError) as exc:
            fail(str(exc))
        _finish(st, lab)

    if sweep:
        @with_common
        @with_executor
        def cmd(run_id: str, reports_dir: str, config_dir: str | None, executor_kind: str,
                scheduler: str | None, workers: int | None) -> None:
            body(run_id, reports_dir, config_dir, executor_kind, scheduler, workers)
    else:
        @with_common
        def cmd(run_id: str, reports_dir: str, config_dir: str | None) -> None:  # type: ignore[misc]
            body(run_id, reports_dir, config_dir, "serial", None, None)

    return research_group.command(name, help=t(f"research.{name}.help"))(cmd)


_stage("backtest", "stage_backtest")
_stage("walkforward", "stage_walkforward", sweep=True)
_stage("gate", "stage_gates", sweep=True)
_stage("shadow", "stage_shadow")


@research_group.command("promote", help=t("research.promote.help"))
@with_common
@click.option("--candidate", default=None, help="Default: the best that passed every stage.")
@click.option("--dry-run", is_flag=True, help="Show the diff, write nothing.")
@click.option("--db", default=None, help="Journal database for the promotion record "
              "(default ATS_DB).")
@click.option("--into-shipped", "shipped", is_flag=True,
              help="Edit the tracked enable_map.yaml instead of the git-ignored local/ layer.")
def promote_cmd(run_id: str, reports_dir: str, config_dir: str | None, candidate: str | None,
                dry_run: bool, db: str | None, shipped: bool) -> None:
    from research_lab.pipeline_ci import stages
    from research_lab.pipeline_ci.pipeline import make_lab

    st = _load(reports_dir, run_id)
    journal = None
    try:
        lab = make_lab(_cfg(config_dir), RealClock())
        stages.choose(st, candidate)  # refuse before opening anything
        if not dry_run:
            journal = lab.journal = _journal(db)
        res = stages.stage_promote(st, lab, candidate, dry_run=dry_run, shipped=shipped)
    except (KeyError, ValueError, ConfigError) as exc:
        fail(str(exc).strip("'\""))
    finally:
        if journal is not None:
            journal.close()
    console.print(res.diff, markup=False, highlight=False)
    if dry_run:
        console.print(t("research.promote.dry", name=res.name))
        return
    st.save()
    console.print(t("research.promoted", name=res.name, path=str(res.enable_map),
                    patch=str(res.patch_path)))
    if not shipped:
        _say_local(res.enable_map, lab.config_dir)


def _say_local(written: Path, cfg: Path) -> None:
    """Tell where a promotion went when it went into the git-ignored local layer."""
    console.print(t("desk2.research.local", path=str(written),
                    shipped=str(Path(cfg) / "enable_map.yaml")))


@research_group.command("run", help=t("research.run.help"))
@click.option("--run", "run_id", default=None, type=SafeName("run id"))
@click.option("--reports-dir", default=str(DEFAULT_REPORTS), show_default=True)
@click.option("--config-dir", default=None)
@click.option("-n", "--count", default=12, type=click.IntRange(1, 10_000), show_default=True)
@click.option("--seed", type=SEED, default=0, show_default=True)
@click.option("--market", type=click.Choice(MARKETS), default="mock-trending", show_default=True)
@click.option("--history-bars", default=4000, type=click.IntRange(100, 1_000_000),
              show_default=True)
@click.option("--shadow-cycles", default=480, type=click.IntRange(0, 1_000_000),
              show_default=True)
@click.option("--no-promote", is_flag=True)
@with_executor
def run_cmd(run_id: str | None, reports_dir: str, config_dir: str | None, count: int,
            seed: int, market: str, history_bars: int, shadow_cycles: int,
            no_promote: bool, executor_kind: str, scheduler: str | None,
            workers: int | None) -> None:
    from research_lab.pipeline_ci.market import MarketSpec
    from research_lab.pipeline_ci.pipeline import (
        GeneratorChoice,
        existing_specs,
        make_generator,
        make_lab,
        new_run,
        run_all,
    )
    from research_lab.pipeline_ci.state import ResearchSettings

    clock = RealClock()
    settings = ResearchSettings(market=MarketSpec(market, history_bars=history_bars),
                                n_candidates=count, seed=seed, shadow_cycles=shadow_cycles)
    try:
        st = new_run(reports_dir, settings, clock, run_id)
        lab = make_lab(_cfg(config_dir), clock)
        with progress_hook() as hook, sweep_executor(lab, executor_kind, scheduler, workers):
            lab.progress = hook
            gen = make_generator(GeneratorChoice(), st, journal=None, clock=clock,
                                 seeds=existing_specs(lab.config_dir))
            out = run_all(st, lab, gen, promote=not no_promote)
    except (ValueError, ConfigError) as exc:
        fail(str(exc))
    show_table(st)
    if st.promoted:
        from ats.config.loader import local_override

        written = local_override(lab.config_dir / "enable_map.yaml")
        console.print(t("research.promoted", name=st.promoted, path=str(written),
                        patch=str(out.get("patch", "-"))))
        _say_local(written, lab.config_dir)
    console.print(t("research.report", path=str(out["report"])))


@research_group.command("status", help=t("research.status.help"))
@click.option("--run", "run_id", default=None, type=SafeName("run id"))
@click.option("--reports-dir", default=str(DEFAULT_REPORTS), show_default=True)
def status_cmd(run_id: str | None, reports_dir: str) -> None:
    from research_lab.pipeline_ci.state import list_runs

    if run_id:
        show_table(_load(reports_dir, run_id))
        return
    runs = list_runs(reports_dir)
    if not runs:
        console.print(t("research.none", dir=reports_dir))
        return
    table = Table(title=t("research.runs.title", dir=reports_dir))
    for col in ("run", "created", "generator", "candidates", "furthest", "promoted"):
        if col == "run":  # an id is copied into the next command: never cut it
            table.add_column(t(f"research.runs.{col}"), overflow="fold",
                             min_width=max(len(r) for r in runs))
        else:
            table.add_column(t(f"research.runs.{col}"))
    for rid in runs:
        st = _load(reports_dir, rid)
        order = ("generated", *STAGES)
        best = max((c.furthest() for c in st.candidates.values()), key=order.index,
                   default="-")
        table.add_row(rid, st.created_at, st.settings.generator, str(len(st.candidates)),
                      best, st.promoted or "-")
    console.print(table)


# ------------------------------------------------------------------------- ats backtest
def _parse_day(text: str) -> int:
    from broker_adapters.mock import parse_start

    s = text if "T" in text else f"{text}T00:00:00Z"
    try:
        return parse_start(s if s.endswith("Z") or "+" in s else s + "Z")
    except ValueError as exc:
        raise click.BadParameter(f"{text!r}: {exc}; use YYYY-MM-DD") from None


@click.command("backtest", help=t("research.backtest_cmd.help"))
@click.argument("strategy")
@click.option("--symbol", default="BTC/USDT:USDT", show_default=True)
@click.option("--from", "from_", default="2025-10-01", show_default=True)
@click.option("--to", "to", default="2026-01-01", show_default=True)
@click.option("--seed", type=SEED, default=42, show_default=True, help="Mock market seed.")
@click.option("--db", default=None, help="Read bars from this database instead of the mock.")
@click.option("--out", default=None, help="Directory for report.md and equity.png.")
def backtest_command(strategy: str, symbol: str, from_: str, to: str, seed: int,
                     db: str | None, out: str | None) -> None:
    from research_lab.backtest.engine import for_timeframe, run_backtest
    from research_lab.backtest.report import backtest_report
    from research_lab.backtest.source import bars_for, strategy_signals
    from research_lab.dsl.errors import DslError

    start, end = _parse_day(from_), _parse_day(to)
    if end <= start:
        fail(t("research.backtest_cmd.range", start=from_, end=to))
    try:
        strat, signals_of = strategy_signals(strategy)
        bars = bars_for(symbol, strat.timeframe, start, end, seed=seed, db=db)
        if len(bars) < strat.bars_needed + 2:
            fail(t("research.backtest_cmd.short", n=len(bars), need=strat.bars_needed + 2))
        res = run_backtest(bars, signals_of(bars), for_timeframe(strat.timeframe))
    except (KeyError, ValueError, DslError) as exc:
        fail(str(exc).strip("'\""))
    m = res.metrics
    table = Table(title=t("research.backtest_cmd.title", name=strat.name, symbol=symbol,
                          tf=strat.timeframe, n=len(bars)))
    table.add_column(t("research.col.metric"))
    table.add_column(t("research.col.value"), justify="right")
    for key, fmt in (("trades", "{}"), ("net_pnl", "{:,.2f}"), ("total_return", "{:.2%}"),
                     ("profit_factor", "{:.2f}"), ("max_drawdown", "{:.2%}"),
                     ("sharpe", "{:.2f}"), ("sortino", "{:.2f}"), ("mar", "{:.2f}"),
                     ("expectancy", "{:,.2f}"), ("win_rate", "{:.1%}"), ("exposure", "{:.1%}"),
                     ("capacity_notional", "{:,.0f}")):
        table.add_row(key, fmt.format(getattr(m, key)))
    console.print(table)
    if out:
        path = backtest_report(Path(out), strat.name, bars, res)
        console.print(t("research.report", path=str(path)))
