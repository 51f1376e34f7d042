"""Portfolio controller: accounting, day boundary, trailing drawdown, safe mode, allocation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ats.config.models import CorrelationLimits, Governance
from ats.domain import Fill, InstrumentSpec, Position, Side
from ats.portfolio import EquitySnapshot, PortfolioController, TradePlan
from ats.risk import RiskEngine, RiskSettings

HOUR = 3_600_000
DAY = 24 * HOUR
T0 = 1_767_571_200_000  # 2026-01-05 00:00:00 UTC


def fill(side: Side, qty: float, price: float, ts: int = T0, *, symbol: str = "BTC",
         fee: float = 0.0, fid: str = "f") -> Fill:
    return Fill(fid, "o-" + fid, symbol, side, qty, price, fee, ts)


def plan(symbol: str = "ETH", qty: float = 10.0, entry: float = 100.0, stop: float = 98.0,
         side: Side = Side.BUY) -> TradePlan:
    risk = qty * abs(entry - stop)
    return TradePlan(symbol, side, qty, entry, stop, None, risk, risk / 10_000.0, qty * entry)


@pytest.fixture
def pc() -> PortfolioController:
    return PortfolioController(Governance(), 10_000.0)


# ---------------------------------------------------------------------- accounting
def test_buy_mark_partial_close_and_flip(pc: PortfolioController) -> None:
    pc.apply_fill(fill(Side.BUY, 2.0, 100.0, fee=0.2), stop=95.0)
    pos = pc.positions["BTC"]
    assert pos.qty == 2.0 and pos.entry_price == 100.0 and pos.stop == 95.0
    pc.mark_to_market({"BTC": 110.0}, T0 + 1000)
    assert pc.unrealized_pnl == pytest.approx(20.0)
    assert pc.equity == pytest.approx(10_019.8) and pc.balance == pytest.approx(9_999.8)
    pc.apply_fill(fill(Side.BUY, 2.0, 110.0, T0 + 2000, fid="g"))
    assert pc.positions["BTC"].entry_price == pytest.approx(105.0)
    pc.apply_fill(fill(Side.SELL, 1.0, 115.0, T0 + 3000, fee=0.1, fid="h"))
    assert pc.realized_pnl == pytest.approx(10.0)
    assert pc.positions["BTC"].qty == pytest.approx(3.0)
    assert pc.positions["BTC"].realized_pnl == pytest.approx(10.0)
    assert pc.closed_trades == []
    # Sell 5 from long 3: closes at 90 (-45) and opens short 2 at 90 with its own stop.
    pc.apply_fill(fill(Side.SELL, 5.0, 90.0, T0 + 4000, fee=0.5, fid="i"), stop=93.0)
    assert pc.realized_pnl == pytest.approx(10.0 - 45.0)
    short = pc.positions["BTC"]
    assert short.qty == pytest.approx(-2.0) and short.entry_price == 90.0 and short.stop == 93.0
    (trade,) = pc.closed_trades
    assert trade.side is Side.BUY and trade.qty == pytest.approx(4.0)
    assert trade.entry_price == pytest.approx(105.0) and trade.exit_price == pytest.approx(
        (115.0 + 3 * 90.0) / 4)
    assert trade.fees == pytest.approx(0.2 + 0.1 + 0.3)
    assert trade.gross_pnl == pytest.approx(-35.0) and trade.pnl == pytest.approx(-35.6)
    # initial risk: 2 @ 100 to 95 (10) + 2 @ 110 to 95 (30) = 40
    assert trade.initial_risk == pytest.approx(40.0)
    assert trade.r_multiple == pytest.approx(-35.6 / 40.0)
    assert pc.loss_streak == 1
    assert pc.fees_paid == pytest.approx(0.8)
    assert pc.realized_pnl + pc.unrealized_pnl - pc.fees_paid == pytest.approx(
        pc.equity - 10_000.0)


def test_loss_streak_counts_and_resets(pc: PortfolioController) -> None:
    ts = T0
    for i, exit_price in enumerate([99.0, 98.0, 97.0]):
        pc.apply_fill(fill(Side.BUY, 1.0, 100.0, ts, fid=f"b{i}"), stop=95.0)
        pc.apply_fill(fill(Side.SELL, 1.0, exit_price, ts + 1, fid=f"s{i}"))
        ts += 10
    assert pc.loss_streak == 3
    assert pc.risk_state().loss_streak == 3
    pc.apply_fill(fill(Side.SELL, 1.0, 100.0, ts, fid="x"), stop=105.0)
    pc.apply_fill(fill(Side.BUY, 1.0, 90.0, ts + 1, fid="y"))
    assert pc.loss_streak == 0
    assert pc.closed_trades[-1].r_multiple == pytest.approx(2.0)


def test_trade_without_stop_has_no_r(pc: PortfolioController) -> None:
    pc.apply_fill(fill(Side.BUY, 1.0, 100.0))
    pc.apply_fill(fill(Side.SELL, 1.0, 101.0, fid="z"))
    assert pc.closed_trades[0].r_multiple is None and pc.closed_trades[0].pnl == 1.0


def test_contract_size_scales_pnl_and_exposure() -> None:
    eur = InstrumentSpec("EURUSD", "mt5", "fx", 1e-5, 0.01, 0.01, contract_size=100_000.0)
    pc = PortfolioController(Governance(), 10_000.0, instruments={"EURUSD": eur})
    pc.apply_fill(fill(Side.BUY, 0.1, 1.1, symbol="EURUSD"), stop=1.09)
    pc.mark_to_market({"EURUSD": 1.102}, T0 + 1)
    assert pc.unrealized_pnl == pytest.approx(20.0)
    assert pc.gross_exposure == pytest.approx(11_020.0)
    assert pc.open_risk == pytest.approx(100.0)


@pytest.mark.parametrize(
    "bad", [fill(Side.BUY, 0.0, 100.0), fill(Side.BUY, 1.0, math.nan), fill(Side.BUY, -1, 1.0),
            fill(Side.BUY, 1.0, 100.0, fee=math.inf)],
)
def test_bad_fill_is_refused_and_changes_nothing(pc: PortfolioController, bad: Fill) -> None:
    pc.apply_fill(fill(Side.BUY, 1.0, 100.0, fid="ok"), stop=90.0)
    before = (pc.equity, pc.fees_paid, pc.positions)
    with pytest.raises(ValueError, match="unusable"):
        pc.apply_fill(bad)
    assert (pc.equity, pc.fees_paid, pc.positions) == before


def test_snapshots_are_emitted_on_fill_and_mark() -> None:
    seen: list[EquitySnapshot] = []
    pc = PortfolioController(Governance(), 1_000.0, on_equity=seen.append)
    pc.apply_fill(fill(Side.BUY, 1.0, 100.0, fee=1.0))
    pc.mark_to_market({"BTC": 90.0}, T0 + 5)
    assert [s.ts for s in seen] == [T0, T0 + 5]
    last = seen[-1]
    assert last == pc.last_snapshot
    assert last.equity == pytest.approx(989.0) and last.unrealized == pytest.approx(-10.0)
    assert last.balance == pytest.approx(999.0) and last.fees == pytest.approx(1.0)
    assert last.drawdown_pct == pytest.approx(989.0 / 999.0 - 1)


def test_bad_mark_keeps_the_previous_price(pc: PortfolioController) -> None:
    pc.apply_fill(fill(Side.BUY, 1.0, 100.0))
    pc.mark_to_market({"BTC": 105.0}, T0 + 1)
    pc.mark_to_market({"BTC": math.nan, "ETH": -1.0}, T0 + 2)
    assert pc.unrealized_pnl == pytest.approx(5.0)
    assert set(pc.bad_prices) == {"BTC", "ETH"}
    pc.mark_to_market({"BTC": 106.0}, T0 + 3)
    assert pc.bad_prices == {} and pc.unrealized_pnl == pytest.approx(6.0)


def test_starting_equity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="starting equity"):
        PortfolioController(Governance(), math.nan)


# ---------------------------------------------------------------------- day and drawdown
def test_daily_pnl_resets_at_the_utc_boundary(pc: PortfolioController) -> None:
    pc.apply_fill(fill(Side.BUY, 10.0, 100.0, T0 + 20 * HOUR))
    pc.mark_to_market({"BTC": 90.0}, T0 + 23 * HOUR)
    assert pc.daily_pnl_pct == pytest.approx(-0.01)
    # first mark of the next day: baseline is the last equity of the previous day (9 900)
    pc.mark_to_market({"BTC": 91.0}, T0 + DAY + 5_000)
    assert pc.day_start_equity == pytest.approx(9_900.0)
    assert pc.daily_pnl_pct == pytest.approx(10.0 / 9_900.0)
    pc.mark_to_market({"BTC": 92.0}, T0 + DAY + 2 * HOUR)
    assert pc.daily_pnl_pct == pytest.approx(20.0 / 9_900.0)


def test_reset_day_by_hand(pc: PortfolioController) -> None:
    pc.apply_fill(fill(Side.BUY, 10.0, 100.0))
    pc.mark_to_market({"BTC": 95.0}, T0 + HOUR)
    pc.reset_day(T0 + HOUR)
    assert pc.daily_pnl_pct == 0.0 and pc.day_start_equity == pytest.approx(9_950.0)


def test_trailing_drawdown_forgets_peaks_older_than_the_window(pc: PortfolioController) -> None:
    pc.apply_fill(fill(Side.BUY, 10.0, 100.0))
    pc.mark_to_market({"BTC": 120.0}, T0 + HOUR)  # peak 10 200
    pc.mark_to_market({"BTC": 100.0}, T0 + 2 * HOUR)
    assert pc.trailing_dd_pct == pytest.approx(10_000 / 10_200 - 1)
    pc.mark_to_market({"BTC": 101.0}, T0 + 70 * HOUR)
    assert pc.trailing_dd_pct == pytest.approx(10_010 / 10_200 - 1)
    # 73 h after the peak it has left the 72 h window; the highest since is 10 010
    pc.mark_to_market({"BTC": 100.0}, T0 + 74 * HOUR)
    assert pc.trailing_dd_pct == pytest.approx(10_000 / 10_010 - 1)
    assert max(eq for _, eq in pc.peak_history) == pytest.approx(10_010.0)


def test_kill_switch_and_daily_lock_refuse_allocation(pc: PortfolioController) -> None:
    pc.apply_fill(fill(Side.BUY, 10.0, 100.0, T0 + HOUR))
    pc.mark_to_market({"BTC": 98.0}, T0 + 2 * HOUR)  # -0.2 % only
    assert pc.can_allocate(plan()).ok
    pc.mark_to_market({"BTC": 80.0}, T0 + 3 * HOUR)  # -2 % on the day
    d = pc.can_allocate(plan())
    assert not d.ok and d.code == "daily_lock" and d.max_qty is None
    pc.mark_to_market({"BTC": 80.0}, T0 + DAY + HOUR)  # new day: lock lifts, DD is -2 %
    assert pc.can_allocate(plan()).ok
    pc.mark_to_market({"BTC": 70.0}, T0 + DAY + 2 * HOUR)  # -3 % trailing
    pc.mark_to_market({"BTC": 70.0}, T0 + 2 * DAY + HOUR)
    pc.mark_to_market({"BTC": 64.0}, T0 + 2 * DAY + 2 * HOUR)  # -3.6 % from the 10 000 peak
    k = pc.can_allocate(plan())
    assert not k.ok and k.code == "kill_switch"


# ---------------------------------------------------------------------- allocation
def test_pending_plans_count_towards_risk_and_exposure(pc: PortfolioController) -> None:
    pc.add_pending(plan("ETH", 50.0, 100.0, 98.0))  # risk 100 = 1 %
    pc.add_pending(plan("SOL", 50.0, 100.0, 102.0, side=Side.SELL))
    assert pc.current_risk == pytest.approx(0.02)
    assert pc.gross_exposure_pct == pytest.approx(1.0)
    assert pc.net_exposure_pct == pytest.approx(0.0)
    pc.clear_pending("ETH")
    assert pc.current_risk == pytest.approx(0.01) and len(pc.pending) == 1
    pc.clear_pending()
    assert pc.current_risk == 0.0
    with pytest.raises(ValueError):
        pc.add_pending(plan(qty=math.nan))


def test_refusal_above_risk_cap_offers_the_largest_fit() -> None:
    eth = InstrumentSpec("ETH", "m", "crypto_perp", 0.01, 0.1, 0.1)
    pc = PortfolioController(Governance(), 10_000.0, instruments={"ETH": eth})
    pc.add_pending(plan("BTC", 125.0, 100.0, 98.0))  # 250 = 2.5 %
    d = pc.can_allocate(plan("ETH", 50.0, 100.0, 98.0))  # 1 % more > 3 %
    assert not d.ok and d.code == "risk_cap" and "cap 3.00%" in d.reason
    assert d.max_qty == pytest.approx(25.0)
    assert pc.can_allocate(plan("ETH", 25.0, 100.0, 98.0)).ok


def test_refusal_above_leverage_cap(pc: PortfolioController) -> None:
    pc.add_pending(plan("BTC", 250.0, 100.0, 99.9))  # 25 000 notional
    d = pc.can_allocate(plan("ETH", 100.0, 100.0, 99.9))
    assert not d.ok and d.code == "leverage_cap" and d.max_qty == pytest.approx(50.0)


def test_position_without_stop_counts_as_full_trade_and_trailing_stop_frees_it(
    pc: PortfolioController,
) -> None:
    pc.apply_fill(fill(Side.BUY, 1.0, 100.0))
    assert pc.open_risk == pytest.approx(0.01 * pc.equity)
    pc.set_stops("BTC", stop=95.0, take=120.0)
    assert pc.open_risk == pytest.approx(5.0) and pc.positions["BTC"].take == 120.0
    pc.set_stops("BTC", stop=101.0)
    assert pc.open_risk == 0.0
    with pytest.raises(KeyError):
        pc.set_stops("NOPE", stop=1.0)


def test_invalid_plan_is_refused_with_reason(pc: PortfolioController) -> None:
    d = pc.can_allocate(plan(qty=-1.0))
    assert not d.ok and d.code == "invalid_plan" and "qty" in d.reason


# ---------------------------------------------------------------------- correlation
def _returns(rho: float, n: int = 200, seed: int = 7) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    b = rho * a + math.sqrt(1 - rho**2) * rng.normal(size=n)
    return {"BTC": a * 0.01, "ETH": b * 0.01, "EURUSD": rng.normal(size=n) * 0.001}


def test_correlated_pair_trips_safe_mode_and_reduces_cap(pc: PortfolioController) -> None:
    rho = pc.update_correlation(_returns(0.95))
    assert rho > 0.9 and pc.safe_mode and pc.correlated_pair == ("BTC", "ETH")
    assert pc.max_correlation == rho
    progress = (rho - 0.65) / 0.35
    assert pc.risk_cap_pct == pytest.approx(0.03 * (0.5 - 0.25 * progress))
    assert pc.risk_state().risk_cap_pct == pc.risk_cap_pct
    d = pc.can_allocate(plan("ETH", 50.0, 100.0, 98.0))  # 1 % > reduced cap ~0.8 %
    assert not d.ok and "safe mode" in d.reason


def test_uncorrelated_symbols_stay_normal(pc: PortfolioController) -> None:
    rho = pc.update_correlation(_returns(0.0))
    assert rho < 0.3 and not pc.safe_mode and pc.risk_cap_pct == 0.03


def test_block_action_refuses_everything_in_safe_mode() -> None:
    gov = Governance(correlation=CorrelationLimits(safe_mode_action="block"))
    pc = PortfolioController(gov, 10_000.0)
    pc.update_correlation(_returns(0.9))
    d = pc.can_allocate(plan("SOL", 1.0))
    assert not d.ok and d.code == "safe_mode_block" and d.max_qty is None
    assert pc.risk_cap_pct == 0.0
    budget = RiskEngine(RiskSettings.from_governance(gov)).risk_budget(pc.risk_state())
    assert budget.pct == 0.0
    pc.update_correlation(_returns(0.1))
    assert pc.can_allocate(plan("SOL", 1.0)).ok


def test_window_nan_and_short_series() -> None:
    gov = Governance(correlation=CorrelationLimits(window_bars=50))
    pc = PortfolioController(gov, 10_000.0)
    r = _returns(0.0, n=300)
    # make only the OLD part correlated: outside the 50-bar window it must not count
    r["ETH"][:250] = r["BTC"][:250]
    assert pc.update_correlation(r) < 0.5
    with_nan = _returns(0.95)
    with_nan["BTC"][::7] = np.nan
    assert pc.update_correlation(with_nan) > 0.9
    assert pc.update_correlation({"A": np.ones(100), "B": np.arange(100.0)}) == 0.0
    assert pc.update_correlation({"A": np.arange(5.0), "B": np.arange(5.0)}) == 0.0
    assert pc.update_correlation({"A": np.arange(50.0)}) == 0.0 and not pc.safe_mode


# ---------------------------------------------------------------------- restore
def test_restore_rebuilds_the_same_picture(pc: PortfolioController) -> None:
    pc.apply_fill(fill(Side.BUY, 5.0, 100.0, T0, fee=0.5), stop=96.0)
    pc.mark_to_market({"BTC": 120.0}, T0 + HOUR)
    pc.mark_to_market({"BTC": 110.0}, T0 + 2 * HOUR)
    fresh = PortfolioController(Governance(), 10_000.0)
    fresh.restore(list(pc.positions.values()), pc.equity, pc.balance, pc.peak_history,
                  fees_paid=pc.fees_paid, loss_streak=2, day_start_equity=pc.day_start_equity,
                  ts=T0 + 2 * HOUR)
    assert fresh.equity == pytest.approx(pc.equity)
    assert fresh.trailing_dd_pct == pytest.approx(pc.trailing_dd_pct)
    assert fresh.daily_pnl_pct == pytest.approx(pc.daily_pnl_pct)
    assert fresh.open_risk == pytest.approx(pc.open_risk)
    assert fresh.loss_streak == 2
    fresh.apply_fill(fill(Side.SELL, 5.0, 110.0, T0 + 3 * HOUR, fid="c"))
    assert fresh.closed_trades[0].r_multiple == pytest.approx(50.0 / 20.0)
    assert fresh.realized_pnl + fresh.unrealized_pnl - fresh.fees_paid == pytest.approx(
        fresh.equity - fresh.starting_equity)


def test_restore_refuses_rows_from_different_moments(pc: PortfolioController) -> None:
    pos = Position("BTC", 1.0, 100.0, T0, stop=90.0, unrealized_pnl=5.0)
    with pytest.raises(ValueError, match="different times"):
        pc.restore([pos], 10_100.0, 10_000.0)
    pc.restore([pos], None, 10_000.0, realized_pnl=40.0, fees_paid=2.0)
    assert pc.equity == pytest.approx(10_005.0)
    assert pc.starting_equity == pytest.approx(9_962.0)
    with pytest.raises(ValueError, match="balance"):
        pc.restore([], None, math.nan)
