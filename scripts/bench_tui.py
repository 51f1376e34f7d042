"""Benchmark the trader's desk: the real app, headless, for an accelerated hour on 10 symbols.

The app runs exactly as ``ats tui --paper`` does (real orchestrator, mock market, cycles paced
on the simulated clock at each 1-minute close, panels refreshed by the 5 Hz timer) in a
headless 120×40 terminal. Measured from the first finished cycle (the first one warms the
mock market's path caches and indicator windows and is reported on its own):

* panel updates per second (a new snapshot applied to every panel), goal ≥ 4;
* header ticks per second (clock line redrawn) and the longest gap between two ticks — the
  worst stall of the event loop, i.e. how long the UI could not react;
* CPU share of one core (process CPU time / wall time), goal < 25 %;
* peak RSS (``resource``) and mean RSS in the first and last quarter, goal < 250 MB, flat.

    python scripts/bench_tui.py [--speed 480] [--sim-minutes 60] [--symbols 10]
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


class Probe:
    """Timestamps of refresh ticks, sampled CPU time and RSS."""

    def __init__(self, app: DeskApp) -> None:
        self.ticks: list[float] = []
        self.samples: list[tuple[float, float, float]] = []  # wall, cpu s, rss MB
        original = app.refresh_desk

        def refresh() -> None:
            self.ticks.append(time.perf_counter())
            original()

        app.refresh_desk = refresh  # type: ignore[method-assign]
        # the interval timer holds the bound method captured at mount: re-point it
        self.app = app


async def drive(app: DeskApp, probe: Probe, sim_ms: int) -> tuple[float, float, int, int]:
    """Wait for the first cycle, measure for ``sim_ms`` of clock time, then quit gracefully."""
    proc = psutil.Process()
    t_boot = time.perf_counter()
    for _ in range(2400):  # up to two minutes for start-up and the first cycle
        if app.cycles_run >= 1:
            break
        await asyncio.sleep(0.05)
    warmup = time.perf_counter() - t_boot
    start_sim = app.clock.now_ms()
    cycles0, refreshes0 = app.cycles_run, app.refreshes
    wall0, cpu0 = time.perf_counter(), proc.cpu_times()
    while app.clock.now_ms() - start_sim < sim_ms:
        await asyncio.sleep(0.25)
        cpu = proc.cpu_times()
        probe.samples.append((time.perf_counter() - wall0,
                              (cpu.user + cpu.system) - (cpu0.user + cpu0.system),
                              proc.memory_info().rss / 2**20))
    wall = time.perf_counter() - wall0
    cycles, refreshes = app.cycles_run - cycles0, app.refreshes - refreshes0
    probe.ticks = [t for t in probe.ticks if t >= wall0]
    await app.action_quit()
    return warmup, wall, cycles, refreshes


async def bench(speed: float, sim_minutes: int, n_symbols: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        orchestrator = build_orchestrator(RunOptions(
            speed=speed, seed=42, db_path=Path(tmp) / "bench.db", symbols=SYMBOLS[:n_symbols],
            run_id="bench-tui"))
        app = desk_for(orchestrator, speed=speed)
        probe = Probe(app)
        run = asyncio.create_task(app.run_async(headless=True, size=(120, 40)))
        warmup, wall, cycles, refreshes = await drive(app, probe, sim_minutes * 60_000)
        await run
    gaps = [b - a for a, b in zip(probe.ticks, probe.ticks[1:], strict=False)]
    cpu_s = probe.samples[-1][1] if probe.samples else 0.0
    quarter = max(1, len(probe.samples) // 4)
    rss_first = sum(s[2] for s in probe.samples[:quarter]) / quarter
    rss_last = sum(s[2] for s in probe.samples[-quarter:]) / quarter
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    table = Table(title=f"ats tui, headless 120×40: {sim_minutes} simulated min at ×{speed:g}, "
                        f"{n_symbols} symbols")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("goal", justify="right")
    for row in (
        ("start-up + first cycle (warm-up, not measured below)", f"{warmup:.1f} s", ""),
        ("measured wall time", f"{wall:.1f} s", ""),
        ("brain cycles", f"{cycles}", ""),
        ("cycles / s", f"{cycles / wall:.2f}", ""),
        ("panel updates / s (new snapshot applied)", f"{refreshes / wall:.2f}", "≥ 4"),
        ("header ticks / s (clock redrawn)", f"{len(probe.ticks) / wall:.2f}", "≥ 4"),
        ("longest gap between ticks (UI stall)", f"{1000 * max(gaps, default=0):.0f} ms",
         "≈ 200 ms"),
        ("CPU share of one core", f"{100 * cpu_s / wall:.1f} %", "< 25 %"),
        ("peak RSS", f"{peak_mb:.0f} MB", "< 250 MB"),
        ("RSS first quarter → last quarter", f"{rss_first:.0f} → {rss_last:.0f} MB", "flat"),
    ):
        table.add_row(*row)
    Console().print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=480.0)
    parser.add_argument("--sim-minutes", type=int, default=60)
    parser.add_argument("--symbols", type=int, default=10, choices=range(1, len(SYMBOLS) + 1))
    args = parser.parse_args()
    asyncio.run(bench(args.speed, args.sim_minutes, args.symbols))


if __name__ == "__main__":
    main()
