"""Benchmark the paper fill simulator; prints a table of simulated orders per second.

* engine, market: alternating buys and sells against a fixed book (fill, fee, netting).
* engine, IOC partials: orders larger than the visible depth.
* engine, resting limits: orders rest, then one book update crosses them all.
* PaperBroker over MockMarket: the full async path (venue quote + depth + engine) on a
  FixedClock that moves one minute every 1000 orders.

Times are process CPU seconds (``time.process_time``): on a shared machine wall time
mostly measures the neighbours.

    python scripts/bench_paper.py [--orders 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from rich.console import Console
from rich.table import Table

from ats.domain import FixedClock, InstrumentSpec, OrderIntent, OrderType, Quote, Side, TimeInForce
from ats.domain.costs import CostModel
from broker_adapters.base import DepthLevel
from broker_adapters.mock import MockMarket, parse_start
from broker_adapters.paper import PaperBroker
from broker_adapters.paper_engine import BookView, PaperEngine

SPEC = InstrumentSpec("X", "bench", "crypto_perp", 0.1, 0.01, 0.01)
BOOK = BookView(
    Quote("X", 0, 100.0, 100.1, 5.0, 5.0),
    tuple(DepthLevel(100.0 - i * 0.1, 5.0) for i in range(10)),
    tuple(DepthLevel(100.1 + i * 0.1, 5.0) for i in range(10)),
    12.0,
)
CROSS = BookView(Quote("X", 1, 90.0, 90.1, 5.0, 5.0), BOOK.bids, BOOK.asks, 12.0)


def engine() -> PaperEngine:
    return PaperEngine(venue="bench", costs=CostModel(), starting_balance=1e12, specs={"X": SPEC})


def bench_market(n: int) -> float:
    e = engine()
    intents = [OrderIntent(f"m{i}", "X", Side.BUY if i % 2 else Side.SELL, 1.0) for i in range(n)]
    t = time.process_time()
    for i, it in enumerate(intents):
        e.submit(it, BOOK, i)
    return time.process_time() - t


def bench_ioc(n: int) -> float:
    e = engine()
    intents = [OrderIntent(f"i{i}", "X", Side.BUY if i % 2 else Side.SELL, 80.0,
                           tif=TimeInForce.IOC) for i in range(n)]
    t = time.process_time()
    for i, it in enumerate(intents):
        e.submit(it, BOOK, i)
    return time.process_time() - t


def bench_resting(n: int) -> float:
    e = engine()
    intents = [OrderIntent(f"l{i}", "X", Side.BUY, 0.01, OrderType.LIMIT, limit_price=95.0)
               for i in range(n)]
    t = time.process_time()
    for i, it in enumerate(intents):
        e.submit(it, BOOK, i)
    e.on_book("X", CROSS, n)
    return time.process_time() - t


async def bench_broker(n: int) -> float:
    start = parse_start("2026-01-20T00:00:30Z")
    clock = FixedClock(start)
    pb = PaperBroker(MockMarket(clock=clock), costs=CostModel(), clock=clock,
                     starting_balance=1e12)
    await pb.connect()
    intents = [OrderIntent(f"b{i}", "BTC/USDT:USDT", Side.BUY if i % 2 else Side.SELL, 0.01)
               for i in range(n)]
    t = time.process_time()
    for i, it in enumerate(intents):
        if i % 1000 == 0:
            clock.advance(60_000)
        await pb.place_order(it)
    return time.process_time() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--orders", type=int, default=100_000)
    n = ap.parse_args().orders
    rows = [
        ("engine: market orders (fill + fee + netting)", n, bench_market(n)),
        ("engine: IOC partial fills (size > depth)", n, bench_ioc(n)),
        ("engine: resting limits, then one crossing book", n, bench_resting(n)),
        ("PaperBroker over MockMarket: market orders", n, asyncio.run(bench_broker(n))),
    ]
    table = Table(title="paper fill simulator")
    for col in ("what", "orders", "CPU seconds", "orders / CPU s"):
        table.add_column(col, justify="left" if col == "what" else "right")
    for what, count, dt in rows:
        table.add_row(what, f"{count:,}", f"{dt:.3f}", f"{count / dt:,.0f}")
    Console().print(table)


if __name__ == "__main__":
    main()
