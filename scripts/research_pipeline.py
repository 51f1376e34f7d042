"""Run the whole research pipeline on the mock market's history (CI-able).

generate (seeded grid, or ``--ollama`` with fallback) → anti-lookahead check → in-sample
backtest → walk-forward (out-of-sample only) → gates (gate_spec.md, deflated Sharpe) →
shadow in the brain → promotion into the enable map of ``--config-dir`` (a patch file is
kept under the run's report directory). Prints which gates each candidate passed and writes
``results.json``/``report.md``/``equity.png`` under ``reports/research/<run>/``.

    python scripts/research_pipeline.py [--config-dir configs] [--market mock-trending]
        [--candidates 12] [--history-bars 4000] [--ollama] [--no-promote]

Exit code 0 when at least one candidate went the whole way (or ``--no-promote``), 1 if none.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from ats.config.settings import load_settings
from ats.domain import Clock, RealClock
from research_lab.pipeline_ci.market import MARKETS, MarketSpec
from research_lab.pipeline_ci.pipeline import (
    GeneratorChoice,
    existing_specs,
    make_generator,
    make_lab,
    new_run,
    run_all,
)
from research_lab.pipeline_ci.stages import summary_rows
from research_lab.pipeline_ci.state import ResearchSettings, RunState


def run_pipeline(*, config_dir: Path, reports_dir: Path, settings: ResearchSettings,
                 choice: GeneratorChoice, clock: Clock, run_id: str | None = None,
                 journal: Any = None, promote: bool = True) -> tuple[RunState, dict[str, Path]]:
    """The script's core: one full run; returns the run state and the files written."""
    st = new_run(reports_dir, settings, clock, run_id)
    lab = make_lab(config_dir, clock)
    lab.journal = journal  # LLM prompts and the promotion record go to the same journal
    gen = make_generator(choice, st, journal=journal, clock=clock,
                         seeds=existing_specs(config_dir))
    return st, run_all(st, lab, gen, promote=promote)


def print_table(st: RunState, console: Console) -> None:
    table = Table(title=f"research run {st.run_id}: gates passed per candidate")
    cols = ("candidate", "lookahead", "backtest", "walkforward", "gates", "shadow", "promoted",
            "oos_pf", "oos_sharpe", "failed_gates")
    for c in cols:
        table.add_column(c)
    mark = {True: "[green]pass[/]", False: "[red]FAIL[/]", None: "-"}
    for r in summary_rows(st):
        table.add_row(r["candidate"], *(mark[r[c]] for c in cols[1:7]),
                      f"{r['oos_pf']:.2f}" if r["oos_pf"] is not None else "-",
                      f"{r['oos_sharpe']:.2f}" if r["oos_sharpe"] is not None else "-",
                      ", ".join(r["failed_gates"]) or "-")
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config-dir", type=Path, default=Path("configs"))
    ap.add_argument("--reports-dir", type=Path, default=Path("reports/research"))
    ap.add_argument("--run", default=None)
    ap.add_argument("--market", choices=MARKETS, default="mock-trending")
    ap.add_argument("--symbol", default="BTC/USDT:USDT")
    ap.add_argument("--timeframe", default="1h")
    ap.add_argument("--history-bars", type=int, default=4000)
    ap.add_argument("--candidates", type=int, default=12)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--shadow-cycles", type=int, default=480)
    ap.add_argument("--ollama", action="store_true", help="ask the configured Ollama server")
    ap.add_argument("--db", type=Path, default=None, help="journal for LLM prompts (ATS_DB)")
    ap.add_argument("--no-promote", action="store_true")
    args = ap.parse_args(argv)
    console = Console()
    settings = ResearchSettings(
        market=MarketSpec(args.market, args.symbol, args.timeframe, 42, args.history_bars),
        n_candidates=args.candidates, seed=args.seed, shadow_cycles=args.shadow_cycles)
    env = load_settings()
    choice = GeneratorChoice("ollama" if args.ollama else "deterministic", env.ollama_host,
                             env.ollama_model)
    journal = None
    if args.ollama:
        from storage.dao import PersistDAO

        db = args.db or env.db_path
        db.parent.mkdir(parents=True, exist_ok=True)
        journal = PersistDAO(db)
    st, files = run_pipeline(config_dir=args.config_dir, reports_dir=args.reports_dir,
                             settings=settings, choice=choice, clock=RealClock(),
                             run_id=args.run, journal=journal, promote=not args.no_promote)
    for note in st.notes:
        console.print(f"[dim]- {note}[/]")
    print_table(st, console)
    console.print(json.dumps({k: str(v) for k, v in files.items()}, indent=2))
    if st.promoted:
        patch = files.get("patch")
        if patch is not None:
            console.print(patch.read_text(encoding="utf-8"), markup=False, highlight=False)
        console.print(f"[bold green]promoted {st.promoted}[/] (patch: {patch})")
    whole_way = any(c.passed("shadow") for c in st.candidates.values())
    return 0 if whole_way or args.no_promote else 1


if __name__ == "__main__":
    sys.exit(main())
