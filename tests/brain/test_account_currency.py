"""Account currency end to end: the real brain sizes and books USDJPY in dollars (and a
EUR account in euros) on the mock market, and the fake MT5 terminal's tick values give the
same conversion the mock's FX paths do."""

from __future__ import annotations

from pathlib import Path

import pytest

from ats.domain import FxRates
from ats.risk.edge import round_trip_cost
from broker_adapters.mock import MockMarket
from broker_adapters.mock.fx import usd_value
from tests.brain.fakes import ScriptedStrategy, always_long
from tests.brain.helpers import START, config_dir, cycles, make_brain

TESTS = str(Path(__file__).resolve().parents[1])


async def _one_plan(tmp_path: Path, symbol: str, **market):  # type: ignore[no-untyped-def]
    cfg = config_dir(tmp_path, strategies=["longer"])
    orch, clock = make_brain(tmp_path, {"longer": ScriptedStrategy("longer", always_long(
        "longer"))}, cfg=cfg, symbols=(symbol,), **market)
    await orch.start()
    snaps = await cycles(orch, clock, 1)
    rec = orch.dao.journal_tail(1, kind="cycle", run_id="t1")[-1].payload
    return orch, clock, snaps[-1], rec


async def test_usdjpy_is_sized_and_booked_in_dollars(tmp_path: Path) -> None:
    orch, clock, snap, rec = await _one_plan(tmp_path, "USDJPY")
    adapter = orch.adapter  # the paper account over the mock market
    mock = adapter.venue
    assert isinstance(mock, MockMarket)
    usdjpy = 1.0 / usd_value(mock, "JPY", clock.now_ms())
    assert 100 < usdjpy < 200
    assert orch.fx.account == "USD"
    assert orch.fx.rate("JPY") == pytest.approx(1.0 / usdjpy, rel=1e-9)
    assert rec["plans"], rec["rejections"]
    plan = rec["plans"][0]
    equity = orch.portfolio.starting_equity
    # Risk at the stop, by hand: lots x 100,000 x (stop distance + round-trip costs) in JPY,
    # divided by USDJPY for dollars. Costs: the bar's spread plus fee and slippage per side.
    bars = orch.windows[("USDJPY", "1m")].view()
    cm = orch.ctx.cost_model.for_class("fx")  # FX pays the ECN commission, not crypto fees
    rng = (bars.high[-1] - bars.low[-1]) / bars.close[-1] * 1e4
    cost = round_trip_cost(plan["entry"], plan["stop"], float(bars.spread[-1]), cm.taker_fee,
                           cm.slippage_bps_base + cm.vol_impact * rng)
    per_lot_usd = 100_000 * (abs(plan["entry"] - plan["stop"]) + cost) / usdjpy
    risk_usd = plan["qty"] * per_lot_usd
    assert risk_usd == pytest.approx(plan["risk_pct"] * equity, rel=1e-6)
    assert risk_usd <= 0.010 * equity
    assert plan["qty"] >= 0.05  # a real position: counted in JPY it was never above 0.002
    pos = orch.portfolio.positions["USDJPY"]
    assert pos.qty == pytest.approx(plan["qty"])
    await cycles(orch, clock, 5)
    # The brain's book and the venue's own account agree in dollars (fees, spread, PnL).
    acc = await adapter.account()
    assert acc.currency == "USD"
    assert orch.portfolio.equity == pytest.approx(acc.equity, abs=0.05 + 1e-4 * acc.equity)
    pos = orch.portfolio.positions.get("USDJPY")
    if pos is not None and pos.qty:
        mark = orch.portfolio._ledger.mark_price("USDJPY")
        rate = orch.fx.rate("JPY")
        assert pos.unrealized_pnl == pytest.approx(
            pos.qty * 100_000 * (mark - pos.entry_price) * rate, rel=1e-9)
    await orch.stop()


async def test_without_conversion_the_same_signal_would_be_refused(tmp_path: Path) -> None:
    orch, clock, snap, rec = await _one_plan(tmp_path, "USDJPY")
    plan = rec["plans"][0]
    equity = orch.portfolio.starting_equity
    # The old arithmetic valued a lot at 100,000 x ~150 "USD": even the 0.01 minimum lot
    # would have been 15,000 x 10 > the 30,000 leverage room, so USDJPY never traded.
    assert 0.01 * 100_000 * plan["entry"] > 3 * equity
    await orch.stop()


async def test_eur_account_sizes_eurusd_in_euros(tmp_path: Path) -> None:
    orch, clock, snap, rec = await _one_plan(tmp_path, "EURUSD", currency="EUR")
    assert orch.fx.account == "EUR"
    eurusd = usd_value(orch.adapter.venue, "EUR", clock.now_ms())
    assert orch.fx.rate("USD") == pytest.approx(1.0 / eurusd)
    plan = rec["plans"][0]
    bars = orch.windows[("EURUSD", "1m")].view()
    cm = orch.ctx.cost_model.for_class("fx")  # FX pays the ECN commission, not crypto fees
    rng = (bars.high[-1] - bars.low[-1]) / bars.close[-1] * 1e4
    cost = round_trip_cost(plan["entry"], plan["stop"], float(bars.spread[-1]), cm.taker_fee,
                           cm.slippage_bps_base + cm.vol_impact * rng)
    risk_eur = plan["qty"] * 100_000 * (abs(plan["entry"] - plan["stop"]) + cost) / eurusd
    assert risk_eur == pytest.approx(plan["risk_pct"] * orch.portfolio.starting_equity,
                                     rel=1e-6)
    acc = await orch.adapter.account()
    assert acc.currency == "EUR"
    assert orch.portfolio.equity == pytest.approx(acc.equity, abs=0.05 + 1e-4 * acc.equity)
    await orch.stop()


async def test_a_venue_without_a_rate_refuses_the_entry_with_the_reason(
        tmp_path: Path) -> None:
    class NoFx:
        """The mock seen through a wrapper that quotes no FX (like a USDT-only venue)."""

        def __init__(self, inner: MockMarket) -> None:
            self._inner = inner

        def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
            if name == "fx_rates":
                raise AttributeError(name)
            return getattr(self._inner, name)

    cfg = config_dir(tmp_path, strategies=["longer"])
    orch, clock = make_brain(tmp_path, {"longer": ScriptedStrategy("longer", always_long(
        "longer"))}, cfg=cfg, symbols=("USDJPY",))
    orch.adapter = NoFx(orch.adapter)
    orch.ctx.adapter = orch.adapter
    orch.exec_agent.ctx.adapter = orch.adapter
    await orch.start()
    await cycles(orch, clock, 1)
    rec = orch.dao.journal_tail(1, kind="cycle", run_id="t1")[-1].payload
    assert not rec["plans"]
    codes = {r["code"]: r["reason"] for r in rec["rejections"]}
    assert "no_fx_rate" in codes and "JPY" in codes["no_fx_rate"]
    await orch.stop()


async def test_fake_mt5_tick_value_is_the_terminals_conversion_rate() -> None:
    from broker_adapters.mt5 import convert
    from tests.fakes.MetaTrader5._terminal import FakeTerminal

    term = FakeTerminal()
    info = term._symbol_info("USDJPY")._asdict()
    mid = (info["bid"] + info["ask"]) / 2
    assert convert.quote_rate(info) == pytest.approx(1.0 / mid, rel=1e-6)
    assert convert.quote_rate(term._symbol_info("EURUSD")._asdict()) == pytest.approx(1.0)
    assert convert.quote_rate(term._symbol_info("XAUUSD")._asdict()) == pytest.approx(1.0)
    fx = FxRates("USD", {"JPY": convert.quote_rate(info)})
    assert fx.convert(60_000.0, "JPY") == pytest.approx(60_000.0 / mid, rel=1e-6)


def test_start_is_the_helpers_origin() -> None:
    assert START > 0


async def test_usdjpy_on_the_fake_mt5_demo_account_is_sized_in_dollars(
        tmp_path: Path) -> None:
    """The same sizing through the real MT5 adapter: rates from the terminal's tick values."""
    import sys

    from ats.brain.runtime import RunOptions, build_orchestrator
    from ats.config.models import Mt5AdapterConfig
    from ats.config.settings import Settings
    from ats.domain import FixedClock, Mode
    from broker_adapters.mt5 import Mt5Adapter

    if TESTS not in sys.path:
        sys.path.insert(0, TESTS)
    from fakes import MetaTrader5 as fake_mt5
    from fakes.MetaTrader5._trading import TradingTerminal
    from pydantic import SecretStr

    term = TradingTerminal()
    clock = FixedClock(term.now_utc_ms)
    settings = Settings(mode=Mode.DEMO, mt5_login=5012345, mt5_password=SecretStr("demo-pass"),
                        mt5_server="FakeBroker-Demo")
    adapter = Mt5Adapter(Mt5AdapterConfig(mode="native"), settings, mode=Mode.DEMO,
                         symbols=["USDJPY"], mt5_module=fake_mt5.make_module(term),
                         clock=clock, retry_base_delay=0.001)
    cfg = config_dir(tmp_path, strategies=["longer"])
    opts = RunOptions(mode=Mode.DEMO, adapter="mt5", config_dir=cfg, db_path=tmp_path / "m.db",
                      clock=clock, symbols=("USDJPY",), timeframes=("1h",),
                      skip_feed_check=True, run_id="t1")
    strat = ScriptedStrategy("longer", always_long("longer"), timeframe="1h")
    orch = build_orchestrator(opts, adapter=adapter, strategies={"longer": strat}, env={})
    await orch.start()
    assert orch.fx.account == "USD" and orch.fx.source == "mt5 tick value"
    term.now_utc_ms += 3_600_000
    clock.advance(3_600_000)
    await orch.run_cycle()
    rec = orch.dao.journal_tail(1, kind="cycle", run_id="t1")[-1].payload
    assert rec["plans"], rec["rejections"]
    plan = rec["plans"][0]
    usdjpy = 1.0 / orch.fx.rate("JPY")
    assert 140 < usdjpy < 160  # the terminal's own price (1 / tick value per JPY)
    bars = orch.windows[("USDJPY", "1h")].view()
    cm = orch.ctx.cost_model.for_class("fx")  # MT5: one fee for every class
    rng = (bars.high[-1] - bars.low[-1]) / bars.close[-1] * 1e4
    cost = round_trip_cost(plan["entry"], plan["stop"], float(bars.spread[-1]), cm.taker_fee,
                           cm.slippage_bps_base + cm.vol_impact * rng)
    risk_usd = plan["qty"] * 100_000 * (abs(plan["entry"] - plan["stop"]) + cost) / usdjpy
    equity = min(orch.portfolio.equity, 10_000.0)
    assert risk_usd == pytest.approx(plan["risk_pct"] * equity, rel=1e-3)
    assert 0.01 <= plan["qty"] and risk_usd <= 0.010 * equity
    assert any(p["symbol"] == "USDJPY" for p in term.positions.values())  # sent to the demo
    await orch.stop()


def test_declared_currencies_are_checked_against_the_venue() -> None:
    from ats.brain.fx import currency_mismatches
    from ats.config.models import InstrumentCurrencies
    from ats.domain import InstrumentSpec

    spec = InstrumentSpec("USDJPY", "v", "fx", 0.001, 0.01, 0.01, 100_000.0, "JPY",
                          margin_currency="USD")
    ok = {"USDJPY": InstrumentCurrencies(quote="JPY", margin="USD")}
    assert currency_mismatches({"USDJPY": spec}, ok) == []
    bad = {"USDJPY": InstrumentCurrencies(quote="USD", margin="USD")}
    (text,) = currency_mismatches({"USDJPY": spec}, bad)
    assert "quotes it in JPY" in text and "symbols.yaml says USD" in text
    btc = InstrumentSpec("B", "v", "c", 0.1, 1, 1, 1, "USDT", margin_currency="USDT")
    assert currency_mismatches({"B": btc}, {"B": InstrumentCurrencies(quote="USD",
                                                                      margin="USD")}) == []
    with pytest.raises(ValueError):
        InstrumentCurrencies(quote="yen", margin="USD")


async def test_child_order_notional_cap_counts_usdjpy_in_dollars() -> None:
    """max_child_notional (250,000) is account currency: 2 lots of USDJPY are 200,000 USD,
    one order; valued in JPY (30M) they would have been split into 120 children."""
    from ats.brain.tools import ToolContext, default_registry
    from ats.config.models import Governance
    from ats.domain import InstrumentSpec, Side

    class Venue:
        name = "t"
        sent: list = []

        async def place_order(self, intent):  # type: ignore[no-untyped-def]
            from ats.domain import Order, OrderStatus

            self.sent.append(intent)
            return Order(intent.client_order_id, intent.symbol, intent.side, intent.qty,
                         intent.type, OrderStatus.NEW, 0)

    spec = InstrumentSpec("USDJPY", "t", "fx", 0.001, 0.01, 0.01, 100_000.0, "JPY",
                          margin_currency="USD")
    venue = Venue()
    ctx = ToolContext(governance=Governance(), adapter=venue, run_id="r",
                      fx=FxRates("USD", {"JPY": 1 / 150.0}))
    reg = default_registry()
    res = await reg.acall("place_order", ctx, symbol="USDJPY", side=Side.BUY, qty=2.0,
                          price=150.0, instrument=spec)
    assert res is not None and [i.qty for i in venue.sent] == [2.0]


async def test_the_journal_names_the_planned_risk_and_its_currency(tmp_path: Path) -> None:
    orch, clock, snap, rec = await _one_plan(tmp_path, "USDJPY")
    plan = rec["plans"][0]
    assert plan["currency"] == "USD"
    assert plan["risk"] == pytest.approx(plan["risk_pct"] * orch.portfolio.starting_equity)
    await orch.stop()
