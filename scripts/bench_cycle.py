"""Brain cycle benchmark: latency per cycle at 10 / 100 / 1000 symbols, memory over a long run.

Runs the real orchestrator (shipped strategies, tools, agents, paper broker over the mock
market, SQLite journal) with a FixedClock advanced one bar per cycle, so every cycle has a
newly closed bar for every symbol — the worst case. Prints a table.

    python scripts/bench_cycle.py                  # 10, 100, 1000 symbols; 20k-cycle memory run
    python scripts/bench_cycle.py --mem-cycles 100000

Goals: p99 < 20 ms at 10 symbols; 1000 symbols p50 < 250 ms and p99 < 400 ms; memory flat
(see scripts/bench_memory.py for the long run with tracemalloc).

Measured on the 2-core shared dev box (2026-12, issue 15, load average ~2.4): 10 symbols
p50 1.8 ms / p99 14 ms; 100 symbols p50 14 ms / p99 48 ms; 1000 symbols p50 117 ms / p99
361 ms, of which the brain's own share is p50 76 ms / p99 285 ms — across a midnight, where
the mock market builds every symbol's next day (prefetched through the evening, so no single
cycle pays for all 1000). At load average ~7 the same run gave 1000 symbols p50 297 ms /
p99 675 ms (brain p50 188 ms). Before issue 15 (every lookup missed the mock's 512-day
cache): 1000 symbols p50 635 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ats.brain.runtime import RunOptions, build_orchestrator  # noqa: E402
from ats.config import load_adapters, load_settings, load_symbols  # noqa: E402
from ats.domain import FixedClock, Mode, timeframe_ms  # noqa: E402
from broker_adapters.factory import create_adapter  # noqa: E402
from broker_adapters.mock import parse_start  # noqa: E402


class TimedAdapter:
    """Delegates to the venue and sums the time spent awaiting it.

    The mock market generates its price paths on demand (a day per symbol, prefetched
    through the evening), so part of a cycle is the *venue* making data. The table shows
    the cycle with and without that time, so the brain's own cost is visible.
    """

    def __init__(self, inner: object) -> None:
        self._inner = inner
        self.venue_s = 0.0
        self.book_venue = f"paper:{getattr(inner, 'name', 'mock')}"

    def __getattr__(self, name: str) -> object:
        attr = getattr(self._inner, name)
        if not asyncio.iscoroutinefunction(attr):
            return attr

        async def timed(*a: object, **k: object) -> object:
            t0 = time.perf_counter()
            try:
                return await attr(*a, **k)
            finally:
                self.venue_s += time.perf_counter() - t0

        # Kept: building the wrapper on every call (getattr + inspect) would bill the
        # bench's own overhead to the brain's share at 1000 symbols.
        setattr(self, name, timed)
        return timed


def symbols(n: int) -> tuple[str, ...]:
    base = ("BTC/USDT:USDT", "ETH/USDT:USDT", "EURUSD", "GBPUSD", "XAUUSD")
    extra = tuple(f"SYN{i:04d}" for i in range(max(0, n - len(base))))
    return (base + extra)[:n]


# The latency runs start at 18:00 so the measured cycles cross a midnight: the mock market
# builds a new day of paths per symbol then, and the table must include that cost.
LATENCY_START = "2026-01-05T18:00:00Z"


async def build(n: int, tf: str, tmp: Path, history_days: int,
                at: str = "2026-01-05T00:00:00Z") -> tuple[object, FixedClock]:
    cfg = REPO / "configs"
    clock = FixedClock(parse_start(at))
    settings = load_settings(env={}, dotenv_path=None)
    syms = symbols(n)
    adapter = create_adapter(
        "mock", mode=Mode.PAPER, adapters_cfg=load_adapters(cfg / "adapters.yaml"),
        symbols_cfg=load_symbols(cfg / "symbols.yaml"), settings=settings, clock=clock,
        seed=42, symbols=syms, history_days=history_days)
    opts = RunOptions(config_dir=cfg, db_path=tmp / f"bench_{n}.db", clock=clock,
                      symbols=syms, timeframes=(tf,), skip_feed_check=True,
                      run_id=f"bench-{n}")
    orch = build_orchestrator(opts, adapter=TimedAdapter(adapter), env={})
    await orch.start()
    return orch, clock


async def latency(n: int, cycles: int, tf: str, tmp: Path, warmup: int) -> dict[str, float]:
    t0 = time.perf_counter()
    orch, clock = await build(n, tf, tmp, history_days=max(3, timeframe_ms(tf) * 400
                                                           // 86_400_000 + 2), at=LATENCY_START)
    start_s = time.perf_counter() - t0
    step = timeframe_ms(tf)
    timed = orch.adapter  # type: ignore[attr-defined]
    first = 0.0
    for i in range(warmup):  # first cycles seed every streaming indicator: reported apart
        clock.advance(step)
        c0 = time.perf_counter()
        await orch.run_cycle()  # type: ignore[attr-defined]
        if i == 0:
            first = (time.perf_counter() - c0) * 1000.0
    lat: list[float] = []
    own: list[float] = []
    for _ in range(cycles):
        clock.advance(step)
        v0 = timed.venue_s
        c0 = time.perf_counter()
        await orch.run_cycle()  # type: ignore[attr-defined]
        total = (time.perf_counter() - c0) * 1000.0
        lat.append(total)
        own.append(total - (timed.venue_s - v0) * 1000.0)
    snap = orch.snapshot  # type: ignore[attr-defined]
    await orch.stop()  # type: ignore[attr-defined]
    lat.sort()
    own.sort()

    def p99(xs: list[float]) -> float:
        return xs[min(len(xs) - 1, int(0.99 * len(xs)))]

    return {"symbols": n, "cycles": cycles, "start_s": start_s, "first": first,
            "p50": statistics.median(lat), "p99": p99(lat), "max": lat[-1],
            "own_p50": statistics.median(own), "own_p99": p99(own), "own_max": own[-1],
            "orders": snap.orders_total}


async def memory(n: int, cycles: int, tf: str, tmp: Path) -> list[tuple[int, float, float]]:
    proc = psutil.Process()
    orch, clock = await build(n, tf, tmp, history_days=3)
    step = timeframe_ms(tf)
    marks = sorted({min(cycles, k) for k in (1_000, 10_000, cycles // 4, cycles // 2, cycles)})
    out: list[tuple[int, float, float]] = []
    t0 = time.perf_counter()
    done = 0
    for mark in marks:
        while done < mark:
            clock.advance(step)
            await orch.run_cycle()  # type: ignore[attr-defined]
            done += 1
        gc.collect()
        out.append((done, proc.memory_info().rss / 2**20, time.perf_counter() - t0))
    await orch.stop()  # type: ignore[attr-defined]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10,100,1000")
    ap.add_argument("--cycles", type=int, default=300, help="cycles per latency size")
    ap.add_argument("--big-cycles", type=int, default=100,
                    help="cycles at 1000 symbols (100 x 5m crosses the midnight)")
    ap.add_argument("--warmup", type=int, default=3, help="cycles run before measuring")
    ap.add_argument("--timeframe", default="5m")
    ap.add_argument("--mem-cycles", type=int, default=20_000)
    ap.add_argument("--mem-symbols", type=int, default=10)
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)  # lock events are expected here: keep quiet
    tmp = Path(tempfile.mkdtemp(prefix="ats-bench-"))
    try:
        rows = []
        load0 = os.getloadavg()[0]
        for n in (int(x) for x in args.sizes.split(",")):
            cycles = args.big_cycles if n >= 1000 else args.cycles
            rows.append(asyncio.run(latency(n, cycles, args.timeframe, tmp, args.warmup)))
        print(f"\nBrain cycle latency in ms (mock market, 1 timeframe = {args.timeframe}, "
              "a new bar for every symbol every cycle, from 18:00 across a midnight)")
        print("(all = whole cycle; brain = the cycle minus time spent inside venue calls; "
              f"first = the first cycle after start, one of the {args.warmup} warm-up cycles "
              "not in the percentiles)")
        print(f"(machine: {os.cpu_count()} CPUs, load average {load0:.1f} at the start and "
              f"{os.getloadavg()[0]:.1f} at the end: a shared box is noisy, compare runs "
              "at similar load)")
        print(f"{'symbols':>8} {'cycles':>7} {'start s':>8} {'first':>8} {'all p50':>9} "
              f"{'all p99':>9} {'all max':>9} {'brain p50':>10} {'brain p99':>10} "
              f"{'brain max':>10} {'orders':>7}")
        for r in rows:
            print(f"{r['symbols']:>8} {r['cycles']:>7} {r['start_s']:>8.2f} {r['first']:>8.1f} "
                  f"{r['p50']:>9.2f} "
                  f"{r['p99']:>9.2f} {r['max']:>9.2f} {r['own_p50']:>10.2f} "
                  f"{r['own_p99']:>10.2f} {r['own_max']:>10.2f} {r['orders']:>7}")
        if args.mem_cycles > 0:
            mem = asyncio.run(memory(args.mem_symbols, args.mem_cycles, "1m", tmp))
            print(f"\nMemory over a long run ({args.mem_symbols} symbols, 1m bars)")
            print(f"{'cycles':>8} {'RSS MiB':>9} {'elapsed s':>10}")
            for done, rss, el in mem:
                print(f"{done:>8} {rss:>9.1f} {el:>10.1f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
