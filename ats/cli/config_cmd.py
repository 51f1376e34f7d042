"""``ats config check``: validate every configuration file; non-zero exit on error."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from ats.cli.common import console
from ats.config.loader import (
    ConfigError,
    config_dir,
    load_adapters,
    load_enable_map,
    load_governance,
    load_symbols,
)
from ats.i18n import t


def known_strategy_names() -> set[str]:
    """Names the enable map may use; the strategy registry when it exists."""
    try:
        from ats.strategies import registry
    except ImportError:  # pragma: no cover - strategies ship with the package
        return set()
    return set(registry.names())


def check_dir(directory: Path) -> list[tuple[str, ConfigError | None, str]]:
    """Validate every file in ``directory``: (file, error or None, one-line summary)."""
    results: list[tuple[str, ConfigError | None, str]] = []
    checks = (
        ("governance.yaml", lambda p: _gov_summary(load_governance(p))),
        ("enable_map.yaml", lambda p: _em_summary(load_enable_map(p, known_strategy_names()))),
        ("symbols.yaml", lambda p: _sym_summary(load_symbols(p))),
        ("adapters.yaml", lambda p: f"default adapter: {load_adapters(p).default}"),
    )
    for name, check in checks:
        try:
            results.append((name, None, check(directory / name)))
        except ConfigError as exc:
            results.append((name, exc, exc.describe()))
    return results


def _gov_summary(locked) -> str:  # type: ignore[no-untyped-def]
    g = locked.governance
    return (
        f"risk {g.risk.base_risk_per_trade:.2%}/trade, daily lock -{g.locks.daily_max_loss:.2%}, "
        f"kill switch -{g.locks.trailing_dd_kill_switch:.2%}/{g.locks.trailing_dd_window_hours}h,"
        f" leverage <= {g.risk.leverage_cap:g}x, rho >= {g.correlation.threshold:g} "
        f"-> {g.correlation.safe_mode_action}; sha256 {locked.sha256[:12]}"
    )


def _em_summary(em) -> str:  # type: ignore[no-untyped-def]
    n = len(em.all_strategies())
    return f"{n} strategies over {len(em.regimes)} regimes, {len(em.challengers)} challengers"


def _sym_summary(s) -> str:  # type: ignore[no-untyped-def]
    total = sum(len(a.symbols) for a in s.adapters.values())
    return f"{total} symbols on {len(s.adapters)} adapters, poll {s.poll_interval_seconds:g}s"


@click.group("config")
def config_group() -> None:
    """Configuration commands."""


@config_group.command("check", help=t("config.check.help"))
@click.option("--dir", "directory", type=click.Path(path_type=Path), default=None)
@click.option("--equity", type=float, default=None, help=t("sizing.check.opt_equity"))
def config_check(directory: Path | None, equity: float | None) -> None:
    d = config_dir(directory)
    results = check_dir(d)
    table = Table(title=t("config.check.title", dir=str(d)))
    table.add_column(t("config.check.col_file"))
    table.add_column(t("config.check.col_status"))
    table.add_column(t("config.check.col_detail"), overflow="fold")
    for name, err, detail in results:
        status = "[red]" + t("config.check.fail") + "[/]" if err else "[green]OK[/]"
        table.add_row(name, status, detail)
    console.print(table)
    failed = [r for r in results if r[1] is not None]
    if not failed:
        _print_tradability(d, equity)
    if failed:
        console.print("[bold red]" + t("config.check.failed", n=len(failed)) + "[/]")
        raise SystemExit(2)  # usage/configuration error (ats.cli.errors)
    console.print("[green]" + t("config.check.all_ok") + "[/]")


def _print_tradability(d: Path, equity: float | None) -> None:
    """Warn (exit code unchanged) where the minimum lot risks more than the budget."""
    from ats.cli.tradability import check_tradability
    from ats.config import load_settings

    if equity is None:
        equity = load_settings().virtual_equity
    gov = load_governance(d / "governance.yaml").governance
    rows = check_tradability(load_symbols(d / "symbols.yaml"),
                             load_adapters(d / "adapters.yaml"), gov, equity)
    budget = equity * gov.risk.max_risk_per_trade
    console.print(t("sizing.check.title", equity=equity, currency="USD",
                    pct=gov.risk.max_risk_per_trade, budget=budget))
    bad = [r for r in rows if not r.ok]
    for r in bad:
        console.print("[yellow]" + t("sizing.check.warn", adapter=r.adapter, symbol=r.symbol,
                                     timeframe=r.timeframe, risk=r.min_lot_risk,
                                     currency=r.currency, budget=r.budget) + "[/]",
                      soft_wrap=True)
    if bad:
        console.print("[yellow]" + t("sizing.check.summary", n=len(bad), total=len(rows)) + "[/]")
    else:
        console.print("[green]" + t("sizing.check.all_tradable") + "[/]")
