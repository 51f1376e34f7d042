"""Benchmark the risk engine and portfolio controller on the brain's hot path.

Per brain cycle the risk manager sizes each signal, asks the portfolio for room, marks
every open symbol and, once per bar, recomputes correlations. Goal: all of it well under a
millisecond per call so the cycle's latency is the venue's, not ours. Also reports the
memory bound of the trailing-drawdown window: a week of one-second marks must not keep a
week of points.

    python scripts/bench_risk.py [--n 20000]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
from rich.console import Console
from rich.table import Table

from ats.config.models import Governance
from ats.domain import Fill, InstrumentSpec, Side, StrategySignal
from ats.portfolio import PortfolioController, TradePlan, TrailingPeak
from ats.risk import RiskEngine, RiskSettings, RiskState

T0 = 1_767_571_200_000


def timed(fn: Callable[[], object], n: int) -> float:
    """Microseconds per call (best of three runs of ``n`` calls)."""
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, time.perf_counter() - t)
    return best / n * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20_000, help="calls per timed operation")
    args = ap.parse_args()
    n = args.n
    gov = Governance()
    engine = RiskEngine(RiskSettings.from_governance(gov))
    spec = InstrumentSpec("BTC", "mock", "crypto_perp", 0.1, 0.001, 0.001)
    sig = StrategySignal("trend", "BTC", "1h", Side.BUY, 100.0, None, 0.6, "bench", T0,
                         take_hint=106.0)
    state = RiskState(100_000.0, daily_pnl_pct=0.001, trailing_dd_pct=-0.01,
                      open_risk_pct=0.01, loss_streak=1, vol_quantile=0.5)

    symbols = [f"S{i}" for i in range(50)]
    specs = {s: InstrumentSpec(s, "mock", "crypto_perp", 0.01, 0.01, 0.01) for s in symbols}
    pc = PortfolioController(gov, 100_000.0, instruments=specs)
    for i, s in enumerate(symbols):
        pc.apply_fill(Fill(f"f{i}", f"o{i}", s, Side.BUY, 1.0, 100.0, 0.01, T0 + i),
                      stop=99.9)
    plan = TradePlan("X", Side.BUY, 1.0, 100.0, 99.0, None, 1.0, 1e-5, 100.0)
    prices = {s: 100.5 for s in symbols}
    rng = np.random.default_rng(1)
    returns = {s: rng.normal(size=100) for s in symbols[:20]}
    ts = [T0 + 10_000]

    def mark() -> None:
        ts[0] += 1000
        pc.mark_to_market(prices, ts[0])

    rows = [
        ("RiskEngine.size_position", timed(
            lambda: engine.size_position(sig, 100.0, state, 2.0, spec), n)),
        ("RiskEngine.risk_budget_pct", timed(lambda: engine.risk_budget_pct(state), n)),
        ("PortfolioController.can_allocate (50 positions)", timed(
            lambda: pc.can_allocate(plan), n // 10)),
        ("PortfolioController.mark_to_market (50 symbols)", timed(mark, n // 10)),
        ("PortfolioController.risk_state (50 positions)", timed(pc.risk_state, n // 10)),
        ("PortfolioController.update_correlation (20 x 100 bars)", timed(
            lambda: pc.update_correlation(returns), max(1, n // 200))),
    ]

    peak = TrailingPeak(72 * 3_600_000)
    walk = 100_000.0 + np.cumsum(rng.normal(scale=5.0, size=7 * 86_400))
    t = time.perf_counter()
    held = 0
    for i, eq in enumerate(walk):
        peak.push(T0 + i * 1000, float(eq))
        held = max(held, len(peak.history()) if i % 3600 == 0 else held)
    push_us = (time.perf_counter() - t) / len(walk) * 1e6

    table = Table(title=f"risk / portfolio hot path (best of 3, n={n})")
    table.add_column("operation")
    table.add_column("µs / call", justify="right")
    for name, us in rows:
        table.add_row(name, f"{us:,.1f}")
    table.add_row("TrailingPeak.push (1 week of 1 s marks)", f"{push_us:,.2f}")
    table.add_row("TrailingPeak points held (max, bound = 72 h / 1 min + 2)",
                  f"{held:,} of {len(walk):,} pushed")
    Console().print(table)


if __name__ == "__main__":
    main()
