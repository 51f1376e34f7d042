"""Storage benchmark: one run, one table.

Measures this project's path (``PersistDAO``) beside stdlib ``sqlite3.executemany`` and
``pandas.to_sql`` on the same schema and pragmas (WAL, synchronous=NORMAL):

- insert 1M bars into an empty table (goal >= 400k rows/s), then upsert the same 1M again;
- read 1M bars into numpy columns (goal < 0.5 s);
- one FTS5 query over 1M journal rows (goal < 50 ms), for a rare and a common term.

Usage: python scripts/bench_storage.py [--rows N] [--journal-rows N] [--repeat 3] [--dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from ats.domain import Bars
from storage.dao import PersistDAO
from storage.schema import V1

T0 = 1_700_000_000_000


def make_bars(n: int, symbol: str = "BTC/USDT:USDT") -> Bars:
    rng = np.random.default_rng(7)
    close = 30_000 + np.cumsum(rng.normal(0, 20, n))
    open_ = np.concatenate([[close[0]], close[:-1]])
    return Bars.from_arrays(
        symbol, "1m", T0 + np.arange(n, dtype=np.int64) * 60_000, open_,
        np.maximum(open_, close) + 5, np.minimum(open_, close) - 5, close,
        rng.random(n) * 100, np.full(n, 0.5),
    )


def timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def best(fn: Callable[[], float], repeat: int) -> float:
    """Fastest of ``repeat`` runs: the machine is shared, the minimum is the least noisy."""
    return min(fn() for _ in range(max(1, repeat)))


def stdlib_conn(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(V1)
    return conn


def bench_stdlib(path: Path, bars: Bars) -> float:
    conn = stdlib_conn(path)
    n = len(bars)
    rows = zip([bars.symbol] * n, [bars.timeframe] * n, bars.ts.tolist(), bars.open.tolist(),
               bars.high.tolist(), bars.low.tolist(), bars.close.tolist(),
               bars.volume.tolist(), bars.spread.tolist(), ["bench"] * n, strict=True)

    def go() -> None:
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO bars VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        conn.execute("COMMIT")

    secs = timed(go)
    conn.close()
    return secs


def bench_pandas(path: Path, bars: Bars) -> tuple[float, float]:
    conn = stdlib_conn(path)
    n = len(bars)
    df = pd.DataFrame({
        "symbol": bars.symbol, "timeframe": bars.timeframe, "ts": bars.ts, "open": bars.open,
        "high": bars.high, "low": bars.low, "close": bars.close, "volume": bars.volume,
        "spread": bars.spread, "source": ["bench"] * n,
    })
    conn.isolation_level = "DEFERRED"
    write = timed(lambda: (df.to_sql("bars", conn, if_exists="append", index=False,
                                     chunksize=100_000), conn.commit()))
    read = timed(lambda: pd.read_sql(
        "SELECT ts, open, high, low, close, volume, spread FROM bars WHERE symbol = ? AND "
        "timeframe = ? ORDER BY ts", conn, params=(bars.symbol, bars.timeframe)))
    conn.close()
    return write, read


WORDS = ("regime trend_up range_lowvol panic selected ema_cross breakout mean_revert plan "
         "rejected order filled slippage spread liquidity cooldown drawdown equity margin "
         "signal confidence stop take risk budget correlation safe mode").split()


def fill_journal(dao: PersistDAO, n: int) -> float:
    rng = np.random.default_rng(3)
    picks = rng.integers(0, len(WORDS), size=(n, 8))
    rare = set(rng.choice(n, size=max(1, n // 10_000), replace=False).tolist())

    def rows():  # type: ignore[no-untyped-def]
        for i in range(n):
            text = " ".join(WORDS[j] for j in picks[i])
            if i in rare:
                text += " kill switch engaged"
            doc = json.dumps({"kind": "cycle", "run_id": "bench", "ts": T0 + i * 1000,
                              "payload": {"i": i}})
            yield doc, text

    def go() -> None:
        with dao.db.write() as conn:
            conn.executemany("INSERT INTO journal (doc, text) VALUES (?, ?)", rows())

    return timed(go)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--journal-rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3, help="best of N for each measurement")
    ap.add_argument("--dir", type=Path, default=None, help="scratch directory (default: tmp)")
    args = ap.parse_args()
    n = args.rows
    workdir = Path(args.dir or tempfile.mkdtemp(prefix="ats_bench_"))
    workdir.mkdir(parents=True, exist_ok=True)
    bars = make_bars(n)
    results: list[tuple[str, str, str, str]] = []

    size = f"{n / 1e6:g}M" if n >= 1_000_000 else f"{n:,}"
    r = args.repeat

    def project_insert() -> float:
        path = workdir / "ats_project_insert.db"
        for f in workdir.glob("ats_project_insert.db*"):
            f.unlink()
        d = PersistDAO(path)
        try:
            return timed(lambda: d.upsert_bars(bars, "bench"))
        finally:
            d.close()

    ins = best(project_insert, r)
    results.append((f"insert {size} bars", "PersistDAO.upsert_bars (apsw)",
                    f"{n / ins:,.0f} rows/s", ">= 400k rows/s"))
    for f in workdir.glob("ats_project.db*"):
        f.unlink()
    dao = PersistDAO(workdir / "ats_project.db")
    dao.upsert_bars(bars, "bench")
    ups = best(lambda: timed(lambda: dao.upsert_bars(bars, "bench")), r)
    results.append((f"upsert same {size} bars (no-op)", "PersistDAO.upsert_bars (apsw)",
                    f"{n / ups:,.0f} rows/s", "-"))
    changed = Bars(bars.symbol, bars.timeframe, bars.ts, bars.open, bars.high, bars.low,
                   bars.close + 1.0, bars.volume, bars.spread)
    upc = timed(lambda: dao.upsert_bars(changed, "bench"))
    results.append((f"upsert {size} changed bars", "PersistDAO.upsert_bars (apsw)",
                    f"{n / upc:,.0f} rows/s", "-"))

    def stdlib_once() -> float:
        for f in workdir.glob("ats_stdlib.db*"):
            f.unlink()
        return bench_stdlib(workdir / "ats_stdlib.db", bars)

    std = best(stdlib_once, r)
    results.append((f"insert {size} bars", "sqlite3.executemany", f"{n / std:,.0f} rows/s", "-"))
    for f in workdir.glob("ats_pandas.db*"):
        f.unlink()
    pdw, pdr = bench_pandas(workdir / "ats_pandas.db", bars)
    results.append((f"insert {size} bars", "pandas.to_sql", f"{n / pdw:,.0f} rows/s", "-"))

    got: list[Bars] = []
    rd = best(lambda: timed(lambda: got.append(dao.read_bars(bars.symbol, "1m"))), r)
    assert len(got[0]) == n and np.array_equal(got[0].close, changed.close)
    results.append((f"read {size} bars -> numpy", "PersistDAO.read_bars", f"{rd:.3f} s", "< 0.5 s"))
    results.append((f"read {size} bars -> DataFrame", "pandas.read_sql", f"{pdr:.3f} s", "-"))

    jn = args.journal_rows
    jf = fill_journal(dao, jn)
    results.append((f"write {jn:,} journal rows (+FTS)", "executemany in one txn",
                    f"{jn / jf:,.0f} rows/s", "-"))
    dao.search("kill switch")  # warm the page cache once, as a running app would be
    hits: list[int] = []
    rare = best(lambda: timed(lambda: hits.append(len(dao.search("kill switch")))), r)
    results.append(("FTS 'kill switch' (rare)", f"PersistDAO.search, {hits[0]} hits",
                    f"{rare * 1000:.1f} ms", "< 50 ms"))
    common = best(lambda: timed(lambda: hits.append(len(dao.search("drawdown margin")))), r)
    results.append(("FTS 'drawdown margin' (common)", f"PersistDAO.search, {hits[-1]} hits",
                    f"{common * 1000:.1f} ms", "< 50 ms"))
    dao.close()

    table = Table(title=f"Storage benchmark ({n:,} bars, {jn:,} journal rows, best of {r}, "
                        f"{os.cpu_count()} CPUs, files in {workdir})")
    for col in ("operation", "path", "result", "goal"):
        table.add_column(col)
    for row in results:
        table.add_row(*row)
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
