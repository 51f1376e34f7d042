"""System test: the real brain on a replay file with a ``funding_rate`` column pays (or
receives) funding on its paper position at every settlement it holds through, and nothing
else: cash = start + realized - fees - funding, exactly, and the run summary shows it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ats.brain.account import paper_engine
from ats.brain.runtime import RunOptions, build_orchestrator
from ats.domain.costs import CostModel
from tests.brain.helpers import config_dir
from tests.semantics.replay_helpers import bars_from_closes


async def _run(tmp: Path, frame: Any) -> dict[str, Any]:
    cfg = config_dir(tmp, strategies=["funding_reversion"])
    path = tmp / "bars.csv"
    frame.to_csv(path, index=False)
    orch = build_orchestrator(RunOptions(
        adapter="replay", bars_path=path, config_dir=cfg, db_path=tmp / "ats.db",
        symbols=("XYZ/USDT:USDT",), timeframes=("1h",), run_id="funding"), env={})
    await orch.run()
    engine = paper_engine(orch.adapter, orch.mode)
    assert engine is not None
    out = {"fills": orch.dao.load_fills(run_id="funding"), "summary": orch.summary(),
           "balance": engine.balance, "start": orch.portfolio.starting_equity,
           "events": list(engine.funding_events), "paid": engine.funding_paid}
    await orch.stop()
    return out


def test_brain_on_replay_pays_funding_at_each_settlement_held(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    n, k = 400, 330
    frame = bars_from_closes(100 + np.cumsum(rng.normal(0, 0.05, n)), 3_600_000, rng,
                             wick=0.05)
    rate = 0.0001 + rng.normal(0, 0.00002, n)
    rate[k:k + 3] = [0.0003, 0.00032, 0.0003]
    rate[k + 3:] = 0.0001 + rng.normal(0, 0.000005, n - k - 3)
    basis = np.full(n, 0.0002)
    basis[k:k + 4] = 0.0012
    frame["funding_rate"], frame["basis"] = rate, basis
    out = asyncio.run(_run(tmp_path, frame))

    fills = out["fills"]
    assert len(fills) == 2, "the scenario trades once: a short entry and its exit"
    entry, exit_ = fills
    # every settlement (a bar's close) strictly after the entry and up to the exit, once
    close_ts = frame["ts"].to_numpy() + 3_600_000
    held = [i for i in range(n) if entry.ts < close_ts[i] <= exit_.ts]
    assert len(held) >= 1
    assert [c.ts for c in out["events"]] == [int(close_ts[i]) for i in held]
    for c, i in zip(out["events"], held, strict=True):
        assert c.rate == pytest.approx(float(rate[i]))
        assert c.qty == pytest.approx(-entry.qty)  # short
        assert c.payment == pytest.approx(CostModel.funding_payment(c.qty * c.mark, c.rate))
        assert c.payment < 0  # a short receives a positive rate
    paid = sum(c.payment for c in out["events"])
    assert out["paid"] == pytest.approx(paid)
    assert out["summary"]["funding_paid"] == pytest.approx(paid)
    # cash reduced by exactly the funding payments on top of fees and realized PnL
    realized = (entry.price - exit_.price) * entry.qty
    fees = entry.fee + exit_.fee
    assert out["balance"] == pytest.approx(out["start"] + realized - fees - paid, abs=1e-9)
    assert out["balance"] != pytest.approx(out["start"] + realized - fees, abs=1e-9)
