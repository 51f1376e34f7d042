"""What observability costs the brain: the venue-timing wrapper and the exporter.

Measured side by side in one run on the real brain (mock market through the real adapter
factory, shipped configs and strategies, paper broker, SQLite journal):

- a venue call (``quote``) straight to the adapter vs through ``TimedVenue``;
- one brain cycle (reference) vs the exporter's ``BrainMetrics.update`` on that cycle's
  snapshot, and vs rendering ``/metrics`` (``generate_latest``).

    python scripts/bench_metrics.py [--cycles 300] [--calls 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from prometheus_client import generate_latest
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ats.brain.latency import LatencyBook  # noqa: E402
from ats.brain.runtime import RunOptions, build_orchestrator  # noqa: E402
from ats.brain.venue_timing import TimedVenue  # noqa: E402
from ats.config import load_adapters, load_settings, load_symbols  # noqa: E402
from ats.domain import FixedClock, Mode  # noqa: E402
from ats.monitor.metrics import BrainMetrics  # noqa: E402
from broker_adapters.factory import create_adapter  # noqa: E402
from broker_adapters.mock import parse_start  # noqa: E402

SYMBOLS = ("BTC/USDT:USDT", "ETH/USDT:USDT", "EURUSD", "GBPUSD", "XAUUSD")


def us(xs: list[float]) -> str:
    return f"{statistics.median(xs) * 1e6:,.1f} µs"


async def main(cycles: int, calls: int) -> None:
    cfg = REPO / "configs"
    clock = FixedClock(parse_start("2026-01-05T00:00:00Z"))
    settings = load_settings(env={}, dotenv_path=None)
    adapter = create_adapter(
        "mock", mode=Mode.PAPER, adapters_cfg=load_adapters(cfg / "adapters.yaml"),
        symbols_cfg=load_symbols(cfg / "symbols.yaml"), settings=settings, clock=clock,
        seed=7, symbols=SYMBOLS, history_days=3)
    with tempfile.TemporaryDirectory() as tmp:
        opts = RunOptions(config_dir=cfg, db_path=Path(tmp) / "b.db", clock=clock,
                          symbols=SYMBOLS, timeframes=("1m",), skip_feed_check=True,
                          run_id="bench-metrics")
        orch = build_orchestrator(opts, adapter=adapter, env={})
        await orch.start()
        raw = orch.adapter.wrapped
        timed = TimedVenue(raw, LatencyBook(), {})
        direct, wrapped = [], []
        for _ in range(calls):
            t0 = time.perf_counter()
            await raw.quote("BTC/USDT:USDT")
            t1 = time.perf_counter()
            await timed.quote("BTC/USDT:USDT")
            t2 = time.perf_counter()
            direct.append(t1 - t0)
            wrapped.append(t2 - t1)
        metrics = BrainMetrics()
        cycle_s, update_s, render_s = [], [], []
        for _ in range(cycles):
            clock.advance(60_000)
            t0 = time.perf_counter()
            snap = await orch.run_cycle()
            t1 = time.perf_counter()
            metrics.update(snap)
            t2 = time.perf_counter()
            generate_latest(metrics.registry)
            t3 = time.perf_counter()
            cycle_s.append(t1 - t0)
            update_s.append(t2 - t1)
            render_s.append(t3 - t2)
        await orch.stop()
    med = statistics.median
    table = Table(title=f"Observability cost ({len(SYMBOLS)} symbols, median)")
    for col in ("what", "reference", "measured", "ratio"):
        table.add_column(col)
    table.add_row("venue quote: direct vs TimedVenue", us(direct), us(wrapped),
                  f"{med(wrapped) / med(direct):.2f}x")
    table.add_row("brain cycle vs BrainMetrics.update", us(cycle_s), us(update_s),
                  f"{med(update_s) / med(cycle_s):.1%} of a cycle")
    table.add_row("brain cycle vs /metrics render", us(cycle_s), us(render_s),
                  f"{med(render_s) / med(cycle_s):.1%} of a cycle")
    Console().print(table)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cycles", type=int, default=300)
    ap.add_argument("--calls", type=int, default=20_000)
    a = ap.parse_args()
    asyncio.run(main(a.cycles, a.calls))
