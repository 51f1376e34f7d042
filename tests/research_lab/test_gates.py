"""Gates: thresholds from governance, each check able to fail, and the deflated Sharpe ratio
stopping "the lucky one of a thousand"."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from rl_helpers import random_bars

from ats.config.models import Governance
from ats.domain.costs import CostModel
from research_lab.backtest.engine import BacktestConfig, run_backtest
from research_lab.backtest.metrics import Metrics
from research_lab.dsl.evaluate import SignalArrays
from research_lab.pipeline_ci.dsr import deflated_sharpe, expected_max_sharpe
from research_lab.pipeline_ci.gates import correlation, evaluate_gates

GOOD = Metrics(trades=60, net_pnl=3000.0, total_return=0.3, profit_factor=2.0,
               max_drawdown=0.03, sharpe=3.0, sortino=4.0, mar=5.0, expectancy=50.0,
               expectancy_pct=0.005, win_rate=0.5, exposure=0.5, avg_bars_held=10.0,
               participation=0.001, capacity_notional=1e6, bars=3000, per_bar_sharpe=0.08,
               skew=0.1, kurtosis=4.0)


def gates(m: Metrics, **kw: object) -> dict[str, bool]:
    args = {"returns": np.linspace(-1, 1, 50), "live_returns": {}, "n_trials": 30,
            "sharpe_variance": 1 / 3000, "days": 120.0, **kw}
    rep = evaluate_gates("c", m, Governance(), **args)  # type: ignore[arg-type]
    return {c.name: c.passed for c in rep.checks}


def test_a_good_candidate_passes_every_gate() -> None:
    assert all(gates(GOOD).values())


@pytest.mark.parametrize(
    ("change", "gate"),
    [
        ({"profit_factor": 1.1}, "profit_factor"),
        ({"max_drawdown": 0.0456}, "max_drawdown"),  # 1.3 x 3.5 % = 4.55 %
        ({"trades": 9}, "min_trades"),
        ({"participation": 0.3}, "liquidity"),
        ({"expectancy": -1.0}, "expectancy"),
        ({"per_bar_sharpe": 0.03}, "deflated_sharpe"),
    ],
)
def test_each_gate_fails_on_its_own(change: dict[str, float], gate: str) -> None:
    res = gates(dataclasses.replace(GOOD, **change))
    assert [k for k, v in res.items() if not v] == [gate]


def test_trade_frequency_and_correlation_gates() -> None:
    assert not gates(GOOD, days=2.0)["trade_frequency"]
    r = np.random.default_rng(0).normal(size=200)
    assert not gates(GOOD, returns=r, live_returns={"x": r * 2 + 0.01})["correlation"]
    assert gates(GOOD, returns=r, live_returns={"y": np.random.default_rng(1).normal(size=200)}
                 )["correlation"]
    assert correlation(np.ones(10), r[:10]) == 0.0


def test_dsr_rises_with_skill_and_falls_with_trials() -> None:
    assert expected_max_sharpe(1000, 1e-3) > expected_max_sharpe(10, 1e-3) > 0
    assert deflated_sharpe(0.05, 2000, 10, 1 / 2000) > deflated_sharpe(0.05, 2000, 1000,
                                                                       1 / 2000)
    assert deflated_sharpe(0.10, 2000, 100, 1 / 2000) > 0.95


def test_the_luckiest_of_a_thousand_random_strategies_fails_the_dsr_gate() -> None:
    bars = random_bars(2000, seed=21, drift=0.0)
    n = len(bars)
    cfg = BacktestConfig(sizing="notional", cost=CostModel(taker_fee=0.0, slippage_bps_base=0,
                                                           depth_impact_bps=0, vol_impact=0))
    rng = np.random.default_rng(7)
    nan = np.full(n, np.nan)
    best: Metrics | None = None
    for _ in range(1000):
        le, se = rng.random(n) < 0.02, rng.random(n) < 0.02
        m = run_backtest(bars, SignalArrays(le, se, se, le, nan, nan), cfg).metrics
        if best is None or m.per_bar_sharpe > best.per_bar_sharpe:
            best = m
    assert best is not None and best.sharpe > 1.5  # it looks good in isolation...
    lucky = deflated_sharpe(best.per_bar_sharpe, best.bars - 1, 1000, 1 / best.bars,
                            best.skew, best.kurtosis)
    alone = deflated_sharpe(best.per_bar_sharpe, best.bars - 1, 1, 1 / best.bars,
                            best.skew, best.kurtosis)
    assert lucky < 0.95  # ...but not once the thousand trials are counted
    assert alone > lucky


def test_tick_volume_leaves_the_liquidity_gate_unmeasured_not_failed() -> None:
    """MT5's recorded FX bars count quotes, not lots: a share of that volume failed every FX
    candidate. The gate says so instead; on the mock's (sized) volume it still judges."""
    from research_lab.pipeline_ci.gates import GateConfig
    from research_lab.pipeline_ci.market import MarketSpec, volume_is_size

    assert not volume_is_size(MarketSpec(market="file:eurusd.csv", symbol="EURUSD"))
    assert volume_is_size(MarketSpec(market="file:btc.csv", symbol="BTC/USDT:USDT"))
    assert volume_is_size(MarketSpec(market="mock-trending", symbol="EURUSD"))
    heavy = dataclasses.replace(GOOD, participation=40.0)  # 40 "lots" per tick
    assert not gates(heavy)["liquidity"]
    cfg = dataclasses.replace(GateConfig.from_governance(Governance()), volume_is_size=False)
    rep = evaluate_gates("c", heavy, Governance(), returns=np.linspace(-1, 1, 50),
                         live_returns={}, n_trials=30, sharpe_variance=1 / 3000, days=120.0,
                         cfg=cfg)
    liq = next(c for c in rep.checks if c.name == "liquidity")
    assert liq.passed and "not measured" in liq.detail and "tick volume" in liq.detail
