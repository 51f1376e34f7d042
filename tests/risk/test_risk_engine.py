"""Budget policy and sizing examples with numbers worked out by hand."""

from __future__ import annotations

import math

import pytest

from ats.config import load_governance
from ats.config.models import Governance, RiskLimits
from ats.domain import InstrumentSpec, Side, StrategySignal
from ats.risk import RiskEngine, RiskSettings, RiskState, SizingResult, TradePlan

BTC = InstrumentSpec("BTC/USDT:USDT", "mock", "crypto_perp", tick_size=0.1, lot_step=0.001,
                     min_qty=0.001)
EURUSD = InstrumentSpec("EURUSD", "mt5", "fx", tick_size=0.00001, lot_step=0.01, min_qty=0.01,
                        contract_size=100_000.0, max_leverage=30.0)


def signal(side: Side = Side.BUY, *, entry: float = 100.0, stop: float | None = None,
           take: float | None = None, confidence: float = 0.6,
           symbol: str = "BTC/USDT:USDT", is_exit: bool = False) -> StrategySignal:
    return StrategySignal("trend", symbol, "1h", side, entry, stop, confidence, "test", 0,
                          take_hint=take, is_exit=is_exit)


@pytest.fixture
def engine() -> RiskEngine:
    return RiskEngine(RiskSettings.from_governance(Governance()))


def test_settings_copy_the_shipped_governance() -> None:
    gov = load_governance().governance
    s = RiskSettings.from_governance(gov)
    assert s.base_risk_per_trade == gov.risk.base_risk_per_trade == 0.008
    assert s.max_risk_per_trade == 0.010
    assert s.daily_max_loss == gov.locks.daily_max_loss
    assert s.kill_switch_dd == gov.locks.trailing_dd_kill_switch


# ---------------------------------------------------------------------- budget
def test_base_budget_and_profit_bonus(engine: RiskEngine) -> None:
    assert engine.risk_budget_pct(RiskState(10_000.0)) == pytest.approx(0.008)
    assert engine.risk_budget_pct(RiskState(10_000.0, daily_pnl_pct=0.004)) == pytest.approx(0.010)


def test_bonus_never_exceeds_max_per_trade() -> None:
    eng = RiskEngine(RiskSettings(base_risk_per_trade=0.009, bonus_risk_on_profit=0.005,
                                  max_risk_per_trade=0.010))
    assert eng.risk_budget_pct(RiskState(1.0, daily_pnl_pct=0.02)) == pytest.approx(0.010)


def test_drawdown_fades_budget_linearly_to_the_kill_switch(engine: RiskEngine) -> None:
    half = engine.risk_budget_pct(RiskState(10_000.0, trailing_dd_pct=-0.0175))
    assert half == pytest.approx(0.004)
    b = engine.risk_budget(RiskState(10_000.0, trailing_dd_pct=-0.035))
    assert b.pct == 0.0 and b.code == "kill_switch" and "kill switch" in (b.blocked or "")


def test_daily_loss_leaves_only_the_room_to_the_lock(engine: RiskEngine) -> None:
    # -1.5 % on the day: a full 0.8 % stop-out would breach the -1.8 % lock.
    assert engine.risk_budget_pct(RiskState(10_000.0, daily_pnl_pct=-0.015)) == pytest.approx(
        0.003)
    locked = engine.risk_budget(RiskState(10_000.0, daily_pnl_pct=-0.018))
    assert locked.pct == 0.0 and locked.code == "daily_lock"


def test_open_risk_never_pushed_over_the_cap(engine: RiskEngine) -> None:
    assert engine.risk_budget_pct(RiskState(10_000.0, open_risk_pct=0.027)) == pytest.approx(0.003)
    full = engine.risk_budget(RiskState(10_000.0, open_risk_pct=0.03))
    assert full.pct == 0.0 and full.code == "portfolio_cap"
    # A safe-mode cap of 1.5 % with 1 % open leaves 0.5 %.
    cut = RiskState(10_000.0, open_risk_pct=0.01, risk_cap_pct=0.015)
    assert engine.risk_budget_pct(cut) == pytest.approx(0.005)


def test_cap_above_governance_is_ignored(engine: RiskEngine) -> None:
    state = RiskState(10_000.0, open_risk_pct=0.029, risk_cap_pct=0.5)
    assert engine.risk_budget_pct(state) == pytest.approx(0.001)


def test_loss_streak_and_high_vol_compound(engine: RiskEngine) -> None:
    streak = engine.risk_budget(RiskState(10_000.0, loss_streak=3))
    assert streak.pct == pytest.approx(0.004) and streak.reductions == ("loss_streak",)
    assert engine.risk_budget_pct(RiskState(10_000.0, loss_streak=2)) == pytest.approx(0.008)
    vol = engine.risk_budget_pct(RiskState(10_000.0, vol_quantile=0.9))
    assert vol == pytest.approx(0.0056)
    both = engine.risk_budget(RiskState(10_000.0, loss_streak=5, vol_quantile=0.99))
    assert both.pct == pytest.approx(0.008 * 0.5 * 0.7)
    assert both.reductions == ("loss_streak", "high_vol")
    assert engine.risk_budget_pct(RiskState(10_000.0, vol_quantile=math.nan)) == pytest.approx(
        0.008)


@pytest.mark.parametrize("equity", [0.0, -5.0, math.nan, math.inf])
def test_budget_is_zero_for_unusable_equity(engine: RiskEngine, equity: float) -> None:
    b = engine.risk_budget(RiskState(equity))
    assert b.pct == 0.0 and b.code == "invalid_equity"


def test_budget_is_zero_for_nan_state(engine: RiskEngine) -> None:
    assert engine.risk_budget(RiskState(1_000.0, daily_pnl_pct=math.nan)).code == "invalid_state"


# ---------------------------------------------------------------------- sizing
def test_atr_stop_size(engine: RiskEngine) -> None:
    r = engine.size_position(signal(), 100.0, RiskState(10_000.0), 2.0, BTC)
    # stop 100 - 2 * 1.2 = 97.6; 80 / 2.4 = 33.333.. -> 33.333 after the 0.001 lot step
    assert r.ok and r.stop_source == "atr"
    assert r.stop_price == pytest.approx(97.6)
    assert r.qty == pytest.approx(33.333)
    assert r.risk_amount == pytest.approx(33.333 * 2.4)
    assert r.notional == pytest.approx(3333.3)
    assert r.side is Side.BUY and r.budget_pct == pytest.approx(0.008)


def test_short_with_stop_hint_and_take(engine: RiskEngine) -> None:
    r = engine.size_position(signal(Side.SELL, stop=104.0, take=90.0), 100.0,
                             RiskState(10_000.0), None, BTC)
    assert r.ok and r.stop_source == "hint" and r.stop_price == pytest.approx(104.0)
    assert r.take_price == 90.0
    assert r.qty == pytest.approx(20.0)


def test_fixed_percent_stop(engine: RiskEngine) -> None:
    r = engine.size_position(signal(), 200.0, RiskState(10_000.0), None, BTC, fixed_stop_pct=0.02)
    assert r.ok and r.stop_source == "fixed" and r.stop_price == pytest.approx(196.0)
    assert r.qty == pytest.approx(20.0)


def test_stop_rounded_away_from_entry(engine: RiskEngine) -> None:
    r = engine.size_position(signal(stop=97.63), 100.0, RiskState(10_000.0), None, BTC)
    assert r.stop_price == pytest.approx(97.6)
    s = engine.size_position(signal(Side.SELL, stop=102.41), 100.0, RiskState(10_000.0), None, BTC)
    assert s.stop_price == pytest.approx(102.5)


def test_contract_size_is_part_of_the_risk(engine: RiskEngine) -> None:
    sig = signal(entry=1.1, stop=1.09, symbol="EURUSD")
    r = engine.size_position(sig, 1.1, RiskState(10_000.0), None, EURUSD)
    # 100 pips on 100k units = 1000 USD a lot; 80 USD budget -> 0.08 lot
    assert r.ok and r.stop_price == 1.09 and r.qty == pytest.approx(0.08)
    assert r.risk_amount == pytest.approx(80.0)
    assert r.notional == pytest.approx(0.08 * 110_000.0)
    # A 10-pip stop would want 0.8 lot (88k notional): the 3x leverage cap keeps it at 0.27.
    tight = engine.size_position(signal(entry=1.1, stop=1.099, symbol="EURUSD"), 1.1,
                                 RiskState(10_000.0), None, EURUSD)
    assert tight.stop_price == 1.099 and tight.qty == pytest.approx(0.27)


def test_leverage_cap_limits_a_tight_stop(engine: RiskEngine) -> None:
    r = engine.size_position(signal(stop=99.9), 100.0, RiskState(10_000.0), None, BTC)
    assert r.ok and r.notional == pytest.approx(30_000.0)
    assert r.risk_pct < 0.008
    r2 = engine.size_position(signal(stop=99.9), 100.0, RiskState(10_000.0), None, BTC,
                              gross_exposure=25_000.0)
    assert r2.notional == pytest.approx(5_000.0)
    r3 = engine.size_position(signal(stop=99.9), 100.0, RiskState(10_000.0), None, BTC,
                              gross_exposure=30_000.0)
    assert r3.code == "leverage_cap" and not r3.ok


def test_instrument_leverage_below_governance_wins(engine: RiskEngine) -> None:
    low = InstrumentSpec("X", "v", "index", 0.1, 0.001, 0.001, max_leverage=1.0)
    r = engine.size_position(signal(stop=99.9, symbol="X"), 100.0, RiskState(10_000.0), None, low)
    assert r.notional == pytest.approx(10_000.0)


def test_kelly_uses_the_strategys_measured_edge_not_its_confidence(engine: RiskEngine) -> None:
    # confidence alone never caps: 0.3 with a 1:1 take used to read as "no edge"
    free = engine.size_position(signal(stop=98.0, take=102.0, confidence=0.3), 100.0,
                                RiskState(10_000.0), None, BTC)
    assert free.ok and free.risk_pct == pytest.approx(0.008)
    # measured p = 0.4, payoff 2R -> f* = 0.4 - 0.6 / 2 = 0.1; quarter Kelly 2.5 % > budget
    ok = engine.size_position(signal(stop=98.0), 100.0, RiskState(10_000.0), None, BTC,
                              edge=(0.4, 2.0, 30))
    assert ok.ok and ok.risk_pct == pytest.approx(0.008)
    # p = 0.35, 2R -> f* = 0.025; quarter = 0.625 %
    capped = engine.size_position(signal(stop=98.0), 100.0, RiskState(10_000.0), None, BTC,
                                  edge=(0.35, 2.0, 30))
    assert capped.risk_pct == pytest.approx(0.00625, rel=1e-3)
    neg = engine.size_position(signal(stop=98.0), 100.0, RiskState(10_000.0), None, BTC,
                               edge=(0.3, 1.0, 25))
    assert neg.code == "negative_edge" and "last 25 trades" in (neg.rejected or "")


def test_strategy_edge_needs_its_own_record() -> None:
    from types import SimpleNamespace as T

    from ats.risk.edge import strategy_edge

    def tr(s: str, r: float | None, ts: int = 10**12) -> T:
        return T(strategy=s, r_multiple=r, closed_ts=ts)

    few = [tr("a", 1.0)] * 19
    assert strategy_edge(few, "a") is None
    rec = [tr("a", 2.0)] * 8 + [tr("a", -1.0)] * 12 + [tr("b", 5.0)] * 50 + [tr("a", None)] * 5
    p, payoff, n = strategy_edge(rec, "a", now_ms=10**12)
    assert (p, payoff, n) == (pytest.approx(0.4), pytest.approx(2.0), 20)
    # a month later the record has aged out: no Kelly cap, the strategy may trade again
    assert strategy_edge(rec, "a", now_ms=10**12 + 31 * 86_400_000) is None


def test_costs_are_part_of_the_risk_at_the_stop(engine: RiskEngine) -> None:
    from ats.risk.edge import round_trip_cost

    # entry 100, stop 98: 2.00 distance; spread 0.10, fee 5 bp + slippage 1 bp per side on
    # 100 and 98 -> 0.10 + 198 x 0.0006 = 0.2188 per unit; 80 / 2.2188 = 36.055 -> 36.055
    cost = round_trip_cost(100.0, 98.0, 0.10, 0.0005, 1.0)
    assert cost == pytest.approx(0.2188)
    r = engine.size_position(signal(stop=98.0), 100.0, RiskState(10_000.0), None, BTC,
                             cost_per_unit=cost)
    assert r.qty == pytest.approx(36.055)
    assert r.risk_amount == pytest.approx(36.055 * 2.2188) and r.risk_amount <= 80.0


def test_below_the_minimum_lot_says_what_the_minimum_would_risk(engine: RiskEngine) -> None:
    r = engine.size_position(signal(symbol="EURUSD", entry=1.085, stop=1.075), 1.085,
                             RiskState(300.0), None, EURUSD)
    assert r.code == "below_min_qty"
    # 0.01 lot x 100,000 x 0.010 = 10.00 at risk; the budget is 0.8 % of 300 = 2.40
    assert "the minimum risks 10.00" in r.rejected and "= 2.40" in r.rejected


def test_kelly_can_be_switched_off() -> None:
    gov = Governance(risk=RiskLimits(kelly_cap=False))
    eng = RiskEngine(RiskSettings.from_governance(gov))
    r = eng.size_position(signal(stop=98.0, take=101.0, confidence=0.3), 100.0,
                          RiskState(10_000.0), None, BTC)
    assert r.ok


def test_confidence_multiplier_range_is_honoured_up_to_the_ceiling(engine: RiskEngine) -> None:
    half = engine.size_position(signal(stop=98.0), 100.0, RiskState(10_000.0), None, BTC,
                                confidence_mult=0.5)
    top = engine.size_position(signal(stop=98.0), 100.0, RiskState(10_000.0), None, BTC,
                               confidence_mult=1.25)
    more = engine.size_position(signal(stop=98.0), 100.0, RiskState(10_000.0), None, BTC,
                                confidence_mult=3.0)
    assert half.risk_pct == pytest.approx(0.004)
    assert top.risk_pct == pytest.approx(0.010)  # 1.25 x 0.8 % = the 1.0 % maximum
    assert more.risk_pct == pytest.approx(0.010)  # never past max_risk_per_trade
    # a budget cut for a losing streak is not raised back by a multiplier
    cut = engine.size_position(signal(stop=98.0), 100.0, RiskState(10_000.0, loss_streak=3),
                               None, BTC, confidence_mult=1.25)
    assert cut.risk_pct == pytest.approx(0.004)
    zero = engine.size_position(signal(stop=98.0), 100.0, RiskState(10_000.0), None, BTC,
                                confidence_mult=0.0)
    assert zero.code == "no_budget"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"entry_price": 0.0}, "invalid_price"),
        ({"entry_price": math.nan}, "invalid_price"),
        ({"state": RiskState(-1.0)}, "invalid_equity"),
        ({"atr": math.nan}, "invalid_atr"),
        ({"atr": -1.0}, "invalid_atr"),
        ({"atr": None}, "no_stop"),
        ({"sig": signal(stop=101.0)}, "bad_stop"),
        ({"sig": signal(is_exit=True)}, "exit_signal"),
        ({"state": RiskState(10_000.0, trailing_dd_pct=-0.04)}, "kill_switch"),
        ({"state": RiskState(100.0)}, "below_min_qty"),
        ({"atr": 90.0}, "bad_stop"),
        ({"gross_exposure": math.nan}, "invalid_param"),
        ({"fixed": 1.5}, "invalid_param"),
    ],
)
def test_rejections_carry_a_reason(engine: RiskEngine, kwargs: dict, code: str) -> None:
    args = {"sig": signal(), "entry_price": 100.0, "state": RiskState(10_000.0), "atr": 2.0,
            "gross_exposure": 0.0, "fixed": None}
    args.update(kwargs)
    if code == "below_min_qty":
        args["atr"] = 2.0
        inst = InstrumentSpec("BTC/USDT:USDT", "mock", "crypto_perp", 0.1, 0.001, min_qty=1.0)
    else:
        inst = BTC
    r = engine.size_position(args["sig"], args["entry_price"], args["state"], args["atr"], inst,
                             gross_exposure=args["gross_exposure"], fixed_stop_pct=args["fixed"])
    assert not r.ok and r.code == code
    assert r.rejected and r.qty == 0.0 and r.risk_amount == 0.0


def test_trade_plan_from_sizing(engine: RiskEngine) -> None:
    sig = signal(stop=98.0, take=106.0)
    r = engine.size_position(sig, 100.0, RiskState(10_000.0), None, BTC)
    plan = TradePlan.from_sizing(sig, r, 100.0)
    assert (plan.qty, plan.stop, plan.take, plan.strategy) == (r.qty, 98.0, 106.0, "trend")
    assert plan.risk_amount == r.risk_amount and plan.timeframe == "1h"
    half = plan.scaled(plan.qty / 2)
    assert half.risk_amount == pytest.approx(plan.risk_amount / 2)
    with pytest.raises(ValueError, match="rejected"):
        TradePlan.from_sizing(sig, SizingResult.reject("x", "no"), 100.0)
    with pytest.raises(ValueError):
        plan.scaled(plan.qty * 2)
