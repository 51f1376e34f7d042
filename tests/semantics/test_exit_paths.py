"""Each strategy owns its exits, and the brain carries them out exactly.

The real strategies of the registry run in the real brain (orchestrator, replay venue
under the paper engine, SQLite) on scripted bars; every exit path a trader relies on must
show up as an order with its reason in the database and in the cycle journal:
Breakout4H 1R and 2R partials and the ride to the channel exit, VolExp15M's trailing stop
and time stop, RangeRev5M's reversion to the middle band. No take is invented by the risk
layer: a breakout is never closed at a fixed multiple of ATR.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import numpy as np
import pytest

from ats.domain import Side
from tests.semantics.replay_helpers import bars_from_closes, replay

H4, M15, M5 = 4 * 3_600_000, 15 * 60_000, 5 * 60_000


def _exit_reasons(out: dict) -> list[str]:
    return [o.reason for o in out["orders"] if o.reason]


def _filled(out: dict, oid: str) -> float:
    return sum(f.qty for f in out["fills"] if f.client_order_id == oid)


def test_breakout_takes_1r_and_2r_partials_and_rides_to_the_channel_exit(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    up = 100 + np.cumsum(0.35 + rng.normal(0, 0.6, 420))
    ride = up[-1] + np.cumsum(1.2 + rng.normal(0, 0.3, 40))
    down = ride[-1] + np.cumsum(-1.5 + rng.normal(0, 0.3, 40))
    frame = bars_from_closes(np.r_[up, ride, down], H4, rng, wick=0.3)
    out = asyncio.run(replay(tmp_path, "breakout_4h", ("4h",), frame))
    orders = out["orders"]
    entry = orders[0]
    assert entry.side is Side.BUY and not entry.reduce_only
    exits = orders[1:4]
    assert [o.side for o in exits] == [Side.SELL] * 3
    assert "1R target" in exits[0].reason and "2R target" in exits[1].reason
    assert "exit channel" in exits[2].reason
    q = _filled(out, entry.client_order_id)
    # half at 1R, half of the rest at 2R, the remaining quarter rides to the channel exit
    assert _filled(out, exits[0].client_order_id) == pytest.approx(q / 2, rel=1e-3)
    assert _filled(out, exits[1].client_order_id) == pytest.approx(q / 4, rel=1e-3)
    assert _filled(out, exits[2].client_order_id) == pytest.approx(q / 4, rel=1e-3)
    trade = out["trades"][0]
    assert trade.strategy == "breakout_4h" and trade.r_multiple > 2.0  # not capped at 1.25R
    # the risk layer's take would read "take <price> hit"; the breakout has none
    assert not any(re.match(r"take [\d.e+-]+ hit", r) for r in _exit_reasons(out))
    journal_exits = [e["reason"] for p in out["journal"] for e in p.get("exits", [])]
    assert any("2R target" in r for r in journal_exits)


def test_volatility_expansion_exits_on_its_trailing_stop_and_its_time_stop(
        tmp_path: Path) -> None:
    rng = np.random.default_rng(2)

    def seg(n: int, drift: float, sd: float) -> np.ndarray:
        return drift + rng.normal(0, sd, n)

    d = np.concatenate([seg(400, 0.05, 0.08), [1.6], seg(6, 0.4, 0.05), [-1.2, -0.6],
                        seg(120, 0.05, 0.08), [1.6], seg(30, 0.0, 0.05), seg(40, 0.05, 0.08)])
    vol = 100 + rng.uniform(0, 20, len(d))
    vol[np.abs(d) >= 1.5] = 1000.0  # the expansion bars trade heavy volume
    frame = bars_from_closes(100 + np.cumsum(d), M15, rng, wick=0.05, volume=vol)
    out = asyncio.run(replay(tmp_path, "volatility_expansion_15m", ("15m",), frame))
    reasons = _exit_reasons(out)
    assert len(out["trades"]) == 2
    assert "1.5xATR trailing stop" in reasons[0]
    assert "time stop: 16 bars held" in reasons[1]


def test_range_reversion_exits_at_the_middle_band(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    t = np.arange(400)
    base = 100 + 0.3 * np.sin(t / 9) + rng.normal(0, 0.03, 400)
    dip = base[-1] - np.array([0.25, 0.5, 0.75])
    after = 100 + 0.3 * np.sin(np.arange(60) / 9) + rng.normal(0, 0.03, 60)
    closes = np.r_[base, dip, np.linspace(dip[-1], 100.3, 8), after]
    frame = bars_from_closes(closes, M5, rng, wick=0.02)
    out = asyncio.run(replay(tmp_path, "range_reversion_5m", ("5m",), frame))
    reasons = _exit_reasons(out)
    assert any("reverted to the middle band" in r for r in reasons)
    # every entry was taken in range_lowvol (the strategy's only regime)
    entries = [p for p in out["journal"] for s in p.get("signals", [])
               if "range_reversion_5m" in s and "Bollinger" in s]
    assert entries


def test_funding_reversion_exits_when_funding_normalises(tmp_path: Path) -> None:
    """A scripted funding/basis series on a perpetual: the funding spike with a premium is
    faded (short), and the position is closed when the funding z-score is back to normal."""
    rng = np.random.default_rng(4)
    n, k = 400, 330
    frame = bars_from_closes(100 + np.cumsum(rng.normal(0, 0.05, n)), 3_600_000, rng,
                             wick=0.05)
    rate = 0.0001 + rng.normal(0, 0.00002, n)
    rate[k:k + 3] = [0.0003, 0.00032, 0.0003]  # longs crowd in: funding 10 sd above normal
    rate[k + 3:] = 0.0001 + rng.normal(0, 0.000005, n - k - 3)
    basis = np.full(n, 0.0002)
    basis[k:k + 4] = 0.0012  # and the perp trades at a premium to its index
    frame["funding_rate"], frame["basis"] = rate, basis
    out = asyncio.run(replay(tmp_path, "funding_reversion", ("1h",), frame,
                             symbol="XYZ/USDT:USDT"))
    entry, exit_ = out["orders"]
    assert entry.side is Side.SELL and exit_.side is Side.BUY
    assert "funding z" in exit_.reason and "reverted within 0.5" in exit_.reason
    # the entry came on the spike, the exit after it (not at the end of the data)
    t_spike = int(frame["ts"][k])
    assert t_spike < entry.ts < exit_.ts < int(frame["ts"].iloc[-1])
