"""Properties of the portfolio controller over random fill, mark and plan sequences."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ats.config.models import CorrelationLimits, Governance
from ats.domain import Fill, InstrumentSpec, Side
from ats.portfolio import PortfolioController, TradePlan, safe_mode_cap
from ats.risk import RiskEngine, RiskSettings, RiskState

PROPS = settings(max_examples=150, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow])
T0 = 1_767_571_200_000
SYMBOLS = ("A", "B", "C")
SIZES = {"A": 1.0, "B": 10.0, "C": 0.5}

fill_ops = st.tuples(
    st.sampled_from(["fill", "mark"]),
    st.sampled_from(SYMBOLS),
    st.sampled_from(list(Side)),
    st.integers(1, 50).map(lambda n: n * 0.1),  # qty on a 0.1 lot grid
    st.floats(10.0, 200.0),  # price
    st.floats(0.0, 2.0),  # fee
    st.integers(0, 6 * 3_600_000),  # time step
)


def _instruments() -> dict[str, InstrumentSpec]:
    return {s: InstrumentSpec(s, "t", "x", 0.01, 0.1, 0.1, contract_size=cs)
            for s, cs in SIZES.items()}


@PROPS
@given(ops=st.lists(fill_ops, min_size=1, max_size=40))
def test_pnl_accounting_is_consistent_across_fills_and_flips(ops: list) -> None:
    start = 100_000.0
    pc = PortfolioController(Governance(), start, instruments=_instruments())
    # Independent cash model: money out for buys, in for sells, fees out; holdings at marks.
    cash = start
    marks: dict[str, float] = {}
    held: dict[str, float] = {s: 0.0 for s in SYMBOLS}
    ts = T0
    for i, (kind, sym, side, qty, price, fee, dt) in enumerate(ops):
        ts += dt
        if kind == "fill":
            stop = price * (0.9 if side is Side.BUY else 1.1)
            pc.apply_fill(Fill(f"f{i}", f"o{i}", sym, side, qty, price, fee, ts), stop=stop)
            cash -= side.sign * qty * price * SIZES[sym] + fee
            held[sym] += side.sign * qty
            marks.setdefault(sym, price)
            if abs(held[sym]) < 1e-9:
                held[sym] = 0.0
        else:
            pc.mark_to_market({sym: price}, ts)
            marks[sym] = price
        holdings = sum(held[s] * marks.get(s, 0.0) * SIZES[s] for s in SYMBOLS)
        scale = 1e-9 * (start + sum(abs(h) * 200 * SIZES[s] for s, h in held.items()))
        assert math.isclose(pc.realized_pnl + pc.unrealized_pnl - pc.fees_paid,
                            pc.equity - start, abs_tol=scale)
        assert math.isclose(pc.equity, cash + holdings, abs_tol=1e-6 * start)
        assert math.isclose(pc.balance + pc.unrealized_pnl, pc.equity, abs_tol=scale)
        for s in SYMBOLS:
            q = pc.positions[s].qty if s in pc.positions else 0.0
            assert math.isclose(q, held[s], abs_tol=1e-9)
    # Realized PnL is exactly what closed trades made plus what open trades have banked.
    closed_gross = sum(t.gross_pnl for t in pc.closed_trades)
    open_banked = sum(p.realized_pnl for p in pc.positions.values())
    assert math.isclose(closed_gross + open_banked, pc.realized_pnl, abs_tol=1e-6 * start)
    for t in pc.closed_trades:
        assert math.isclose(t.pnl, t.gross_pnl - t.fees, abs_tol=1e-9) and t.fees >= 0


plan_ops = st.tuples(
    st.sampled_from(["plan", "fill", "corr", "mark"]),
    st.sampled_from(SYMBOLS),
    st.sampled_from(list(Side)),
    st.floats(0.1, 500.0),  # qty
    st.floats(0.001, 0.2),  # stop distance as a fraction of entry
    st.floats(0.0, 1.0),  # correlation for "corr"
)


@PROPS
@given(ops=st.lists(plan_ops, min_size=1, max_size=40),
       action=st.sampled_from(["reduce", "block"]))
def test_portfolio_risk_never_exceeds_its_cap(ops: list, action: str) -> None:
    gov = Governance(correlation=CorrelationLimits(safe_mode_action=action))  # type: ignore[arg-type]
    pc = PortfolioController(gov, 50_000.0, instruments=_instruments())
    rng = np.random.default_rng(0)
    base = rng.normal(size=100)
    noise = rng.normal(size=100)
    ts = T0
    for kind, sym, side, qty, dist, rho in ops:
        ts += 60_000
        if kind == "plan":
            entry = 100.0
            stop = entry * (1 - side.sign * dist)
            risk = qty * entry * dist * SIZES[sym]
            plan = TradePlan(sym, side, qty, entry, stop, None, risk, risk / pc.equity,
                             qty * entry * SIZES[sym])
            decision = pc.can_allocate(plan)
            saturated = pc.current_risk >= pc.risk_cap_pct
            if decision.ok:
                assert not saturated or risk == 0
                pc.add_pending(plan)
                assert pc.current_risk <= pc.risk_cap_pct * (1 + 1e-9) + 1e-12
                assert pc.gross_exposure <= 3.0 * pc.equity * (1 + 1e-9)
            elif decision.max_qty:
                assert decision.max_qty < qty
                smaller = plan.scaled(decision.max_qty)
                assert pc.can_allocate(smaller).ok
        elif kind == "fill":
            # A pending plan fills at its entry with no fee: risk moves from plan to position.
            fresh = [p for p in pc.pending if p.symbol not in pc.positions]
            if not fresh:
                continue
            p = fresh[0]
            before = pc.current_risk
            assert pc.remove_pending(p)
            pc.apply_fill(Fill("f", "o", p.symbol, p.side, p.qty, p.entry, 0.0, ts), stop=p.stop)
            assert pc.current_risk <= before * (1 + 1e-9) + 1e-12
        elif kind == "corr":
            b = rho * base + math.sqrt(max(0.0, 1 - rho**2)) * noise
            cap_before = pc.risk_cap_pct
            pc.update_correlation({"A": base, "B": b})
            assert pc.risk_cap_pct <= gov.risk.max_portfolio_risk
            if pc.safe_mode:
                assert pc.risk_cap_pct < gov.risk.max_portfolio_risk
            else:
                assert pc.risk_cap_pct == gov.risk.max_portfolio_risk >= cap_before


@PROPS
@given(rho=st.floats(0.0, 1.0), rho2=st.floats(0.0, 1.0), thr=st.floats(0.05, 1.0),
       cap=st.floats(0.001, 0.25), action=st.sampled_from(["reduce", "block"]))
def test_safe_mode_never_raises_risk(rho: float, rho2: float, thr: float, cap: float,
                                     action: str) -> None:
    c1 = safe_mode_cap(cap, rho, thr, action)  # type: ignore[arg-type]
    c2 = safe_mode_cap(cap, rho2, thr, action)  # type: ignore[arg-type]
    assert 0.0 <= c1 <= cap and 0.0 <= c2 <= cap
    if rho <= rho2:
        assert c2 <= c1  # more correlation never gives more room
    if rho >= thr:
        assert c1 <= cap * 0.5
    # ... and the risk engine's budget under it is never larger either.
    eng = RiskEngine(RiskSettings(max_portfolio_risk=cap))
    pc_state = dict(equity=10_000.0, open_risk_pct=cap * 0.2)
    with_safe = eng.risk_budget_pct(RiskState(**pc_state, risk_cap_pct=c1))
    without = eng.risk_budget_pct(RiskState(**pc_state))
    assert with_safe <= without
