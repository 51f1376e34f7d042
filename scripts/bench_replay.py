"""Replay benchmark: the brain as backtester vs the vectorized backtester, same bars, same
strategy, same costs — the price of trading through the unchanged brain.

Both run the parity candidate (DSL EMA 10/30 cross, 3 ATR stop) over the EURUSD H1 sample
backtesting.py ships; the brain through the replay venue, paper engine and SQLite journal
(``ats backtest --engine brain``), the vectorized engine on the same bars from the brain's
first cycle. Prints bars per second of each and the ratio.

    python scripts/bench_replay.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from ats.brain.backtest import brain_backtest  # noqa: E402
from ats.config import load_adapters  # noqa: E402
from broker_adapters.factory import cost_model_for  # noqa: E402
from research_lab.dsl.compile import compile_spec  # noqa: E402
from tests.semantics.parity import parity_cost, vector_run  # noqa: E402
from tests.semantics.test_parity import CANDIDATE, eurusd_csv  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    logging.disable(logging.WARNING)  # the replay's gap warnings are not the benchmark
    cost = parity_cost(cost_model_for("mt5", load_adapters(REPO / "configs" / "adapters.yaml")))
    brain_s, vec_s = [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        bt = asyncio.run(brain_backtest(compile_spec(CANDIDATE), bars_path=eurusd_csv(),
                                        symbol="EURUSD", fees_of="mt5", cooldowns=False,
                                        kelly=False, env={}))
        brain_s.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        vr = vector_run(CANDIDATE, bt.bars, bt.start_bar, cost, bt.instrument.tick_size)
        vec_s.append(time.perf_counter() - t0)
    n = len(bt.bars) - bt.start_bar
    b, v = min(brain_s), min(vec_s)
    table = Table(title=f"EURUSD H1, {n} replayed bars, best of {args.repeat}")
    for col in ("engine", "seconds", "bars/s", "trades", "vs vectorized"):
        table.add_column(col, justify="right")
    table.add_row("brain replay (replay venue + paper engine + SQLite)", f"{b:.2f}",
                  f"{n / b:,.0f}", str(len(bt.result.trades)), f"{b / v:,.0f}x slower")
    table.add_row("vectorized backtester (loop path)", f"{v:.3f}", f"{n / v:,.0f}",
                  str(len(vr.trades)), "1x")
    Console().print(table)


if __name__ == "__main__":
    main()
