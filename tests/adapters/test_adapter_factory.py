"""The factory: mock by default, paper wraps any venue with its fees, live is refused."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from ats.config import AdaptersConfig, LiveTradingRefused, Settings, SymbolsConfig
from ats.config.models import AdapterSymbols, Fees, MockAdapterConfig
from ats.domain import FixedClock, Mode, OrderIntent, Regime, Side
from broker_adapters.factory import UnknownAdapterError, cost_model_for, create_adapter
from broker_adapters.mock import MockMarket, Scenario, parse_start
from broker_adapters.paper import PaperBroker

NOW = parse_start("2026-01-10T00:00:30Z")
SYMBOLS = SymbolsConfig(adapters={
    "mock": AdapterSymbols(symbols=("BTC/USDT:USDT", "EURUSD")),
    "bingx": AdapterSymbols(symbols=("BTC/USDT:USDT",)),
    "mt5": AdapterSymbols(symbols=("EURUSD", "XAUUSD")),
})
ADAPTERS = AdaptersConfig(mock=MockAdapterConfig(seed=9, fees=Fees(maker=0.0001, taker=0.0009)))


def build(name: str, mode: Mode | str = Mode.PAPER, settings: Settings | None = None,
          **kw: Any) -> Any:
    return create_adapter(name, mode=mode, adapters_cfg=ADAPTERS, symbols_cfg=SYMBOLS,
                          settings=settings or Settings(), clock=FixedClock(NOW), **kw)


def test_cost_model_takes_venue_fees_and_paper_slippage() -> None:
    c = cost_model_for("mt5", ADAPTERS)
    assert (c.maker_fee, c.taker_fee) == (0.0, 0.00007)
    assert c.slippage_bps_base == ADAPTERS.paper.slippage_bps_base
    with pytest.raises(UnknownAdapterError, match="mock, bingx, mt5"):
        cost_model_for("ftx", ADAPTERS)


async def test_mock_in_paper_mode_is_wrapped_with_config_fees() -> None:
    pb = build("mock", settings=Settings(virtual_equity=25_000.0))
    assert isinstance(pb, PaperBroker) and isinstance(pb.venue, MockMarket)
    assert pb.engine.costs.taker_fee == 0.0009
    assert pb.venue.seed == 9 and tuple(pb.venue.profiles) == ("BTC/USDT:USDT", "EURUSD")
    await pb.connect()
    assert (await pb.account()).equity == 25_000.0
    o = await pb.place_order(OrderIntent("f1", "EURUSD", Side.BUY, 0.01))
    assert o.venue == "paper:mock"


async def test_mock_in_vst_mode_trades_itself_with_virtual_asset() -> None:
    m = build("mock", mode="vst", settings=Settings(mode=Mode.VST), seed=3,
              symbols=["XAUUSD"], scenario=Scenario(((Regime.PANIC, 2),)))
    assert isinstance(m, MockMarket) and m.seed == 3 and list(m.profiles) == ["XAUUSD"]
    assert m.scenario is not None and m.scenario.start_ms == NOW
    o = await m.place_order(OrderIntent("v1", "XAUUSD", Side.BUY, 0.01))
    assert o.virtual_asset == "VST"


@pytest.mark.parametrize("mode", [Mode.LIVE, "live", "LIVE"])
def test_live_is_refused(mode: Mode | str) -> None:
    with pytest.raises(LiveTradingRefused, match="acceptance"):
        build("mock", mode=mode)


def test_unknown_adapter_name() -> None:
    with pytest.raises(UnknownAdapterError, match="'binance'"):
        build("binance")


def _fake_venue_module(monkeypatch: pytest.MonkeyPatch, module: str, cls_name: str) -> list:
    seen: list[dict[str, Any]] = []

    class FakeVenue(MockMarket):
        def __init__(self, cfg: Any, settings: Settings, *, mode: Mode, symbols: Any,
                     **kw: Any) -> None:
            seen.append({"cfg": cfg, "mode": mode, "symbols": tuple(symbols), **kw})
            super().__init__(clock=FixedClock(NOW), symbols=symbols)

    mod = types.ModuleType(module)
    setattr(mod, cls_name, FakeVenue)
    monkeypatch.setitem(sys.modules, module, mod)
    return seen


@pytest.mark.parametrize(("name", "module", "cls", "currency"), [
    ("mt5", "broker_adapters.mt5", "Mt5Adapter", "USD"),
    ("bingx", "broker_adapters.bingx", "BingxAdapter", "USDT"),
])
def test_venues_get_their_config_symbols_and_mode(
    monkeypatch: pytest.MonkeyPatch, name: str, module: str, cls: str, currency: str
) -> None:
    seen = _fake_venue_module(monkeypatch, module, cls)
    pb = build(name, extra_option=1)
    assert isinstance(pb, PaperBroker) and pb.engine.currency == currency
    assert seen[0]["cfg"] is getattr(ADAPTERS, name)
    assert seen[0]["mode"] is Mode.PAPER and seen[0]["symbols"] == SYMBOLS.symbols_for(name)
    assert seen[0]["extra_option"] == 1
    assert isinstance(seen[0]["clock"], FixedClock)  # the venue runs on the brain's clock
    assert pb.engine.costs.taker_fee == getattr(ADAPTERS, name).fees.taker
    direct = build(name, mode=Mode.DEMO)
    assert not isinstance(direct, PaperBroker) and seen[1]["mode"] is Mode.DEMO


def test_real_bingx_adapter_is_wrapped_in_paper_mode() -> None:
    from broker_adapters.bingx import BingxAdapter

    pb = build("bingx")
    assert isinstance(pb, PaperBroker) and isinstance(pb.venue, BingxAdapter)


def test_real_mt5_adapter_is_wrapped_in_paper_mode() -> None:
    from broker_adapters.mt5 import Mt5Adapter

    pb = build("mt5")
    assert isinstance(pb, PaperBroker) and isinstance(pb.venue, Mt5Adapter)
    assert isinstance(build("mt5", mode=Mode.DEMO), Mt5Adapter)


async def test_the_mock_charges_each_asset_class_its_own_venues_fees() -> None:
    """Crypto perpetuals pay the exchange's taker fee, FX and metals an ECN commission —
    as the shipped adapters.yaml says; one fee for all made EURUSD pay 7x what MT5 charges."""
    from ats.config import load_adapters

    shipped = cost_model_for("mock", load_adapters())
    assert shipped.for_class("crypto_perp").taker_fee == 0.0005
    assert shipped.for_class("fx").taker_fee == shipped.for_class("metal").taker_fee == 0.00007
    assert shipped.for_class("fx").class_fees == ()
    cfg = AdaptersConfig(mock=MockAdapterConfig(
        seed=9, fees=Fees(maker=0.0001, taker=0.0009),
        fees_by_class={"fx": Fees(maker=0.0, taker=0.0001)}))
    pb = create_adapter("mock", mode=Mode.PAPER, adapters_cfg=cfg, symbols_cfg=SYMBOLS,
                        settings=Settings(), clock=FixedClock(NOW))
    await pb.connect()
    await pb.place_order(OrderIntent("fx1", "EURUSD", Side.BUY, 0.1))
    await pb.place_order(OrderIntent("cr1", "BTC/USDT:USDT", Side.BUY, 0.01))
    fills = {f.symbol: f for f in await pb.fills_since(0)}
    eur, btc = fills["EURUSD"], fills["BTC/USDT:USDT"]
    eur_notional = eur.qty * eur.price * pb.engine.specs["EURUSD"].contract_size
    assert eur.fee == pytest.approx(eur_notional * 0.0001)
    assert btc.fee == pytest.approx(btc.qty * btc.price
                                    * pb.engine.specs["BTC/USDT:USDT"].contract_size * 0.0009)


def test_an_unknown_asset_class_in_the_mock_fees_is_refused() -> None:
    with pytest.raises(ValueError, match="fees_by_class"):
        MockAdapterConfig(fees_by_class={"stocks": Fees()})  # type: ignore[dict-item]
