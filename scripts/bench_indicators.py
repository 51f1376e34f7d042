"""Benchmark the indicator set against TA-Lib, the incremental set, and strategy.generate().

1. Batch: every indicator on ``--bars`` (1,000,000) bars of a seeded random walk; the best of
   ``--repeat`` runs, in process CPU milliseconds (on a shared machine wall time mostly
   measures the neighbours). TA-Lib's time for the same definition sits beside it when
   ``talib`` is installed, and the ratio. Goal: the whole set within 2x of TA-Lib.
   Rows without a TA-Lib function (the percentile rank) are shown but not in the total.
2. Incremental: microseconds (thread CPU time) for one ``IncrementalIndicators.update`` of
   the whole set (mean and p99 over ``--updates`` bars after warm-up). Goal: < 50 us.
3. JIT start: the batch kernels are numba-compiled on first use and cached on disk. A fresh
   process imports ``ats.indicators`` and calls every function once on 300 bars, first
   with an empty cache directory (cold: compiles everything), then again (warm: loads the
   cache). Wall seconds; the goal is a cold start of a few seconds.
4. Strategies: microseconds per ``generate()`` of each shipped strategy on a realistic
   context (its ``bars_needed`` tail of a longer history), median and p99 thread CPU time.
   The brain calls it on every closed bar for every symbol (its goal: a cycle's p99 < 20 ms
   at 10 symbols).

    python scripts/bench_indicators.py [--bars 1000000] [--repeat 5] [--updates 100000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

import ats.indicators as ind
from ats.domain import Bars, InstrumentSpec, Regime
from ats.indicators import IncrementalIndicators
from ats.strategies import StrategyContext, registry

try:
    import talib
except ImportError:  # TA-Lib is a test/bench comparator, not a runtime dependency
    talib = None


def series(n: int, seed: int = 42) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    close = np.abs(1000.0 + np.cumsum(rng.normal(0.0, 2.0, n))) + 50.0
    high = close + np.abs(rng.normal(0.0, 1.5, n))
    low = close - np.abs(rng.normal(0.0, 1.5, n))
    volume = rng.lognormal(4.0, 0.5, n)
    return high, low, close, volume


def best_ms(fn: Callable[[], Any], repeat: int) -> float:
    fn()  # warm caches and lazy imports
    best = float("inf")
    for _ in range(repeat):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best * 1e3


def batch_rows(h, lo, c, repeat: int) -> list[tuple[str, float, float | None]]:
    def logret_std() -> Any:
        return talib.STDDEV(np.log(c[1:] / c[:-1]), 20, 1.0)

    def slope_ref() -> Any:
        e = talib.EMA(c, 200)
        return e[10:] / e[:-10] - 1.0

    cases: list[tuple[str, Callable[[], Any], Callable[[], Any] | None]] = [
        ("sma(20)", lambda: ind.sma(c, 20), lambda: talib.SMA(c, 20)),
        ("ema(20)", lambda: ind.ema(c, 20), lambda: talib.EMA(c, 20)),
        ("atr(14)", lambda: ind.atr(h, lo, c, 14), lambda: talib.ATR(h, lo, c, 14)),
        ("atr_pct(14)", lambda: ind.atr_pct(h, lo, c, 14), lambda: talib.NATR(h, lo, c, 14)),
        ("plus_di(14)", lambda: ind.plus_di(h, lo, c, 14), lambda: talib.PLUS_DI(h, lo, c, 14)),
        ("minus_di(14)", lambda: ind.minus_di(h, lo, c, 14), lambda: talib.MINUS_DI(h, lo, c, 14)),
        ("adx(14)", lambda: ind.adx(h, lo, c, 14), lambda: talib.ADX(h, lo, c, 14)),
        ("rsi(14)", lambda: ind.rsi(c, 14), lambda: talib.RSI(c, 14)),
        ("bollinger(20, 2)", lambda: ind.bollinger(c, 20, 2.0), lambda: talib.BBANDS(c, 20)),
        (
            "donchian(20)",
            lambda: ind.donchian(h, lo, 20),
            lambda: (talib.MAX(h, 20), talib.MIN(lo, 20)),
        ),
        ("hist_volatility(20)", lambda: ind.hist_volatility(c, 20), logret_std),
        ("ema_slope(200, 10)", lambda: ind.ema_slope(c, 200, 10), slope_ref),
        ("vol_quantile(100)", lambda: ind.vol_quantile(c, 100), None),
    ]
    rows = []
    for name, ours, ref in cases:
        ref_ms = best_ms(ref, repeat) if (ref is not None and talib is not None) else None
        rows.append((name, best_ms(ours, repeat), ref_ms))
    # Not in the total (its parts are): the one-pass form the regime agent uses.
    dmi_ref = (
        best_ms(
            lambda: (talib.PLUS_DI(h, lo, c), talib.MINUS_DI(h, lo, c), talib.ADX(h, lo, c)), repeat
        )  # fmt: skip
        if talib is not None
        else None
    )
    rows.append(("dmi(14) one pass*", best_ms(lambda: ind.dmi(h, lo, c, 14), repeat), dmi_ref))
    return rows


def incremental_us(h, lo, c, updates: int) -> tuple[float, float]:
    inc = IncrementalIndicators()
    warm = 1000
    inc.update_many(h[:warm], lo[:warm], c[:warm])
    hs, ls, cs = (a[warm : warm + updates].tolist() for a in (h, lo, c))
    samples = np.empty(len(cs))
    update = inc.update
    clock = time.thread_time_ns  # CPU time: the neighbours' load does not count
    for i, (a, b, x) in enumerate(zip(hs, ls, cs, strict=True)):
        t = clock()
        update(a, b, x)
        samples[i] = clock() - t
    return float(samples.mean() / 1e3), float(np.percentile(samples, 99) / 1e3)


_JIT_PROBE = """
import time
t0 = time.perf_counter()
import numpy as np
import ats.indicators as ind
t1 = time.perf_counter()
rng = np.random.default_rng(1)
c = 100 + np.cumsum(rng.normal(0, 1, 300)); h = c + 1; lo = c - 1
ind.sma(c, 20); ind.ema(c, 20); ind.ema_slope(c, 50, 5); ind.rsi(c); ind.true_range(h, lo, c)
ind.atr(h, lo, c); ind.atr_pct(h, lo, c); ind.dmi(h, lo, c); ind.plus_di(h, lo, c)
ind.bollinger(c); ind.stddev(c, 20); ind.hist_volatility(c); ind.donchian(h, lo, 20)
ind.vol_quantile(c, 30)
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def jit_start_s() -> list[tuple[str, float, float]]:
    """(label, import s, first calls s) for a cold and a warm fresh process."""
    out = []
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for label in ("cold (empty cache)", "warm (cache present)"):
            run = subprocess.run([sys.executable, "-c", _JIT_PROBE], env=env, check=True,
                                 capture_output=True, text=True)  # fmt: skip
            imp, calls = (float(v) for v in run.stdout.split())
            out.append((label, imp, calls))
    return out


def strategy_us(calls: int) -> list[tuple[str, int, float, float]]:
    perp = InstrumentSpec("BTC/USDT:USDT", "bingx", "crypto_perp", 0.1, 0.001, 0.001,
                          has_funding=True)  # fmt: skip
    rng = np.random.default_rng(7)
    funding = rng.normal(1e-4, 2e-5, 200)
    out = []
    for name in registry.names():
        strat = registry.create(name)
        n = strat.bars_needed + calls
        h, lo, c, v = series(n, seed=3)
        ts = (
            np.arange(n, dtype=np.int64)
            * 60_000
            * {"4h": 240, "15m": 15, "5m": 5, "1h": 60}[strat.timeframe]
        )
        bars = Bars.from_arrays("BTC/USDT:USDT", strat.timeframe, ts, c, h, lo, c, v)
        samples = np.empty(calls)
        for i in range(calls):
            ctx = StrategyContext(
                symbol=bars.symbol,
                bars=bars.slice(0, strat.bars_needed + i + 1),
                regime=Regime.RANGE_LOWVOL if "range" in name else Regime.TREND_UP,
                funding_rates=funding,
                basis=0.001,
                instrument=perp,
            )
            t = time.thread_time_ns()
            strat.generate(ctx)
            samples[i] = time.thread_time_ns() - t
        out.append((name, strat.bars_needed, float(np.median(samples) / 1e3),
                    float(np.percentile(samples, 99) / 1e3)))  # fmt: skip
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bars", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--updates", type=int, default=100_000)
    ap.add_argument("--calls", type=int, default=300)
    args = ap.parse_args()
    console = Console()
    h, lo, c, _ = series(args.bars)

    rows = batch_rows(h, lo, c, args.repeat)
    table = Table(title=f"Batch indicators on {args.bars:,} bars (process CPU ms, best of "
                        f"{args.repeat})")  # fmt: skip
    for col in ("indicator", "ats ms", "TA-Lib ms", "ratio"):
        table.add_column(col, justify="left" if col == "indicator" else "right")
    total_ours = total_ref = 0.0
    for name, ours, ref in rows:
        ratio = f"{ours / ref:.1f}x" if ref else "—"
        table.add_row(name, f"{ours:.2f}", f"{ref:.2f}" if ref else "—", ratio)
        if ref is not None and not name.endswith("*"):
            total_ours += ours
            total_ref += ref
    if total_ref:
        ratio = total_ours / total_ref
        verdict = "[green]meets[/]" if ratio <= 2.0 else "[red]misses[/]"
        table.add_row(
            "[b]whole set (rows with TA-Lib)[/]", f"[b]{total_ours:.2f}[/]",
            f"[b]{total_ref:.2f}[/]", f"[b]{ratio:.1f}x[/] {verdict} the 2x goal",
        )  # fmt: skip
    console.print(table)
    console.print("* dmi() returns +DI, -DI and ADX together; not counted in the total.")

    mean_us, p99_us = incremental_us(h, lo, c, min(args.updates, args.bars - 1000))
    inc = Table(title="Incremental update of the whole set (16 values)")
    for col in ("mean us", "p99 us", "goal"):
        inc.add_column(col, justify="right")
    ok = "[green]met[/]" if mean_us < 50 else "[red]missed[/]"
    inc.add_row(f"{mean_us:.1f}", f"{p99_us:.1f}", f"< 50 us: {ok}")
    console.print(inc)

    jit = Table(title="JIT start of a fresh process (wall s)")
    for col in ("process", "import", "first call of every function", "total"):
        jit.add_column(col, justify="left" if col == "process" else "right")
    for label, imp, calls in jit_start_s():
        jit.add_row(label, f"{imp:.2f}", f"{calls:.2f}", f"{imp + calls:.2f}")
    console.print(jit)

    strat = Table(title="strategy.generate() per closed bar")
    for col in ("strategy", "bars_needed", "median us", "p99 us"):
        strat.add_column(col, justify="left" if col == "strategy" else "right")
    for name, need, med, p99 in strategy_us(args.calls):
        strat.add_row(name, str(need), f"{med:.0f}", f"{p99:.0f}")
    console.print(strat)


if __name__ == "__main__":
    main()
