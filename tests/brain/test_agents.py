"""Unit tests of the regime, risk, execution and monitor agents and their helpers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ats.brain.agents import (
    ExecInput,
    ExecutionAgent,
    ExitRequest,
    LockStatus,
    MarketRegimeAgent,
    MonitorAgent,
    MonitorInput,
    RiskInput,
    RiskManagerAgent,
)
from ats.brain.agents.regime import RegimeFeatures
from ats.brain.market import BarWindow
from ats.brain.tools import ToolContext, default_registry
from ats.config.models import EnableMap, Governance
from ats.domain import Bars, FixedClock, Position, Quote, Regime, Side, StrategySignal
from ats.portfolio import PortfolioController
from ats.risk import RiskEngine, RiskSettings, TradePlan
from broker_adapters.mock import MockMarket
from tests.brain.fakes import MemoryDAO

GOV = Governance()
EM = EnableMap(regimes={r: ("a",) for r in Regime}, min_bars_hold=3)
T0 = 1_767_571_200_000  # 2026-01-05


def bars_from(close: np.ndarray, spread: float = 0.001, symbol: str = "X",
              tf: str = "1m") -> Bars:
    n = len(close)
    ts = T0 + np.arange(n, dtype=np.int64) * 60_000
    high = close * (1 + spread)
    low = close * (1 - spread)
    return Bars.from_arrays(symbol, tf, ts, close, high, low, close, np.ones(n))


def ctx(**kw: object) -> ToolContext:
    base: dict[str, object] = {"governance": GOV, "enable_map": EM}
    base.update(kw)
    return ToolContext(**base)  # type: ignore[arg-type]


# ------------------------------------------------------------------ bar window
def test_bar_window_keeps_the_newest_rows_and_drops_bad_ones() -> None:
    w = BarWindow("X", "1m", 5)
    assert w.extend(bars_from(np.arange(1.0, 4.0))) == 3
    assert w.extend(bars_from(np.arange(1.0, 4.0))) == 0  # same bars again: ignored
    more = bars_from(np.arange(1.0, 13.0))
    close = more.close.copy()
    close[10] = math.nan
    bad = Bars.from_arrays("X", "1m", more.ts, close, more.high, more.low, close, more.volume)
    assert w.extend(bad) == 5  # 9 newer rows, one NaN dropped, only 5 kept
    v = w.view()
    assert len(w) == 5 and list(v.close) == [7.0, 8.0, 9.0, 10.0, 12.0]
    for i in range(20):  # many appends: the buffer shifts, never grows
        w.extend(bars_from(np.arange(1.0, 14.0 + i)))
    assert len(w.view()) == 5 and w.view().close[-1] == 32.0
    with pytest.raises(ValueError):
        BarWindow("X", "1m", 0)


# ------------------------------------------------------------------ regime
def test_regime_classification_rules() -> None:
    a = MarketRegimeAgent(ctx())
    f = RegimeFeatures(1.0, 0.01, 30.0, 0.01, 0.5, False)
    assert a.classify(f) is Regime.TREND_UP
    assert a.classify(RegimeFeatures(1, 0.01, 30.0, -0.01, 0.5, False)) is Regime.TREND_DOWN
    assert a.classify(RegimeFeatures(1, 0.01, 10.0, 0.01, 0.9, False)) is Regime.RANGE_HIGHVOL
    assert a.classify(RegimeFeatures(1, 0.01, 10.0, 0.0, 0.2, False)) is Regime.RANGE_LOWVOL
    assert a.classify(RegimeFeatures(1, 0.01, 40.0, 0.05, 0.99, True)) is Regime.PANIC


def test_regime_features_on_trend_and_crash() -> None:
    a = MarketRegimeAgent(ctx())
    n = a.bars_needed + 10
    up = bars_from(100 * np.exp(np.linspace(0, 0.3, n)))
    r = a.assess("UP", up)
    assert r.regime is Regime.TREND_UP and r.features.ema_slope > 0 and r.features.adx > 25
    rng = np.random.default_rng(1)
    calm = 100 * np.exp(np.cumsum(rng.normal(0, 0.001, n)))
    calm[-1] = calm[-2] * 0.95  # a 5 % drop in one bar: far beyond 4 sigma
    crash = a.assess("CRASH", bars_from(calm))
    assert crash.features.panic and crash.regime is Regime.PANIC
    with pytest.raises(ValueError, match="regime needs"):
        a.assess("SHORT", bars_from(np.ones(10)))


def test_regime_streaming_features_match_the_batch_indicators() -> None:
    from ats import indicators as ind

    a = MarketRegimeAgent(ctx())
    rng = np.random.default_rng(5)
    n = a.bars_needed + 40
    close = 100 * np.exp(np.cumsum(rng.normal(0.0002, 0.002, n)))
    b = bars_from(close, spread=0.003)
    for k in range(a.MIN_BARS, n + 1, 37):  # bar by bar in uneven steps, as cycles arrive
        a.assess("X", b.slice(0, k))
    inc = a.assess("X", b)
    batch = a.features(b)
    assert inc.features == batch
    atr = ind.atr(b.high, b.low, b.close, 14)
    assert batch.atr == pytest.approx(float(atr[-1]), rel=1e-9)
    assert batch.adx == pytest.approx(float(ind.adx(b.high, b.low, b.close, 14)[-1]), rel=1e-9)
    slope = float(ind.ema_slope(b.close, 200, 10)[-1])
    assert batch.ema_slope == pytest.approx(slope, rel=1e-9)
    vq = float(ind.vol_quantile((atr / b.close)[-100:], 100)[-1])
    assert batch.vol_quantile == pytest.approx(vq)


def test_regime_hysteresis_needs_min_bars_hold_but_panic_is_immediate() -> None:
    a = MarketRegimeAgent(ctx())
    calm = RegimeFeatures(1, 0.01, 10.0, 0.0, 0.2, False)
    hot = RegimeFeatures(1, 0.01, 10.0, 0.0, 0.95, False)
    seq = [calm, calm, hot, hot, calm, hot, hot, hot]
    out = []
    a._features_tracked = lambda sym, bars: seq[len(out)]  # type: ignore[method-assign]
    b = bars_from(np.ones(40))
    for _ in seq:
        out.append(a.assess("X", b).regime)
    low, high = Regime.RANGE_LOWVOL, Regime.RANGE_HIGHVOL
    assert out == [low, low, low, low, low, low, low, high]  # 3 hot bars in a row switch it
    assert a.current("X").held == 3
    panic = RegimeFeatures(1, 0.01, 10.0, 0.0, 0.99, True)
    a._features_tracked = lambda sym, bars: panic  # type: ignore[method-assign]
    r = a.assess("X", b)
    assert r.regime is Regime.PANIC and r.changed


# ------------------------------------------------------------------ risk
def risk_setup(equity: float = 10_000.0) -> tuple[RiskManagerAgent, PortfolioController]:
    pf = PortfolioController(GOV, equity)
    c = ctx(risk_engine=RiskEngine(RiskSettings.from_governance(GOV)), portfolio=pf)
    return RiskManagerAgent(default_registry(), c), pf


def signal(sym: str = "BTC", side: Side = Side.BUY, entry: float = 100.0, conf: float = 0.8,
           exit_: bool = False, strategy: str = "a") -> StrategySignal:
    return StrategySignal(strategy, sym, "1m", side, entry, None, conf, "test", T0,
                          is_exit=exit_)


SPEC = {"BTC": __import__("ats.domain", fromlist=["InstrumentSpec"]).InstrumentSpec(
    "BTC", "mock", "crypto_perp", 0.01, 0.001, 0.001)}


def test_risk_agent_plans_and_rejects_with_reasons() -> None:
    agent, pf = risk_setup()
    b = {("BTC", "1m"): bars_from(np.linspace(99, 100, 60), spread=0.002, symbol="BTC")}
    res = agent.evaluate(RiskInput([signal(), signal(conf=0.5)], b, SPEC))
    # a protective stop where the signal gives none, and no invented take
    assert len(res.plans) == 1 and res.plans[0].stop < 100.0 and res.plans[0].take is None
    assert [r.code for r in res.rejections] == ["one_per_symbol"]
    assert pf.pending  # added so later plans in the cycle see it
    locked = agent.evaluate(RiskInput([signal()], b, SPEC,
                                      LockStatus(True, "daily_lock", "daily lock: -2%")))
    assert not locked.plans and locked.rejections[0].code == "daily_lock"
    missing = agent.evaluate(RiskInput([signal(sym="ETH")], b, SPEC))
    assert missing.rejections[0].code == "no_instrument"
    no_bars = agent.evaluate(RiskInput([signal()], {}, SPEC))
    assert no_bars.rejections[0].code == "no_atr"


def test_risk_agent_exits_pass_even_when_locked() -> None:
    agent, pf = risk_setup()
    from ats.domain import Fill

    pf.apply_fill(Fill("f1", "o1", "BTC", Side.BUY, 1.0, 100.0, 0.0, T0), stop=95.0, take=110.0,
                  strategy="a")
    lock = LockStatus(True, "kill_switch", "kill switch")
    res = agent.evaluate(RiskInput([signal(side=Side.SELL, exit_=True)], {}, SPEC, lock))
    assert len(res.exits) == 1 and res.exits[0].side is Side.SELL and res.exits[0].qty == 1.0
    same_side = agent.evaluate(RiskInput([signal(side=Side.BUY, exit_=True)], {}, SPEC, lock))
    assert not same_side.exits


def test_protect_fires_stop_and_take_only_after_entry() -> None:
    agent, _ = risk_setup()
    pos = {"L": Position("L", 1.0, 100.0, T0, stop=95.0, take=110.0),
           "S": Position("S", -1.0, 100.0, T0, stop=105.0, take=90.0),
           "N": Position("N", 1.0, 100.0, T0)}
    q = {"L": Quote("L", T0, 99.0, 99.1), "S": Quote("S", T0, 89.0, 89.5)}
    exits = agent.protect(pos, {"L": (T0 + 60_000, 101.0, 94.0)}, q)
    by = {e.symbol: e for e in exits}
    assert "stop" in by["L"].reason and by["L"].side is Side.SELL
    assert "take" in by["S"].reason and by["S"].side is Side.BUY
    assert "N" not in by
    early = agent.protect({"L": pos["L"]}, {"L": (T0, 101.0, 94.0)}, {})
    assert early == []  # a bar that closed when the entry filled cannot stop it out


def test_shadow_plans_ignore_locks_and_portfolio() -> None:
    agent, pf = risk_setup()
    b = {("BTC", "1m"): bars_from(np.linspace(99, 100, 60), spread=0.002, symbol="BTC")}
    res = agent.shadow_plans(RiskInput([signal(strategy="ch")], b, SPEC,
                                       LockStatus(True, "kill_switch", "k")))
    assert len(res.plans) == 1 and not pf.pending


# ------------------------------------------------------------------ execution
async def exec_setup() -> tuple[ExecutionAgent, MockMarket, MemoryDAO]:
    clock = FixedClock(T0)
    mkt = MockMarket(clock=clock, symbols=("BTC/USDT:USDT",), history_days=2)
    await mkt.connect()
    dao = MemoryDAO()
    c = ctx(adapter=mkt, dao=dao, run_id="r", clock=clock, ts=T0)
    return ExecutionAgent(default_registry(), c), mkt, dao


def plan(qty: float = 0.01, sym: str = "BTC/USDT:USDT") -> TradePlan:
    return TradePlan(sym, Side.BUY, qty, 60_000.0, 59_000.0, 62_000.0, 10.0, 0.001,
                     qty * 60_000.0, "a")


async def test_execution_sends_books_and_collects_fills() -> None:
    agent, mkt, dao = await exec_setup()
    specs = await mkt.instruments()
    res = await agent.execute(ExecInput([plan()], [], specs))
    assert res.orders and res.fills and not res.rejections
    assert res.plan_by_order[res.fills[0].client_order_id].strategy == "a"
    assert dao.fills == res.fills
    assert dao.order_log[0].status.value == "new"  # intent first
    again = await agent.collect_fills()
    assert again == []  # fills are never booked twice
    ex = await agent.execute(ExecInput([], [ExitRequest("BTC/USDT:USDT", Side.SELL, 0.01, "t")],
                                       specs))
    assert ex.orders[0].reduce_only and ex.fills


async def test_execution_stops_cleanly_on_a_dead_venue() -> None:
    agent, mkt, dao = await exec_setup()
    specs = await mkt.instruments()
    mkt.fail_next(5)
    res = await agent.execute(ExecInput([plan(), plan()], [], specs))
    assert res.venue_error and not res.orders
    assert {r.code for r in res.rejections} == {"venue_error"} and len(res.rejections) == 2


async def test_execution_rejects_on_slippage_cap() -> None:
    agent, mkt, _ = await exec_setup()
    specs = await mkt.instruments()
    res = await agent.execute(ExecInput([plan(qty=500.0)], [], specs,
                                        {"BTC/USDT:USDT": 1e5}))
    assert res.rejections and res.rejections[0].code == "slippage" and not res.orders


# ------------------------------------------------------------------ monitor
def test_monitor_marks_records_equity_and_correlation() -> None:
    pf = PortfolioController(GOV, 10_000.0)
    dao = MemoryDAO()
    got = []
    agent = MonitorAgent(default_registry(), ctx(portfolio=pf, dao=dao, run_id="r",
                                                 sinks=[got.append]))
    base = np.random.default_rng(3).normal(0, 1, 100)
    res = agent.observe(MonitorInput(T0, {}, {"A": base, "B": base * 2 + 0.01}))
    assert res.max_correlation == pytest.approx(1.0) and res.safe_mode
    assert dao.equity[-1].equity == 10_000.0 and dao.equity[-1].run_id == "r"
    from ats.brain.state import BrainSnapshot

    agent.publish(BrainSnapshot(cycle=1))
    assert got[0].cycle == 1 and agent.export_errors == ()
