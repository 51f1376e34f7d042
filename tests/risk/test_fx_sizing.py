"""Account currency: risk, PnL and margin of instruments quoted in another currency.

Worked example (also in the issue note): a 10,000 USD account risks 0.8 % = 80 USD. USDJPY
long at 150.000 with its stop at 149.400 loses 0.600 JPY per unit, 60,000 JPY per lot of
100,000, which is 60,000 / 150 = 400 USD. So 80 / 400 = 0.20 lots (20,000 USD notional,
inside the 3x leverage cap). Counting the JPY as dollars gives 80 / 60,000 = 0.0013 lots:
below the 0.01 minimum, the pair never trades.
"""

from __future__ import annotations

import pytest

from ats.domain import Fill, FxRates, InstrumentSpec, Side, StrategySignal, point_value
from ats.domain.costs import CostModel
from ats.portfolio.ledger import Ledger
from ats.risk import RiskEngine, RiskSettings, RiskState
from broker_adapters.paper_engine import BookView, PaperEngine

USDJPY = InstrumentSpec("USDJPY", "t", "fx", 0.001, 0.01, 0.01, 100_000.0, "JPY",
                        margin_currency="USD")
EURGBP = InstrumentSpec("EURGBP", "t", "fx", 0.00001, 0.01, 0.01, 100_000.0, "GBP",
                        margin_currency="EUR")
XAUUSD = InstrumentSpec("XAUUSD", "t", "metal", 0.01, 0.01, 0.01, 100.0, "USD",
                        margin_currency="XAU")
EURUSD = InstrumentSpec("EURUSD", "t", "fx", 0.00001, 0.01, 0.01, 100_000.0, "USD",
                        margin_currency="EUR")
USD_BOOK = FxRates("USD", {"JPY": 1 / 150.0, "GBP": 1.27, "EUR": 1.085, "XAU": 2350.0})
EUR_BOOK = FxRates("EUR", {"USD": 1 / 1.085, "JPY": 1 / 150.0 / 1.085, "GBP": 1.27 / 1.085})
ENGINE = RiskEngine(RiskSettings(kelly_cap=False))


def size(spec: InstrumentSpec, entry: float, stop: float, fx: FxRates, equity: float = 10_000.0):
    sig = StrategySignal("s", spec.symbol, "1h", Side.BUY, entry, stop, 1.0, "t", 0)
    rate = fx.quote_rate(spec)
    assert rate is not None
    return ENGINE.size_position(sig, entry, RiskState(equity), None, spec, quote_rate=rate)


@pytest.mark.parametrize(("spec", "entry", "stop", "fx", "qty", "risk"), [
    (USDJPY, 150.0, 149.4, USD_BOOK, 0.20, 80.0),  # 0.6 x 100k = 60,000 JPY = 400 USD/lot
    (EURGBP, 0.8550, 0.8520, USD_BOOK, 0.20, 76.2),  # 300 GBP x 1.27 = 381 USD/lot
    (XAUUSD, 2350.0, 2340.0, USD_BOOK, 0.08, 80.0),  # 10 x 100 oz = 1,000 USD/lot
    (EURUSD, 1.0850, 1.0800, EUR_BOOK, 0.17, 78.34),  # 500 USD = 460.83 EUR/lot
    (USDJPY, 150.0, 149.4, EUR_BOOK, 0.21, 77.42),  # 400 USD = 368.66 EUR/lot
])
def test_risk_at_the_stop_is_in_the_account_currency(spec, entry, stop, fx, qty, risk) -> None:
    res = size(spec, entry, stop, fx)
    assert res.ok, res.rejected
    assert res.qty == pytest.approx(qty)
    assert res.risk_amount == pytest.approx(risk, abs=0.01)
    assert res.risk_amount <= 80.0 + 1e-9  # never above the 0.8 % budget
    assert res.notional == pytest.approx(qty * entry * point_value(spec, fx))


def test_jpy_counted_as_dollars_would_never_trade() -> None:
    res = size(USDJPY, 150.0, 149.4, FxRates("USD", {"JPY": 1.0}))
    assert not res.ok and res.code == "below_min_qty"
    assert "the minimum risks 600.00" in res.rejected


def test_a_missing_rate_is_refused_not_assumed() -> None:
    assert FxRates("USD").quote_rate(USDJPY) is None
    assert FxRates("USD").quote_rate(InstrumentSpec("B", "t", "c", 0.1, 1, 1, 1, "USDT")) == 1.0
    sig = StrategySignal("s", "USDJPY", "1h", Side.BUY, 150.0, 149.7, 1.0, "t", 0)
    res = ENGINE.size_position(sig, 150.0, RiskState(10_000.0), None, USDJPY,
                               quote_rate=float("nan"))
    assert res.code == "no_fx_rate" and "JPY" in res.rejected


def _fill(fid: str, side: Side, qty: float, price: float, fee: float = 0.0) -> Fill:
    return Fill(fid, fid, "USDJPY", side, qty, price, fee, 1)


def test_ledger_books_jpy_pnl_in_dollars_at_the_closing_rate() -> None:
    led = Ledger({"USDJPY": 100_000.0})
    led.set_fx_rate("USDJPY", 1 / 150.0)
    led.apply(_fill("a", Side.BUY, 0.4, 150.0), 149.7, None, "s")
    assert led.books().__iter__().__next__().risk(0.0) == pytest.approx(80.0)
    led.mark("USDJPY", 150.3)
    led.set_fx_rate("USDJPY", 1 / 150.3)
    assert led.unrealized == pytest.approx(0.4 * 100_000 * 0.3 / 150.3)  # 79.84 USD
    closed = led.apply(_fill("b", Side.SELL, 0.4, 150.3), None, None, "s")
    assert closed[0].gross_pnl == pytest.approx(79.84, abs=0.01)
    assert closed[0].r_multiple == pytest.approx(79.84 / 80.0, abs=1e-3)


def _book(mid: float, half: float) -> BookView:
    from ats.domain import Quote

    return BookView(Quote("USDJPY", 1, mid - half, mid + half), (), (), 0.0)


def test_paper_engine_keeps_a_usd_balance_for_a_jpy_pair() -> None:
    from ats.domain import OrderIntent

    costs = CostModel(taker_fee=0.0001, slippage_bps_base=0.0, depth_impact_bps=0.0,
                      vol_impact=0.0)
    eng = PaperEngine(venue="t", costs=costs, starting_balance=10_000.0,
                      specs={"USDJPY": USDJPY}, currency="USD", leverage=30.0)
    with pytest.raises(Exception, match="no rate from JPY"):
        eng.submit(OrderIntent("x0", "USDJPY", Side.BUY, 0.4), _book(150.0, 0.0), 1)
    eng.set_fx(FxRates("USD", {"JPY": 1 / 150.0}))
    eng.submit(OrderIntent("x1", "USDJPY", Side.BUY, 0.4), _book(150.0, 0.0), 1)
    # fee = 0.4 lots x 100k x 150 JPY x 0.0001 = 600 JPY = 4 USD
    assert eng.balance == pytest.approx(10_000.0 - 4.0)
    acc = eng.account(2)
    assert acc.margin_used == pytest.approx(0.4 * 100_000 / 30.0)  # 40k USD notional / 30
    eng.set_fx(FxRates("USD", {"JPY": 1 / 150.3}))
    eng.submit(OrderIntent("x2", "USDJPY", Side.SELL, 0.4), _book(150.3, 0.0), 3)
    pnl = 0.4 * 100_000 * 0.3 / 150.3
    fee2 = 0.4 * 100_000 * 150.3 * 0.0001 / 150.3
    assert eng.balance == pytest.approx(10_000.0 - 4.0 + pnl - fee2)


def test_paper_engine_refuses_rates_for_another_account() -> None:
    eng = PaperEngine(venue="t", costs=CostModel(), starting_balance=1.0, specs={},
                      currency="USD")
    with pytest.raises(ValueError, match="EUR account"):
        eng.set_fx(FxRates("EUR"))


def test_a_position_restored_before_its_rate_keeps_its_dollar_pnl() -> None:
    from ats.domain import Position

    led = Ledger({"USDJPY": 100_000.0})
    # stored: 0.2 lots long from 150.0, +40 USD open (mark 150.3 at USDJPY 150.3)
    led.restore([Position("USDJPY", 0.2, 150.0, 1, unrealized_pnl=40.0)])
    led.set_fx_rate("USDJPY", 1 / 150.3)
    assert led.mark_price("USDJPY") == pytest.approx(150.0 + 40.0 * 150.3 / 20_000)
    assert led.unrealized == pytest.approx(40.0)
    led.mark("USDJPY", 150.6)
    assert led.unrealized == pytest.approx(0.2 * 100_000 * 0.6 / 150.3)
