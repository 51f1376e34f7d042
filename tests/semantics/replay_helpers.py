"""Scripted bars written to a file and replayed through the real brain (replay venue, paper
engine, PersistDAO) with the real registry strategies — the path a user takes with
``ats run --adapter replay --bars FILE``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ats.brain.runtime import RunOptions, build_orchestrator
from tests.brain.helpers import config_dir

T0 = 1_700_000_000_000


def bars_from_closes(closes: np.ndarray, step_ms: int, rng: np.random.Generator, *,
                     wick: float, volume: np.ndarray | None = None) -> pd.DataFrame:
    """OHLCV rows: each bar opens at the previous close, wicks ``wick`` beyond its body."""
    c = np.asarray(closes, dtype=float)
    o = np.r_[c[0], c[:-1]]
    h = np.maximum(o, c) + wick * np.abs(rng.normal(size=len(c)))
    lo = np.minimum(o, c) - wick * np.abs(rng.normal(size=len(c)))
    ts = T0 // step_ms * step_ms + np.arange(len(c)) * step_ms
    v = np.full(len(c), 100.0) if volume is None else volume
    return pd.DataFrame({"ts": ts, "open": o, "high": h, "low": lo, "close": c, "volume": v})


async def replay(tmp: Path, strategy: str, timeframes: tuple[str, ...], frame: pd.DataFrame,
                 *, symbol: str = "XYZ/USDT", run_id: str = "replay-test",
                 extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run the brain over ``frame`` to the end; the orders, fills and summary it left."""
    cfg = config_dir(tmp, strategies=[strategy])
    path = tmp / "bars.csv"
    frame.to_csv(path, index=False)
    orch = build_orchestrator(RunOptions(
        adapter="replay", bars_path=path, config_dir=cfg, db_path=tmp / "ats.db",
        symbols=(symbol,), timeframes=timeframes, run_id=run_id, **(extra or {})), env={})
    await orch.run()
    out = {"orders": orch.dao.load_orders(run_id=run_id),
           "fills": orch.dao.load_fills(run_id=run_id), "summary": orch.summary(),
           "journal": [r.payload for r in orch.dao.journal_tail(100_000, kind="cycle")],
           "trades": list(orch.portfolio.closed_trades)}
    await orch.stop()
    return out
