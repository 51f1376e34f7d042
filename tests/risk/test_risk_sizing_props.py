"""Properties of sizing that must hold for every input, not just the worked examples."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ats.domain import InstrumentSpec, Side, StrategySignal
from ats.risk import RiskEngine, RiskSettings, RiskState, floor_to_step, round_stop
from ats.risk.engine import QTY_TOLERANCE

PROPS = settings(max_examples=300, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow])
ENGINE = RiskEngine(RiskSettings())
REL = 1e-9 + QTY_TOLERANCE  # float noise plus the documented lot-rounding tolerance

pos = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)
steps = st.sampled_from([1e-8, 1e-5, 0.001, 0.01, 0.1, 1.0, 5.0, 100.0])
bad = st.sampled_from([0.0, -1.0, -1e9, math.nan, math.inf, -math.inf])


@st.composite
def instruments(draw: st.DrawFn) -> InstrumentSpec:
    lot = draw(steps)
    return InstrumentSpec(
        "SYM", "v", "x",
        tick_size=draw(st.sampled_from([1e-5, 0.01, 0.1, 1.0])),
        lot_step=lot,
        min_qty=lot * draw(st.integers(1, 10)),
        contract_size=draw(st.sampled_from([1.0, 0.01, 10.0, 100_000.0])),
        max_leverage=draw(st.sampled_from([1.0, 3.0, 100.0])),
    )


@st.composite
def states(draw: st.DrawFn) -> RiskState:
    return RiskState(
        equity=draw(st.floats(10.0, 1e8)),
        daily_pnl_pct=draw(st.floats(-0.03, 0.03)),
        trailing_dd_pct=draw(st.floats(-0.05, 0.0)),
        open_risk_pct=draw(st.floats(0.0, 0.04)),
        loss_streak=draw(st.integers(0, 6)),
        vol_quantile=draw(st.none() | st.floats(0.0, 1.0)),
        risk_cap_pct=draw(st.none() | st.floats(0.0, 0.05)),
    )


def sig(side: Side, entry: float, stop: float | None, take: float | None,
        conf: float) -> StrategySignal:
    return StrategySignal("s", "SYM", "1h", side, entry, stop, conf, "p", 0, take_hint=take)


@PROPS
@given(
    inst=instruments(), state=states(), side=st.sampled_from(list(Side)), entry=pos,
    atr_frac=st.floats(1e-4, 0.5), stop_frac=st.none() | st.floats(1e-4, 0.5),
    take_frac=st.none() | st.floats(1e-4, 2.0), conf=st.floats(0.0, 1.0),
    cmult=st.floats(0.0, 2.0), gross_frac=st.floats(0.0, 4.0),
)
def test_size_never_breaks_budget_leverage_or_lot(
    inst: InstrumentSpec, state: RiskState, side: Side, entry: float, atr_frac: float,
    stop_frac: float | None, take_frac: float | None, conf: float, cmult: float,
    gross_frac: float,
) -> None:
    stop = None if stop_frac is None else entry * (1 - side.sign * stop_frac)
    take = None if take_frac is None else entry * (1 + side.sign * take_frac)
    gross = gross_frac * state.equity
    r = ENGINE.size_position(sig(side, entry, stop, take, conf), entry, state, entry * atr_frac,
                             inst, confidence_mult=cmult, gross_exposure=gross)
    b = ENGINE.risk_budget(state)
    # the confidence multiplier scales the budget, never above its ceiling (the governance
    # maximum and the room under the locks and the portfolio cap)
    allowed = min(b.pct * cmult, b.ceiling_pct if b.ceiling_pct > 0 else b.pct)
    if not r.ok:
        assert r.rejected and r.code and r.qty == 0.0 and r.risk_amount == 0.0
        return
    assert r.side is side
    assert r.qty >= inst.min_qty
    # never more than the budget times the multiplier, up to the ceiling (nor the maximum)
    assert r.risk_amount <= state.equity * allowed * (1 + REL) + 1e-12
    assert r.risk_pct <= ENGINE.settings.max_risk_per_trade * (1 + REL)
    # leverage cap over the existing exposure
    lev = min(ENGINE.settings.leverage_cap, inst.max_leverage)
    assert gross + r.notional <= lev * state.equity * (1 + REL) + 1e-9
    # a whole number of lot steps, stop on the losing side
    k = r.qty / inst.lot_step
    assert abs(k - round(k)) < 1e-6 * max(1.0, k)
    assert r.stop_price is not None
    assert (r.stop_price < entry) if side is Side.BUY else (r.stop_price > entry)
    # the reported risk is the distance to the reported stop
    expected = r.qty * abs(entry - r.stop_price) * inst.contract_size
    assert math.isclose(r.risk_amount, expected, rel_tol=1e-9)


@PROPS
@given(inst=instruments(), value=bad, which=st.sampled_from(["equity", "atr", "price"]),
       side=st.sampled_from(list(Side)))
def test_unusable_inputs_are_rejected_not_raised(
    inst: InstrumentSpec, value: float, which: str, side: Side,
) -> None:
    equity, atr, price = 50_000.0, 1.0, 100.0
    if which == "equity":
        equity = value
    elif which == "atr":
        atr = value
    else:
        price = value
    r = ENGINE.size_position(sig(side, 100.0, None, None, 0.5), price, RiskState(equity), atr,
                             inst)
    assert not r.ok
    assert r.qty == 0.0 and r.rejected and which.split("_")[0] in r.rejected.lower()


@PROPS
@given(qty=st.floats(0.0, 1e9), step=steps)
def test_floor_to_step_never_rounds_up(qty: float, step: float) -> None:
    q = floor_to_step(qty, step)
    assert 0.0 <= q <= qty
    assert qty - q < step * (1 + 1e-9) or qty / step > 1e15
    k = q / step
    assert abs(k - round(k)) < 1e-6 * max(1.0, k)


@PROPS
@given(x=bad, step=steps)
def test_floor_to_step_of_nonsense_is_zero(x: float, step: float) -> None:
    assert floor_to_step(x, step) == 0.0
    assert floor_to_step(1.0, x) == 0.0


@PROPS
@given(stop=st.floats(1e-3, 1e6), tick=st.sampled_from([1e-5, 0.01, 0.25, 1.0]),
       side=st.sampled_from(list(Side)))
def test_stop_rounding_only_widens(stop: float, tick: float, side: Side) -> None:
    r = round_stop(stop, side, tick)
    if side is Side.BUY:
        assert r <= stop and stop - r < tick * (1 + 1e-6)
    else:
        assert r >= stop and r - stop < tick * (1 + 1e-6)
