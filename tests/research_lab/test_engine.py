"""Fill semantics of the backtester on hand-made bars, and fast path == loop path."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rl_helpers import random_bars

from ats.domain import Bars
from ats.domain.costs import CostModel
from research_lab.backtest.engine import BacktestConfig, run_backtest
from research_lab.backtest.fastpath import held_position
from research_lab.dsl.evaluate import SignalArrays

FREE = CostModel(maker_fee=0.0, taker_fee=0.0, slippage_bps_base=0.0, depth_impact_bps=0.0,
                 vol_impact=0.0)


def mk(o: list[float], h: list[float], lo: list[float], c: list[float],
       spread: float = 0.0) -> Bars:
    n = len(o)
    return Bars.from_arrays("T", "1h", np.arange(n) * 3_600_000, o, h, lo, c,
                            np.full(n, 1e9), np.full(n, spread))


def sig(n: int, le: list[int] = (), lx: list[int] = (), se: list[int] = (),
        sx: list[int] = (), stop: float = np.nan, take: float = np.nan) -> SignalArrays:
    def m(idx: list[int]) -> np.ndarray:
        a = np.zeros(n, dtype=bool)
        a[list(idx)] = True
        return a

    return SignalArrays(m(le), m(lx), m(se), m(sx), np.full(n, stop), np.full(n, take))


def cfg(**kw: object) -> BacktestConfig:
    base = {"initial_equity": 1000.0, "sizing": "notional", "cost": FREE}
    return BacktestConfig(**{**base, **kw})  # type: ignore[arg-type]


def test_entry_fills_at_next_open_and_exit_signal_at_the_open_after() -> None:
    b = mk([10, 11, 12, 13, 14], [10, 11, 12, 13, 14], [10, 11, 12, 13, 14],
           [10, 11, 12, 13, 14])
    r = run_backtest(b, sig(5, le=[0], lx=[2]), cfg())
    assert len(r.trades) == 1
    assert r.trades.entry_bar[0] == 1 and r.trades.entry_price[0] == 11
    assert r.trades.exit_bar[0] == 3 and r.trades.exit_price[0] == 13
    assert r.trades.pnl[0] == pytest.approx(1000 / 11 * 2)
    assert r.equity[-1] == pytest.approx(1000 + 1000 / 11 * 2)


def test_signal_on_last_bar_never_fills_and_open_trade_closes_at_last_close() -> None:
    b = mk([10, 10, 10, 10], [11, 11, 11, 11], [9, 9, 9, 9], [10, 10, 10, 12])
    r = run_backtest(b, sig(4, le=[1], se=[3]), cfg())
    assert len(r.trades) == 1
    assert r.trades.reason[0] == "end" and r.trades.exit_price[0] == 12


def test_stop_is_assumed_first_when_one_bar_touches_stop_and_take() -> None:
    b = mk([100, 100, 100, 100], [100, 100, 106, 100], [100, 100, 94, 100],
           [100, 100, 100, 100])
    r = run_backtest(b, sig(4, le=[0], stop=5.0, take=5.0), cfg(), allow_fast=False)
    assert r.trades.reason[0] == "stop" and r.trades.exit_price[0] == 95
    assert r.trades.exit_bar[0] == 2


def test_stop_gap_fills_at_the_worse_open_and_a_gapped_take_at_the_better_open() -> None:
    """Resting orders as the paper engine matches them (``PaperEngine.on_bar``): a stop the
    bar gaps through fills at the open (worse), a take limit at the open (better)."""
    b = mk([100, 100, 90, 90], [100, 101, 91, 90], [100, 99, 89, 90], [100, 100, 90, 90])
    r = run_backtest(b, sig(4, le=[0], stop=5.0), cfg(), allow_fast=False)
    assert r.trades.exit_price[0] == 90  # gapped through 95
    b2 = mk([100, 100, 120, 120], [100, 101, 121, 120], [100, 99, 119, 120],
            [100, 100, 120, 120])
    r2 = run_backtest(b2, sig(4, le=[0], stop=5.0, take=5.0), cfg(), allow_fast=False)
    assert r2.trades.reason[0] == "take" and r2.trades.exit_price[0] == 120


def test_short_reversal_exits_and_enters_at_the_same_open() -> None:
    b = mk([10, 10, 12, 11, 9], [10, 10, 12, 11, 9], [10, 10, 12, 11, 9], [10, 10, 12, 11, 9])
    r = run_backtest(b, sig(5, le=[0], se=[2]), cfg())
    assert [int(x) for x in r.trades.side] == [1, -1]
    assert r.trades.exit_bar[0] == r.trades.entry_bar[1] == 3
    assert r.trades.exit_price[0] == r.trades.entry_price[1] == 11


def test_costs_come_from_the_cost_model() -> None:
    b = mk([100, 100, 100, 100], [100, 100, 100, 100], [100, 100, 100, 100],
           [100, 100, 100, 100], spread=0.2)
    cost = CostModel(taker_fee=0.001, slippage_bps_base=10.0, depth_impact_bps=0.0,
                     vol_impact=0.0)
    r = run_backtest(b, sig(4, le=[0], lx=[1]), cfg(cost=cost))
    assert r.trades.entry_price[0] == pytest.approx(100.1 * 1.001)
    assert r.trades.exit_price[0] == pytest.approx(99.9 * 0.999)
    qty = 1000 / 100
    fees = 0.001 * qty * (r.trades.entry_price[0] + r.trades.exit_price[0])
    assert r.trades.fees[0] == pytest.approx(fees)
    assert r.trades.pnl[0] < -fees  # spread + slippage + fees all cost money


def test_risk_sizing_loses_the_risk_budget_at_the_stop() -> None:
    b = mk([100, 100, 100, 100], [100, 100, 100, 100], [100, 100, 90, 100],
           [100, 100, 100, 100])
    r = run_backtest(b, sig(4, le=[0], stop=2.0), cfg(sizing="risk", risk_per_trade=0.01))
    assert r.trades.pnl[0] == pytest.approx(-10.0)


def test_max_hold_closes_at_the_open() -> None:
    b = random_bars(50)
    r = run_backtest(b, sig(50, le=[5], stop=1e6), cfg(max_hold_bars=3), allow_fast=False)
    assert r.trades.reason[0] == "time" and r.trades.exit_bar[0] == 9


def test_same_side_entry_overrides_exit_and_opposite_entries_cancel() -> None:
    s = sig(6, le=[0, 2, 3], lx=[2], se=[3])
    assert held_position(s).tolist() == [0, 1, 1, 1, 1, 1]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), p=st.floats(0.01, 0.3))
def test_fast_path_equals_loop(seed: int, p: float) -> None:
    n = 300
    b = random_bars(n, seed=seed % 50)
    rng = np.random.default_rng(seed)
    s = SignalArrays(*(rng.random(n) < p for _ in range(4)), np.full(n, np.nan),
                     np.full(n, np.nan))
    c = cfg(cost=CostModel(taker_fee=0.0005, slippage_bps_base=1.0, depth_impact_bps=0.0,
                           vol_impact=0.1))
    fast, loop = run_backtest(b, s, c), run_backtest(b, s, c, allow_fast=False)
    assert fast.trades.entry_bar.tolist() == loop.trades.entry_bar.tolist()
    assert fast.trades.exit_bar.tolist() == loop.trades.exit_bar.tolist()
    np.testing.assert_allclose(fast.equity, loop.equity, rtol=1e-9)


def test_metrics_are_consistent_with_the_trades(bars: Bars) -> None:
    n = len(bars)
    rng = np.random.default_rng(1)
    s = SignalArrays(rng.random(n) < 0.02, rng.random(n) < 0.05, rng.random(n) < 0.02,
                     rng.random(n) < 0.05, np.full(n, 1.0), np.full(n, 2.0))
    r = run_backtest(bars, s, cfg(sizing="risk"))
    m = r.metrics
    assert m.trades == len(r.trades) > 10
    assert m.net_pnl == pytest.approx(r.equity[-1] - 1000.0)
    wins, losses = r.trades.pnl[r.trades.pnl > 0], r.trades.pnl[r.trades.pnl < 0]
    assert m.profit_factor == pytest.approx(wins.sum() / -losses.sum())
    assert m.win_rate == pytest.approx(len(wins) / len(r.trades))
    assert 0 < m.exposure < 1 and 0 <= m.max_drawdown < 1
    assert m.participation > 0 and m.capacity_notional >= 0
