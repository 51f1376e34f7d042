"""Benchmark the trader's desk: the real app, headless, for an accelerated hour on 10 symbols.

The app runs exactly as ``ats tui --paper`` does (real orchestrator, mock market, cycles paced
on the simulated clock, panels refreshed on the 4 Hz timer) in a headless terminal of
120×40. A sampler records the process's CPU time and RSS every half second. Reported:

* panel updates per second (a new snapshot applied to the panels) and header ticks per
  second (the clock line redrawn), against the goal of at least 4 updates a second;
* CPU share of one core over the run (process CPU time / wall time), goal < 25 %;
* peak RSS (``resource``) and RSS at the first and last quarter, goal < 250 MB and flat.

    python scripts/bench_tui.py [--speed 240] [--sim-minutes 60] [--symbols 10]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

import psutil
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ats.brain.runtime import RunOptions, build_orchestrator  # noqa: E402
from ats.tui.app import DeskApp  # noqa: E402
from ats.tui.launch import desk_for  # noqa: E402

SYMBOLS = ("BTC/USDT:USDT", "ETH/USDT:USDT", "EURUSD", "GBPUSD", "XAUUSD",
           "SOL/USDT:USDT", "USDJPY", "SPX500", "NAS100", "XAGUSD")


async def drive(app: DeskApp, sim_ms: int, samples: list[tuple[float, float, float]]) -> float:
    """Sample CPU/RSS until ``sim_ms`` of clock time passed, then quit the app gracefully."""
    proc = psutil.Process()
    for _ in range(1200):  # up to a minute for start-up (backfill)
        if app.started:
            break
        await asyncio.sleep(0.05)
    start_sim = app.clock.now_ms()
    wall0, cpu0 = time.perf_counter(), proc.cpu_times()
    while app.clock.now_ms() - start_sim < sim_ms:
        await asyncio.sleep(0.5)
        cpu = proc.cpu_times()
        samples.append((time.perf_counter() - wall0,
                        (cpu.user + cpu.system) - (cpu0.user + cpu0.system),
                        proc.memory_info().rss / 2**20))
    wall = time.perf_counter() - wall0
    await app.action_quit()
    return wall


async def bench(speed: float, sim_minutes: int, n_symbols: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        orchestrator = build_orchestrator(RunOptions(
            speed=speed, seed=42, db_path=Path(tmp) / "bench.db", symbols=SYMBOLS[:n_symbols],
            run_id="bench-tui"))
        app = desk_for(orchestrator, speed=speed)
        samples: list[tuple[float, float, float]] = []
        run = asyncio.create_task(app.run_async(headless=True, size=(120, 40)))
        await asyncio.sleep(0)
        wall = await drive(app, sim_minutes * 60_000, samples)
        await run
        cpu_s = samples[-1][1] if samples else 0.0
        quarter = max(1, len(samples) // 4)
        rss_first = sum(s[2] for s in samples[:quarter]) / quarter
        rss_last = sum(s[2] for s in samples[-quarter:]) / quarter
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        table = Table(title=f"ats tui, headless 120×40: {sim_minutes} simulated min at ×{speed:g}, "
                            f"{n_symbols} symbols")
        table.add_column("measure")
        table.add_column("value", justify="right")
        table.add_column("goal", justify="right")
        rows = [
            ("wall time", f"{wall:.1f} s", ""),
            ("brain cycles", f"{app.cycles_run}", ""),
            ("cycles / s", f"{app.cycles_run / wall:.2f}", ""),
            ("panel updates / s (new snapshot applied)", f"{app.refreshes / wall:.2f}", "≥ 4"),
            ("header ticks / s (clock redrawn)", f"{app.ticks / wall:.2f}", "≥ 4"),
            ("CPU share of one core", f"{100 * cpu_s / wall:.1f} %", "< 25 %"),
            ("peak RSS", f"{peak_mb:.0f} MB", "< 250 MB"),
            ("RSS first quarter → last quarter", f"{rss_first:.0f} → {rss_last:.0f} MB", "flat"),
        ]
        for row in rows:
            table.add_row(*row)
        Console().print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=240.0)
    parser.add_argument("--sim-minutes", type=int, default=60)
    parser.add_argument("--symbols", type=int, default=10, choices=range(1, len(SYMBOLS) + 1))
    args = parser.parse_args()
    asyncio.run(bench(args.speed, args.sim_minutes, args.symbols))


if __name__ == "__main__":
    main()
