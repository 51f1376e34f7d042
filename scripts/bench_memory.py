"""Memory over a long run: RSS, Python-tracked memory and SQLite's own, per cycle mark.

Runs the real orchestrator (shipped strategies, paper broker over the mock market, SQLite
journal) on a FixedClock, one 1m bar per cycle for every symbol, and samples at marks:

- RSS (what the OS charges the process),
- Python-tracked bytes (``tracemalloc``, with ``--trace``; slows the run about 2x),
- SQLite's allocator (``apsw.memory_used``), and the number of live Python objects.

With ``--trace`` it also prints the allocation sites that grew most between the end of the
warm-up and the end of the run — where a leak would show. The table's reference is the
warm-up mark itself: growth is reported as a percentage of the RSS after warm-up (the goal:
flat within 5 %) and in MiB per 1000 cycles.

    python scripts/bench_memory.py                       # 10 symbols, 50k cycles
    python scripts/bench_memory.py --cycles 200000 --trace
    python scripts/bench_memory.py --mock-cache-days 512    # the old mock cache, for reference

Found with it (2026-12): the ~0.39 MiB per 1000 cycles was the mock market's day cache, a
fixed 512 symbol-days (35 MiB) LRU that a 10-symbol run fills over 51 simulated days
(73k cycles of 1m bars); it is now sized three days per symbol. What remains is bounded:
the brain's latency ring (20k floats) and SQLite's page cache (2.3 MiB).
Measured: 200k cycles, warm-up 20k: RSS 128.5 -> 130.2 MiB (+1.3 %, +0.010 MiB per 1000
cycles; the rest is the mock's block levels, 8 bytes per symbol per 15 minutes simulated).
Same box, 40k cycles with ``--mock-cache-days 512``: +0.478 MiB per 1000 cycles (+13 %).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import apsw
import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from bench_cycle import build  # noqa: E402

from ats.domain import timeframe_ms  # noqa: E402


async def run(args: argparse.Namespace, tmp: Path) -> None:
    proc = psutil.Process()
    orch, clock = await build(args.symbols, "1m", tmp, history_days=3)
    if args.mock_cache_days is not None:  # the reference: the mock's old fixed-size day cache
        venue = orch.adapter._inner  # type: ignore[attr-defined]
        getattr(venue, "venue", venue).gen._cache_days = args.mock_cache_days  # paper over mock
    step = timeframe_ms("1m")
    marks = sorted({args.warmup, *(args.warmup + (args.cycles - args.warmup) * k // 4
                                   for k in range(1, 5))})
    rows: list[tuple[int, float, float, float, int, float]] = []
    base_snap = None
    t0 = time.perf_counter()
    done = 0
    for mark in marks:
        while done < mark:
            clock.advance(step)
            await orch.run_cycle()  # type: ignore[attr-defined]
            done += 1
        gc.collect()
        py = tracemalloc.get_traced_memory()[0] / 2**20 if args.trace else float("nan")
        rows.append((done, proc.memory_info().rss / 2**20, py, apsw.memory_used() / 2**20,
                     len(gc.get_objects()), time.perf_counter() - t0))
        if args.trace and mark == args.warmup:
            base_snap = tracemalloc.take_snapshot()
    end_snap = tracemalloc.take_snapshot() if args.trace else None
    await orch.stop()  # type: ignore[attr-defined]

    print(f"\nMemory over {args.cycles:,} cycles ({args.symbols} symbols, 1m bars, "
          f"warm-up {args.warmup:,} cycles)")
    print(f"{'cycles':>9} {'RSS MiB':>9} {'vs warm-up':>11} {'python MiB':>11} "
          f"{'sqlite MiB':>11} {'objects':>9} {'elapsed s':>10}")
    base_rss = rows[0][1]
    for done, rss, py, sq, objs, el in rows:
        print(f"{done:>9,} {rss:>9.1f} {100 * (rss - base_rss) / base_rss:>10.1f}% "
              f"{py:>11.2f} {sq:>11.2f} {objs:>9,} {el:>10.1f}")
    last = rows[-1]
    per_k = (last[1] - base_rss) / max(1, (last[0] - rows[0][0])) * 1000
    print(f"RSS growth after warm-up: {per_k:+.3f} MiB per 1000 cycles "
          f"({100 * (last[1] - base_rss) / base_rss:+.1f} % over the run; goal within 5 %)")
    if base_snap is not None and end_snap is not None:
        print("\nAllocation sites that grew most after warm-up (tracemalloc):")
        for stat in end_snap.compare_to(base_snap, "lineno")[: args.top]:
            print(f"  {stat.size_diff / 1024:>9.1f} KiB  {stat.count_diff:>+8} blocks  "
                  f"{stat.traceback[0]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cycles", type=int, default=50_000)
    ap.add_argument("--warmup", type=int, default=5_000)
    ap.add_argument("--symbols", type=int, default=10)
    ap.add_argument("--trace", action="store_true", help="tracemalloc (about 2x slower)")
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--mock-cache-days", type=int, default=None,
                    help="floor of the mock's day cache (512 reproduces the old growth)")
    args = ap.parse_args()
    if args.warmup >= args.cycles:
        ap.error("--warmup must be smaller than --cycles")
    logging.basicConfig(level=logging.ERROR)  # lock events are expected here: keep quiet
    if args.trace:
        tracemalloc.start(1)
    tmp = Path(tempfile.mkdtemp(prefix="ats-mem-"))
    try:
        asyncio.run(run(args, tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
