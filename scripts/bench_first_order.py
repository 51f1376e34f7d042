"""Time to the first order of the default desk, with the warm start and without it.

The desk cycles once per closed 1-minute bar of the simulated clock; at the default speed
(×60) that is one cycle per wall second, so the wall time to the first order is the start-up
time plus one second per cycle before it. The brain runs here on a frozen clock stepped one
bar per cycle (the same cycles the desk runs, without waiting), for the default seed (42)
and a few others, once with the warm start (the first cycle reads the backfilled history of
every timeframe) and once without it (the reference: strategies wait for the first new bar
of their own timeframe — up to 15 min for 15m, 4 h for 4h).

    python scripts/bench_first_order.py [--seeds 42,1,2,3,7,11] [--max-cycles 300]
    python scripts/bench_first_order.py --spread 0-39   # the spread over 40 markets

The time to the first order is the market's as much as the system's: the warm start removes
the system's share (the wait for the strategies' windows), and what is left is the wait for
the first bar on which a strategy sees its setup. ``--spread`` measures that over many seeds
(warm start only) and prints the share of markets whose first order comes within 5 s, and the
median and 90th percentile.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ats.brain.runtime import RunOptions, build_orchestrator  # noqa: E402
from ats.config.loader import load_adapters  # noqa: E402
from ats.domain import FixedClock  # noqa: E402
from broker_adapters.mock import parse_start  # noqa: E402

SPEED = 60.0  # the desk's default: one 1-minute bar per wall second


async def first_order(seed: int, warm: bool, max_cycles: int) -> tuple[int | None, float]:
    """(cycles until the first order or None, start-up seconds)."""
    start = parse_start(load_adapters().mock.start)
    clock = FixedClock(start)
    with tempfile.TemporaryDirectory() as tmp:
        o = build_orchestrator(RunOptions(seed=seed, clock=clock, run_id=f"fo-{seed}",
                                          db_path=Path(tmp) / "fo.db"), env={})
        o.warm_start = warm
        t0 = time.perf_counter()
        await o.start()
        boot = time.perf_counter() - t0
        found = None
        for n in range(1, max_cycles + 1):
            clock.advance(60_000)
            await o.run_cycle()
            if o.counters.orders:
                found = n
                break
        await o.stop()
    return found, boot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="42,1,2,3,7,11")
    parser.add_argument("--max-cycles", type=int, default=300)
    parser.add_argument("--spread", default=None, metavar="A-B",
                        help="warm start over seeds A..B: share within 5 s, median, p90")
    args = parser.parse_args()
    if args.spread:
        spread(args.spread, args.max_cycles)
        return
    table = Table(title=f"first order of the desk at ×{SPEED:g} (1 cycle = 1 wall second)")
    for col in ("seed", "warm start: cycles", "≈ wall s", "reference (cold): cycles",
                "≈ wall s", "ratio cold / warm"):
        table.add_column(col, justify="right")
    for seed in (int(s) for s in args.seeds.split(",")):
        warm, boot_w = asyncio.run(first_order(seed, True, args.max_cycles))
        cold, boot_c = asyncio.run(first_order(seed, False, args.max_cycles))

        def wall(n: int | None, boot: float) -> str:
            return f"{boot + n * 60.0 / SPEED:.1f}" if n is not None else f"> {args.max_cycles}"

        ratio = f"{cold / warm:.1f}×" if warm and cold else "-"
        table.add_row(str(seed) + (" (default)" if seed == 42 else ""),
                      str(warm) if warm else "-", wall(warm, boot_w),
                      str(cold) if cold else "-", wall(cold, boot_c), ratio)
    Console().print(table)


def spread(span: str, max_cycles: int) -> None:
    lo, hi = (int(x) for x in span.split("-"))
    secs: list[float] = []  # wall seconds to the first order; inf when none came
    for seed in range(lo, hi + 1):
        n, boot = asyncio.run(first_order(seed, True, max_cycles))
        secs.append(boot + n * 60.0 / SPEED if n is not None else float("inf"))
    ordered = sorted(secs)

    def pct(q: float) -> str:
        x = ordered[min(len(ordered) - 1, int(q * len(ordered)))]
        return f"{x:.1f}" if x != float("inf") else f"> {max_cycles}"

    table = Table(title=f"first order over seeds {lo}-{hi}, warm start, ×{SPEED:g}")
    for col in ("markets", "within 5 s", "median s", "p90 s", "none in " + str(max_cycles)):
        table.add_column(col, justify="right")
    table.add_row(str(len(secs)), f"{sum(s <= 5.0 for s in secs) / len(secs):.0%}",
                  pct(0.5), pct(0.9), str(sum(s == float("inf") for s in secs)))
    Console().print(table)


if __name__ == "__main__":
    main()
