"""Benchmark the mock market's path generator and adapter calls; prints a table.

Cold 1m generation includes the block levels and regime schedule (everything a fresh market
does on first use); aggregation runs on already generated minutes; memory is the peak traced
by ``tracemalloc`` while generating, plus the size of the day cache afterwards. Times are
process CPU seconds (``time.process_time``): on a shared machine wall time mostly measures
the neighbours.

    python scripts/bench_mock.py [--days 365] [--symbols 5]
"""

from __future__ import annotations

import argparse
import asyncio
import time
import tracemalloc

from rich.console import Console
from rich.table import Table

from ats.domain import FixedClock
from broker_adapters.mock import DEFAULT_SYMBOLS, MockMarket, parse_start
from broker_adapters.mock.paths import DAY_MIN, DAY_MS, PathGenerator
from broker_adapters.mock.profiles import profile_for

START = parse_start("2026-01-05T00:00:00Z")


def _rate(n: float, seconds: float) -> str:
    return f"{n / seconds:,.0f}"


def bench_generation(days: int, symbols: list[str]) -> list[tuple[str, str, str, str]]:
    rows = []
    profs = [profile_for(s) for s in symbols]

    def fresh() -> PathGenerator:
        return PathGenerator(seed=42, origin_ms=START - days * DAY_MS, correlation=0.3,
                             cache_days=days * len(symbols) + 1)

    def generate(gen: PathGenerator) -> None:
        for p in profs:
            for d in range(days):
                gen.day(p, d)

    tracemalloc.start()  # memory pass (tracing slows numpy down: timed separately below)
    generate(fresh())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    gen = fresh()
    t = time.process_time()
    generate(gen)
    cold = time.process_time() - t
    n = days * DAY_MIN * len(profs)
    rows.append(("1m generation (cold)", f"{n:,}", f"{cold:.3f}", _rate(n, cold)))
    cache = sum(a.nbytes for day in gen._days.values() for a in day.values())
    for tf in (5, 15, 60, 240):
        t = time.process_time()
        for p in profs:
            gen.bars(p, tf, 0, days * DAY_MIN // tf)
        dt = time.process_time() - t
        rows.append((f"aggregate 1m -> {tf}m (1m bars in)", f"{n:,}", f"{dt:.3f}", _rate(n, dt)))
    rows.append(("memory: tracemalloc peak while generating", f"{peak / 2**20:,.1f} MiB", "", ""))
    rows.append(("memory: day cache (all 1m columns)", f"{cache / 2**20:,.1f} MiB", "",
                 f"{cache / n:.0f} B/bar"))
    return rows


async def bench_adapter(symbols: list[str]) -> list[tuple[str, str, str, str]]:
    clock = FixedClock(START + 30 * DAY_MS + 30_000)
    m = MockMarket(clock=clock, symbols=symbols)
    rows = []
    t = time.process_time()
    for s in symbols:
        await m.latest_bars(s, "4h", 2000)
    dt = time.process_time() - t
    rows.append(("latest_bars 4h x2000, cold (per symbol)", f"{len(symbols)}", f"{dt:.3f}",
                 _rate(len(symbols), dt) + " calls/s"))
    n = 2000
    t = time.process_time()
    for i in range(n):
        await m.latest_bars(symbols[i % len(symbols)], "1h", 200)
    dt = time.process_time() - t
    rows.append(("latest_bars 1h x200, warm", f"{n:,}", f"{dt:.3f}", _rate(n, dt) + " calls/s"))
    n = 20_000
    t = time.process_time()
    for i in range(n):
        clock.advance(60_000 if i % 100 == 0 else 0)
        await m.quote(symbols[i % len(symbols)])
    dt = time.process_time() - t
    rows.append(("quote (new minute every 100 calls)", f"{n:,}", f"{dt:.3f}",
                 _rate(n, dt) + " calls/s"))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--symbols", type=int, default=5)
    args = ap.parse_args()
    names = list(DEFAULT_SYMBOLS)
    symbols = (names * (args.symbols // len(names) + 1))[: args.symbols]
    symbols = [s if i < len(names) else f"GEN{i}" for i, s in enumerate(symbols)]
    rows = bench_generation(args.days, symbols) + asyncio.run(bench_adapter(symbols))
    table = Table(title=f"mock market: {args.days} days x {len(symbols)} symbols")
    for col in ("what", "bars / calls", "CPU seconds", "per CPU second"):
        table.add_column(col, justify="left" if col == "what" else "right")
    for row in rows:
        table.add_row(*row)
    Console().print(table)


if __name__ == "__main__":
    main()
