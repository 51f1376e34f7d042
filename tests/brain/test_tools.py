"""Unit tests of each brain tool and of the registry's counting and timing."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ats.brain.state import BrainSnapshot
from ats.brain.tools import (
    ToolContext,
    ToolError,
    ToolRegistry,
    ToolSpec,
    confidence_multiplier,
    default_registry,
    split_quantity,
)
from ats.config.loader import load_enable_map
from ats.config.models import EnableMap, ExecutionLimits, Governance, LockLimits
from ats.domain import (
    InstrumentSpec,
    Order,
    OrderIntent,
    OrderStatus,
    Quote,
    Regime,
    Side,
    StrategySignal,
)
from ats.risk import RiskEngine, RiskSettings, RiskState
from broker_adapters.base import DepthLevel, OrderBook
from broker_adapters.errors import ConnectionLostError, InsufficientFundsError
from tests.brain.fakes import MemoryDAO

GOV = Governance()
EM = EnableMap(regimes={r: ("a",) for r in Regime}, cooldown_bars=3)
SPEC = InstrumentSpec("BTC", "mock", "crypto_perp", 0.1, 0.001, 0.001)


def ctx(**kw: object) -> ToolContext:
    base: dict[str, object] = {"governance": GOV, "enable_map": EM}
    base.update(kw)
    return ToolContext(**base)  # type: ignore[arg-type]


class Echo:
    spec = ToolSpec("echo", "test.echo", "brain")

    def __call__(self, c: ToolContext, **kw: object) -> object:
        if kw.get("boom"):
            raise ValueError("boom")
        return kw.get("x")


class AsyncEcho:
    spec = ToolSpec("aecho", "test.aecho", "brain")

    async def __call__(self, c: ToolContext, **kw: object) -> object:
        return kw.get("x")


def test_registry_resolves_by_name_and_capability_and_counts_every_call() -> None:
    reg = ToolRegistry()
    reg.register(Echo())
    assert reg.call("echo", ctx(), x=1) == 1
    assert reg.call("test.echo", ctx(), x=2) == 2
    with pytest.raises(ValueError):
        reg.call("echo", ctx(), boom=True)
    st = reg.stats()["echo"]
    assert (st.calls, st.errors) == (3, 1)
    assert st.total_ms >= st.last_ms >= 0
    assert [s.name for s in reg.list()] == ["echo"]
    with pytest.raises(ToolError, match="no tool provides"):
        reg.resolve("nope")
    with pytest.raises(ToolError, match="already registered"):
        reg.register(Echo())


async def test_registry_async_tools_need_acall() -> None:
    reg = ToolRegistry()
    reg.register(AsyncEcho())
    assert await reg.acall("aecho", ctx(), x=5) == 5
    with pytest.raises(ToolError, match="async"):
        reg.call("aecho", ctx(), x=5)
    assert reg.stats()["aecho"].calls == 2


def test_default_registry_has_every_tool() -> None:
    names = {s.name for s in default_registry().list()}
    assert names == {"load_enable_map", "score_strategy", "manage_cooldown", "guard_drawdown",
                     "plan_position", "plan_stops", "liquidity_check", "slippage_estimator",
                     "place_order", "export_metrics"}


def test_load_enable_map_lists_strategies_and_challengers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "em.yaml"
    p.write_text("regimes: {trend_up: [x], trend_down: [], range_lowvol: [y], range_highvol: [],"
                 " panic: []}\nchallengers: [{name: c1, regimes: [trend_up]}]\n")
    reg = default_registry()
    c = ctx(enable_map=load_enable_map(p))
    up = reg.call("load_enable_map", c, regime=Regime.TREND_UP)
    assert up.strategies == ("x",) and [ch.name for ch in up.challengers] == ["c1"]
    low = reg.call("load_enable_map", c, regime=Regime.RANGE_LOWVOL)
    assert low.strategies == ("y",) and low.challengers == ()
    with pytest.raises(ToolError):
        reg.call("load_enable_map", ctx(enable_map=None), regime=Regime.PANIC)


def test_score_strategy_trend_vs_mean_reversion() -> None:
    reg = default_registry()
    trending = np.linspace(100, 120, 30)
    choppy = 100 + np.tile([0.0, 1.0], 15)
    t_trend = reg.call("score_strategy", ctx(), close=trending, kind="trend")
    t_chop = reg.call("score_strategy", ctx(), close=choppy, kind="trend")
    mr_chop = reg.call("score_strategy", ctx(), close=choppy, kind="mean_reversion")
    assert t_trend == pytest.approx(1.0)
    assert t_chop < 0.1
    assert mr_chop == pytest.approx(1.0 - t_chop)
    assert reg.call("score_strategy", ctx(), close=np.array([1.0]), kind="trend") == 0.5


def test_cooldown_spacing_and_pause_after_two_losses() -> None:
    reg = default_registry()
    c = ctx()
    kw = {"strategy": "a", "symbol": "BTC", "bar_ms": 60_000}
    assert reg.call("manage_cooldown", c, action="check", ts=0, **kw).ok
    reg.call("manage_cooldown", c, action="entered", ts=0, **kw)
    blocked = reg.call("manage_cooldown", c, action="check", ts=120_000, **kw)
    assert not blocked.ok and blocked.remaining_bars == 1 and "re-entry" in blocked.reason
    assert reg.call("manage_cooldown", c, action="check", ts=180_000, **kw).ok
    reg.call("manage_cooldown", c, action="result", ts=200_000, pnl=-1.0, **kw)
    assert reg.call("manage_cooldown", c, action="check", ts=240_000, **kw).ok
    reg.call("manage_cooldown", c, action="result", ts=240_000, pnl=-1.0, **kw)
    st = reg.call("manage_cooldown", c, action="check", ts=300_000, **kw)
    assert not st.ok and "2 losses" in st.reason
    tool = reg.get("manage_cooldown")
    assert tool.in_cooldown("a", 300_000) and not tool.in_cooldown("b", 300_000)
    assert reg.call("manage_cooldown", c, action="check", ts=240_000 + 180_000, **kw).ok
    # a win resets the loss count
    reg.call("manage_cooldown", c, action="result", ts=500_000, pnl=-1.0, **kw)
    reg.call("manage_cooldown", c, action="result", ts=510_000, pnl=2.0, **kw)
    reg.call("manage_cooldown", c, action="result", ts=520_000, pnl=-1.0, **kw)
    assert reg.call("manage_cooldown", c, action="check", ts=530_000, **kw).ok
    with pytest.raises(ToolError):
        reg.call("manage_cooldown", c, action="bogus", ts=0, **kw)


def test_guard_drawdown_uses_governance_limits() -> None:
    reg = default_registry()
    c = ctx()
    assert reg.call("guard_drawdown", c, daily_pnl_pct=-0.0179, trailing_dd_pct=-0.0349).ok
    daily = reg.call("guard_drawdown", c, daily_pnl_pct=-0.018, trailing_dd_pct=0.0)
    assert daily.daily_lock and not daily.kill_switch and "daily lock" in daily.reason
    kill = reg.call("guard_drawdown", c, daily_pnl_pct=0.0, trailing_dd_pct=-0.035)
    assert kill.kill_switch and "kill switch" in kill.reason
    loose = ctx(governance=Governance(locks=LockLimits(daily_max_loss=0.05)))
    assert reg.call("guard_drawdown", loose, daily_pnl_pct=-0.03, trailing_dd_pct=0.0).ok


def test_plan_stops_atr_multiples_hints_and_ticks() -> None:
    reg = default_registry()
    long = reg.call("plan_stops", ctx(), side=Side.BUY, entry=100.0, atr=2.0)
    # No take is invented: a strategy without a take hint manages its own exit.
    assert (long.stop, long.take, long.source) == (pytest.approx(97.6), None, "atr")
    short = reg.call("plan_stops", ctx(), side=Side.SELL, entry=100.0, atr=2.0)
    assert short.stop == pytest.approx(102.4) and short.take is None
    hinted = reg.call("plan_stops", ctx(), side=Side.BUY, entry=100.0, atr=2.0, stop_hint=99.0,
                      take_hint=110.0)
    assert (hinted.stop, hinted.take, hinted.source) == (99.0, 110.0, "hint")
    wrong_side = reg.call("plan_stops", ctx(), side=Side.BUY, entry=100.0, atr=2.0,
                          stop_hint=101.0)
    assert wrong_side.source == "atr"
    ticked = reg.call("plan_stops", ctx(), side=Side.BUY, entry=100.0, atr=0.33, tick_size=0.5)
    assert ticked.stop == 99.5  # 99.604 floored away from the entry
    with pytest.raises(ToolError):
        reg.call("plan_stops", ctx(), side=Side.BUY, entry=100.0, atr=math.nan)


def test_confidence_multiplier_range() -> None:
    assert confidence_multiplier(0.0, 1.0, None) == 0.5
    assert confidence_multiplier(1.0, 1.0, 1.0) == 1.25
    assert confidence_multiplier(1.0, 2.0, 1.0) == 0.625  # twice the usual ATR halves it
    assert confidence_multiplier(0.5, 1.0, 10.0) == 1.25
    assert 0.5 <= confidence_multiplier(0.7, 3.0, 1.0) <= 1.25
    # the market fit (score_strategy) counts half: a confident signal in a poor fit is average
    assert confidence_multiplier(1.0, 1.0, None, fit=0.0) == pytest.approx(0.875)
    assert confidence_multiplier(1.0, 1.0, None, fit=1.0) == 1.25


def test_plan_position_sizes_through_the_risk_engine() -> None:
    reg = default_registry()
    c = ctx(risk_engine=RiskEngine(RiskSettings.from_governance(GOV)))
    sig = StrategySignal("a", "BTC", "1m", Side.BUY, 100.0, None, 1.0, "t", 0)
    stops = reg.call("plan_stops", c, side=Side.BUY, entry=100.0, atr=1.0)
    res = reg.call("plan_position", c, signal=sig, entry=100.0, atr=1.0, atr_ref=1.0,
                   state=RiskState(equity=10_000.0), instrument=SPEC, stops=stops)
    assert res.ok and res.stop_price == pytest.approx(98.8)
    assert res.risk_amount <= 10_000 * GOV.risk.max_risk_per_trade + 1e-9
    low = reg.call("plan_position", c, signal=sig, entry=100.0, atr=2.0, atr_ref=1.0,
                   state=RiskState(equity=10_000.0), instrument=SPEC,
                   stops=reg.call("plan_stops", c, side=Side.BUY, entry=100.0, atr=2.0))
    assert low.risk_amount < res.risk_amount  # high ATR vs reference: smaller bet
    with pytest.raises(ToolError):
        reg.call("plan_position", ctx(), signal=sig, entry=100.0, atr=1.0,
                 state=RiskState(equity=1.0), instrument=SPEC, stops=stops)


def test_liquidity_check() -> None:
    reg = default_registry()
    q = Quote("BTC", 0, 99.99, 100.01, 5.0, 7.0)
    ok = reg.call("liquidity_check", ctx(), quote=q, side=Side.BUY)
    assert ok.ok and ok.visible_depth == 7.0 and ok.spread_bps == pytest.approx(2.0)
    book = OrderBook("BTC", 0, bids=(DepthLevel(99.99, 1.0),),
                     asks=(DepthLevel(100.01, 2.0), DepthLevel(100.02, 3.0)))
    assert reg.call("liquidity_check", ctx(), quote=q, side=Side.BUY, book=book
                    ).visible_depth == 5.0
    wide = Quote("BTC", 0, 99.0, 101.0)
    assert "spread" in reg.call("liquidity_check", ctx(), quote=wide, side=Side.BUY).reason
    crossed = Quote("BTC", 0, 101.0, 100.0)
    assert not reg.call("liquidity_check", ctx(), quote=crossed, side=Side.SELL).ok
    no_sizes = reg.call("liquidity_check", ctx(), quote=Quote("BTC", 0, 99.99, 100.01),
                        side=Side.SELL)
    assert no_sizes.ok and math.isinf(no_sizes.visible_depth)


def test_slippage_estimator_uses_cost_model_and_cap() -> None:
    reg = default_registry()
    small = reg.call("slippage_estimator", ctx(), qty=1.0, visible_depth=100.0)
    assert small.ok and small.bps == pytest.approx(1.0 + 10.0 * 0.01)
    tight = ctx(governance=Governance(execution=ExecutionLimits(max_slippage_bps=5.0)))
    big = reg.call("slippage_estimator", tight, qty=100.0, visible_depth=100.0, range_bps=0.0)
    assert not big.ok and "max_slippage_bps" in big.reason
    unknown = reg.call("slippage_estimator", ctx(), qty=1.0, visible_depth=math.inf,
                       range_bps=10.0)
    assert unknown.bps == pytest.approx(1.0 + 0.1 * 10.0)


def test_split_quantity_by_depth_and_notional() -> None:
    assert split_quantity(1.0, 100.0, 1.0, math.inf, 0.25, 1e9, 0.001, 0.001) == [1.0]
    parts = split_quantity(1.0, 100.0, 1.0, 2.0, 0.25, 1e9, 0.001, 0.001)
    assert len(parts) == 2 and sum(parts) == pytest.approx(1.0)
    by_notional = split_quantity(10.0, 100.0, 1.0, math.inf, 0.25, 250.0, 0.01, 0.01)
    assert len(by_notional) == 4 and max(by_notional) <= 2.5 + 1e-9
    assert sum(by_notional) == pytest.approx(10.0)
    odd = split_quantity(1.0, 1.0, 1.0, 1.2, 0.25, 1e9, 0.1, 0.1)
    assert sum(odd) == pytest.approx(1.0) and all(p >= 0.1 - 1e-12 for p in odd)


class FakeVenue:
    def __init__(self, fail: Exception | None = None) -> None:
        self.sent: list[OrderIntent] = []
        self.fail = fail

    async def place_order(self, intent: OrderIntent) -> Order:
        if self.fail is not None:
            raise self.fail
        self.sent.append(intent)
        return Order(intent.client_order_id, intent.symbol, intent.side, intent.qty, intent.type,
                     OrderStatus.FILLED, 1, filled_qty=intent.qty, avg_price=100.0)


async def test_place_order_records_intent_before_sending_and_splits() -> None:
    reg = default_registry()
    dao = MemoryDAO()
    venue = FakeVenue()
    c = ctx(adapter=venue, dao=dao, run_id="r", cycle=7)
    res = await reg.acall("place_order", c, symbol="BTC", side=Side.BUY, qty=1.0, price=100.0,
                          instrument=SPEC, visible_depth=2.0, strategy="a")
    assert len(venue.sent) == 2 and len(res.order_ids) == 2
    assert {i.parent_id for i in venue.sent} == {venue.sent[0].parent_id}
    statuses = [o.status for o in dao.order_log]
    assert statuses == [OrderStatus.NEW, OrderStatus.FILLED, OrderStatus.NEW, OrderStatus.FILLED]
    assert len(set(res.order_ids)) == 2  # <account+run>-<cycle time>-<n>
    c.ts += 60_000  # the same run id again later (a restart resumes after its last cycle)
    again = await default_registry().acall(
        "place_order", c, symbol="BTC", side=Side.BUY, qty=0.1, price=100.0, instrument=SPEC,
        strategy="a")
    assert not set(again.order_ids) & set(res.order_ids)


async def test_place_order_rejections_are_recorded_not_lost() -> None:
    reg = default_registry()
    dao = MemoryDAO()
    c = ctx(adapter=FakeVenue(InsufficientFundsError("no money")), dao=dao, run_id="r")
    res = await reg.acall("place_order", c, symbol="BTC", side=Side.BUY, qty=1.0, price=100.0)
    assert res.errors and not res.fatal
    assert [o.status for o in dao.order_log] == [OrderStatus.NEW, OrderStatus.REJECTED]
    dead = ctx(adapter=FakeVenue(ConnectionLostError("down")), dao=dao, run_id="r")
    res2 = await reg.acall("place_order", dead, symbol="BTC", side=Side.BUY, qty=1.0,
                           price=100.0, visible_depth=1.0)
    assert res2.fatal and len(res2.orders) == 1  # stopped after the first child
    assert dao.order_log[-1].status is OrderStatus.REJECTED
    with pytest.raises(ToolError):
        await reg.acall("place_order", ctx(), symbol="BTC", side=Side.BUY, qty=1.0, price=1.0)
    with pytest.raises(ToolError):
        await reg.acall("place_order", c, symbol="BTC", side=Side.BUY, qty=0.0, price=1.0)


def test_export_metrics_isolates_broken_sinks() -> None:
    got: list[int] = []

    def good(s: BrainSnapshot) -> None:
        got.append(s.cycle)

    def bad(s: BrainSnapshot) -> None:
        raise OSError("disk full")

    reg = default_registry()
    res = reg.call("export_metrics", ctx(sinks=[bad, good]), snapshot=BrainSnapshot(cycle=3))
    assert got == [3] and res.delivered == 1 and "disk full" in res.errors[0]
