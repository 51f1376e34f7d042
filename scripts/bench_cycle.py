"""Brain cycle benchmark: latency per cycle at 10 / 100 / 1000 symbols, memory over a long run.

Runs the real orchestrator (shipped strategies, tools, agents, paper broker over the mock
market, SQLite journal) with a FixedClock advanced one bar per cycle, so every cycle has a
newly closed bar for every symbol — the worst case. Prints a table.

    python scripts/bench_cycle.py                  # 10, 100, 1000 symbols; 20k-cycle memory run
    python scripts/bench_cycle.py --mem-cycles 100000

Goals: p99 < 20 ms at 10 symbols; one 1000-symbol cycle < 1 s; memory flat over the run.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
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


def symbols(n: int) -> tuple[str, ...]:
    base = ("BTC/USDT:USDT", "ETH/USDT:USDT", "EURUSD", "GBPUSD", "XAUUSD")
    extra = tuple(f"SYN{i:04d}" for i in range(max(0, n - len(base))))
    return (base + extra)[:n]


async def build(n: int, tf: str, tmp: Path, history_days: int) -> tuple[object, FixedClock]:
    cfg = REPO / "configs"
    clock = FixedClock(parse_start("2026-01-05T00:00:00Z"))
    settings = load_settings(env={}, dotenv_path=None)
    syms = symbols(n)
    adapter = create_adapter(
        "mock", mode=Mode.PAPER, adapters_cfg=load_adapters(cfg / "adapters.yaml"),
        symbols_cfg=load_symbols(cfg / "symbols.yaml"), settings=settings, clock=clock,
        seed=42, symbols=syms, history_days=history_days)
    opts = RunOptions(config_dir=cfg, db_path=tmp / f"bench_{n}.db", clock=clock,
                      symbols=syms, timeframes=(tf,), skip_feed_check=True,
                      run_id=f"bench-{n}")
    orch = build_orchestrator(opts, adapter=adapter, env={})
    await orch.start()
    return orch, clock


async def latency(n: int, cycles: int, tf: str, tmp: Path) -> dict[str, float]:
    t0 = time.perf_counter()
    orch, clock = await build(n, tf, tmp, history_days=max(3, timeframe_ms(tf) * 400
                                                           // 86_400_000 + 2))
    start_s = time.perf_counter() - t0
    step = timeframe_ms(tf)
    lat: list[float] = []
    for _ in range(cycles):
        clock.advance(step)
        c0 = time.perf_counter()
        await orch.run_cycle()  # type: ignore[attr-defined]
        lat.append((time.perf_counter() - c0) * 1000.0)
    snap = orch.snapshot  # type: ignore[attr-defined]
    await orch.stop()  # type: ignore[attr-defined]
    lat.sort()
    return {"symbols": n, "cycles": cycles, "start_s": start_s,
            "p50": statistics.median(lat), "p99": lat[min(len(lat) - 1, int(0.99 * len(lat)))],
            "max": lat[-1], "orders": snap.orders_total}


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
    ap.add_argument("--big-cycles", type=int, default=30, help="cycles at 1000 symbols")
    ap.add_argument("--timeframe", default="5m")
    ap.add_argument("--mem-cycles", type=int, default=20_000)
    ap.add_argument("--mem-symbols", type=int, default=10)
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)  # lock events are expected here: keep quiet
    tmp = Path(tempfile.mkdtemp(prefix="ats-bench-"))
    try:
        rows = []
        for n in (int(x) for x in args.sizes.split(",")):
            cycles = args.big_cycles if n >= 1000 else args.cycles
            rows.append(asyncio.run(latency(n, cycles, args.timeframe, tmp)))
        print(f"\nBrain cycle latency (mock market, 1 timeframe = {args.timeframe}, "
              "a new bar for every symbol every cycle)")
        print(f"{'symbols':>8} {'cycles':>7} {'start s':>8} {'p50 ms':>9} {'p99 ms':>9} "
              f"{'max ms':>9} {'orders':>7}")
        for r in rows:
            print(f"{r['symbols']:>8} {r['cycles']:>7} {r['start_s']:>8.2f} {r['p50']:>9.2f} "
                  f"{r['p99']:>9.2f} {r['max']:>9.2f} {r['orders']:>7}")
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
