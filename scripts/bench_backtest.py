"""Benchmark the research-lab backtester against backtesting.py and vectorbt.

Strategy: SMA 20/50 crossover, long and short, always in the market (a crossover reverses
the position), 0.05 % fee per side, signals on the close, fills at the next bar's open, no
spread or slippage, all equity in every trade. Prices are a seeded random walk (1h bars).

Timed section, the same for all three: crossover detection from precomputed SMAs,
simulation, then trade count and final equity. vectorbt's numba compilation is warmed up
before timing. backtesting.py is event-driven Python and slow: on more bars than
``--bt-cap`` it runs on the first ``--bt-cap`` bars only and its time is extrapolated
linearly (marked "extrapolated").

Comparators are benchmark-only extras: ``pip install -e '.[bench]'``.

    python scripts/bench_backtest.py [--sizes 100000 1000000] [--bt-cap 100000]
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from ats.domain import Bars
from ats.domain.costs import CostModel
from ats.indicators.moving import sma
from research_lab.backtest.engine import BacktestConfig, run_backtest
from research_lab.dsl.evaluate import SignalArrays

os.environ.setdefault("TQDM_DISABLE", "1")  # backtesting.py's per-bar progress bar
FEE = 0.0005
CASH = 10_000_000.0


def make_bars(n: int, seed: int = 7) -> Bars:
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.002, n)))
    open_ = np.r_[close[0], close[:-1]] * (1.0 + rng.normal(0.0, 0.0002, n))
    high = np.maximum(open_, close) * (1.0 + np.abs(rng.normal(0.0, 0.001, n)))
    low = np.minimum(open_, close) * (1.0 - np.abs(rng.normal(0.0, 0.001, n)))
    ts = 1_600_000_000_000 + np.arange(n, dtype=np.int64) * 3_600_000
    return Bars.from_arrays("BENCH", "1h", ts, open_, high, low, close, np.full(n, 1e9))


def crosses(fast: np.ndarray, slow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(invalid="ignore"):
        above, below = fast > slow, fast < slow
        up = above & np.r_[False, fast[:-1] <= slow[:-1]]
        down = below & np.r_[False, fast[:-1] >= slow[:-1]]
    return up, down


Run = tuple[int, float, np.ndarray]  # trades, final equity, entry bar of every trade


def run_ats(bars: Bars, fast: np.ndarray, slow: np.ndarray) -> Run:
    up, down = crosses(fast, slow)
    n = len(bars)
    z, nan = np.zeros(n, dtype=bool), np.full(n, np.nan)
    cost = CostModel(taker_fee=FEE, slippage_bps_base=0.0, depth_impact_bps=0.0, vol_impact=0.0)
    cfg = BacktestConfig(initial_equity=CASH, sizing="notional", notional_fraction=1.0,
                         cost=cost)
    res = run_backtest(bars, SignalArrays(up, z, down, z, nan, nan), cfg)
    return len(res.trades), float(res.equity[-1]), res.trades.entry_bar


def run_vectorbt(bars: Bars, fast: np.ndarray, slow: np.ndarray) -> Run:
    import pandas as pd
    import vectorbt as vbt

    up, down = crosses(fast, slow)
    idx = pd.date_range("2020-01-01", periods=len(bars), freq="h")
    # shift one bar: the order placed at close t executes at open t+1
    entries = pd.Series(np.r_[False, up[:-1]], index=idx)
    shorts = pd.Series(np.r_[False, down[:-1]], index=idx)
    pf = vbt.Portfolio.from_signals(
        close=pd.Series(bars.close, index=idx), price=pd.Series(bars.open, index=idx),
        entries=entries, short_entries=shorts, fees=FEE, init_cash=CASH, freq="1h",
    )
    return (int(pf.trades.count()), float(pf.final_value()),
            np.asarray(pf.trades.records["entry_idx"]))


def run_backtesting_py(bars: Bars, fast: np.ndarray, slow: np.ndarray) -> Run:
    import pandas as pd
    from backtesting import Backtest, Strategy

    up, down = crosses(fast, slow)

    class SmaCross(Strategy):  # type: ignore[misc]
        def init(self) -> None:
            self.up = self.I(lambda: up.astype(float), plot=False)
            self.down = self.I(lambda: down.astype(float), plot=False)

        def next(self) -> None:
            if self.up[-1]:
                self.buy()
            elif self.down[-1]:
                self.sell()

    idx = pd.date_range("2020-01-01", periods=len(bars), freq="h")
    df = pd.DataFrame({"Open": bars.open, "High": bars.high, "Low": bars.low,
                       "Close": bars.close, "Volume": bars.volume}, index=idx)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bt = Backtest(df, SmaCross, cash=CASH, commission=FEE, exclusive_orders=True,
                      trade_on_close=False, finalize_trades=True)
        stats = bt.run()
    return (int(stats["# Trades"]), float(stats["Equity Final [$]"]),
            np.asarray(stats["_trades"]["EntryBar"]))


def timed(fn: Callable[..., Run], *args: Any) -> tuple[float, int, float, np.ndarray]:
    t0 = time.perf_counter()
    trades, equity, entries = fn(*args)
    return time.perf_counter() - t0, trades, equity, entries


def same(a: np.ndarray, b: np.ndarray) -> str:
    """Whether two engines entered on exactly the same bars."""
    return "same entry bars" if np.array_equal(np.sort(a), np.sort(b)) else "DIFFERENT"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--bt-cap", type=int, default=100_000,
                    help="largest history backtesting.py really runs on (then extrapolated)")
    ap.add_argument("--repeat", type=int, default=3, help="best of N for the fast engines")
    args = ap.parse_args()
    console = Console(width=130)
    have: dict[str, bool] = {}
    for mod in ("vectorbt", "backtesting"):
        try:
            __import__(mod)
            have[mod] = True
        except Exception as exc:  # noqa: BLE001 - report any import failure, keep going
            console.print(f"[yellow]{mod} unavailable ({exc}); its column is skipped[/]")
            have[mod] = False
    if have["vectorbt"]:
        small = make_bars(2_000)
        run_vectorbt(small, sma(small.close, 20), sma(small.close, 50))  # numba warm-up

    table = Table(title="SMA 20/50 long/short, 0.05 % fee per side, next-open fills")
    for col in ("bars", "engine", "seconds", "trades", "final equity", "speed-up vs this",
                "trades vs this"):
        table.add_column(col, justify="right")
    for n in args.sizes:
        bars = make_bars(n)
        fast, slow = sma(bars.close, 20), sma(bars.close, 50)
        ours = min((timed(run_ats, bars, fast, slow) for _ in range(args.repeat)),
                   key=lambda r: r[0])
        table.add_row(f"{n:,}", "ats research_lab", f"{ours[0]:.3f}", str(ours[1]),
                      f"{ours[2]:,.6g}", "1.0x", "-")
        if have["vectorbt"]:
            vb = min((timed(run_vectorbt, bars, fast, slow) for _ in range(args.repeat)),
                     key=lambda r: r[0])
            table.add_row("", "vectorbt", f"{vb[0]:.3f}", str(vb[1]), f"{vb[2]:,.6g}",
                          f"{vb[0] / ours[0]:.2f}x", same(vb[3], ours[3]))
        if have["backtesting"]:
            cap = min(n, args.bt_cap)
            if cap < n:
                sb = make_bars(n).slice(0, cap)
                secs, trades, eq, ent = timed(run_backtesting_py, sb, fast[:cap], slow[:cap])
                ours_cap = timed(run_ats, sb, fast[:cap], slow[:cap])
                est = secs * n / cap
                table.add_row("", f"backtesting.py (first {cap:,} bars)", f"{secs:.2f}",
                              f"{trades} (ours {ours_cap[1]})",
                              f"{eq:,.6g} (ours {ours_cap[2]:,.6g})", "",
                              same(ent, ours_cap[3]))
                table.add_row("", "backtesting.py extrapolated", f"~{est:.1f}", "-", "-",
                              f"~{est / ours[0]:.0f}x", "-")
            else:
                secs, trades, eq, ent = timed(run_backtesting_py, bars, fast, slow)
                table.add_row("", "backtesting.py", f"{secs:.2f}", str(trades), f"{eq:,.6g}",
                              f"{secs / ours[0]:.0f}x", same(ent, ours[3]))
    console.print(table)
    console.print("speed-up = comparator seconds / this project's seconds (same bars). "
                  "Final equity differs where sizing differs: backtesting.py buys whole units "
                  "of 99.99 % of equity, vectorbt sizes fees out of cash.")


if __name__ == "__main__":
    main()
