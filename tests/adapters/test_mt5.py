"""MT5 adapter specifics against the in-process fake ``MetaTrader5`` module."""

from __future__ import annotations

import numpy as np
import pytest
from venue_mt5 import fake_mt5, mt5_settings, native_adapter

from ats.config.models import Mt5AdapterConfig
from ats.config.settings import LiveTradingRefused
from ats.domain import FixedClock, Mode, OrderIntent, OrderStatus, OrderType, Side
from broker_adapters.errors import (
    AuthenticationError,
    BadSymbolError,
    CapabilityError,
    ConnectionLostError,
    InsufficientFundsError,
    InvalidOrderError,
    PermissionDeniedError,
    RateLimitError,
    SessionFatalError,
    VenueBusyError,
    VenueError,
    VenueTimeoutError,
)
from broker_adapters.mt5 import LiveAccountRefused, Mt5Adapter
from broker_adapters.mt5 import constants as C
from broker_adapters.mt5.errors import last_error_exception, retcode_exception
from broker_adapters.mt5.orders import comment_for

NOW = fake_mt5.DEFAULT_NOW_MS
HOUR = 3_600_000


@pytest.fixture
def module():
    return fake_mt5.make_module()


@pytest.fixture
async def mt5(module):
    adapter = native_adapter(module)
    await adapter.connect()
    yield adapter
    await adapter.close()


def test_adapter_constants_match_the_official_values(module) -> None:
    assert C.TIMEFRAMES == {"1m": module.TIMEFRAME_M1, "5m": module.TIMEFRAME_M5,
                            "15m": module.TIMEFRAME_M15, "30m": module.TIMEFRAME_M30,
                            "1h": module.TIMEFRAME_H1, "4h": module.TIMEFRAME_H4,
                            "1d": module.TIMEFRAME_D1}
    for name in ("TRADE_ACTION_DEAL", "TRADE_ACTION_PENDING", "TRADE_ACTION_REMOVE",
                 "ORDER_FILLING_FOK", "ORDER_FILLING_IOC", "ORDER_FILLING_RETURN",
                 "ORDER_STATE_FILLED", "ORDER_STATE_CANCELED", "TRADE_RETCODE_DONE",
                 "TRADE_RETCODE_REQUOTE", "ACCOUNT_TRADE_MODE_REAL", "ORDER_TYPE_SELL_STOP",
                 "TRADE_ACTION_SLTP", "DEAL_REASON_SL", "DEAL_REASON_TP",
                 "SYMBOL_TRADE_EXECUTION_MARKET", "SYMBOL_TRADE_EXECUTION_EXCHANGE"):
        assert getattr(C, name) == getattr(module, name), name
    assert module.TIMEFRAME_H1 == 16385 and module.RES_E_INTERNAL_FAIL_CONNECT == -10004


async def test_server_offset_detected_and_bars_in_utc(mt5: Mt5Adapter, module) -> None:
    assert mt5.offset_s == 7200
    bars = await mt5.latest_bars("EURUSD", "1h", 3)
    assert int(bars.ts[-1]) == (NOW // HOUR - 1) * HOUR  # 11:00 UTC = 13:00 server
    raw = module.copy_rates_from_pos("EURUSD", module.TIMEFRAME_H1, 1, 3)
    assert list((raw["time"] - 7200) * 1000) == list(bars.ts)
    assert np.allclose(bars.close, raw["close"])
    assert np.allclose(bars.spread, raw["spread"] * 1e-5)
    assert np.allclose(bars.volume, raw["tick_volume"])
    q = await mt5.quote("EURUSD")
    assert q.ts == NOW and q.ask > q.bid


async def test_configured_offset_wins_and_weekend_detection_refuses(module) -> None:
    saturday = NOW - 2 * 86_400_000
    module._terminal.set_now(saturday)
    stale = native_adapter(module, clock=FixedClock(saturday))
    with pytest.raises(SessionFatalError, match="server_utc_offset_hours"):
        await stale.connect()
    cfg = Mt5AdapterConfig(mode="native", server_utc_offset_hours=2)
    fixed = Mt5Adapter(cfg, mt5_settings(), mode=Mode.DEMO, symbols=["EURUSD"],
                       mt5_module=module, clock=FixedClock(saturday), retry_base_delay=0.001)
    await fixed.connect()
    try:
        bars = await fixed.latest_bars("EURUSD", "1h", 5)
        friday_close = (saturday // 86_400_000) * 86_400_000 - 2 * HOUR  # 24:00 server
        assert int(bars.ts[-1]) == friday_close - HOUR
        with pytest.raises(VenueBusyError, match="market is closed"):
            await fixed.place_order(OrderIntent("wk-1", "EURUSD", Side.BUY, 0.01))
    finally:
        await fixed.close()


async def test_history_crosses_the_weekend_gap(mt5: Mt5Adapter) -> None:
    friday_18_utc = NOW - 30_000 - 3 * 86_400_000 + 6 * HOUR
    bars = await mt5.history("EURUSD", "1h", friday_18_utc, 10)
    assert len(bars) == 10 and int(bars.ts[0]) == friday_18_utc
    # Friday 21:00 UTC is the last bar (24:00 server close); Monday 00:00 server = Sun 22:00 UTC
    assert int(np.diff(bars.ts).max()) == 49 * HOUR
    tail = await mt5.history("EURUSD", "1h", NOW - 30_000 - 5 * HOUR, 100)
    assert len(tail) == 5  # stops at the last closed bar
    none_since = await mt5.history("EURUSD", "4h", None, 7)
    assert len(none_since) == 7
    with pytest.raises(InvalidOrderError, match="timeframe"):
        await mt5.latest_bars("EURUSD", "2h", 5)


async def test_filling_mode_follows_the_symbol(mt5: Mt5Adapter, module) -> None:
    for i, sym in enumerate(("EURUSD", "GBPUSD", "XAUUSD", "USDJPY")):
        order = await mt5.place_order(OrderIntent(f"fill-{i}", sym, Side.BUY, 0.01))
        assert order.status is OrderStatus.FILLED, sym
    fillings = {o["symbol"]: o["type_filling"] for o in module._terminal.history_orders.values()}
    assert fillings == {"EURUSD": C.ORDER_FILLING_FOK, "GBPUSD": C.ORDER_FILLING_FOK,
                        "XAUUSD": C.ORDER_FILLING_IOC, "USDJPY": C.ORDER_FILLING_RETURN}
    specs = await mt5.instruments()
    assert specs["XAUUSD"].asset_class == "metal" and specs["XAUUSD"].contract_size == 100
    assert specs["EURUSD"].asset_class == "fx" and specs["USDJPY"].tick_size == 0.001
    positions = await mt5.positions()
    assert len(positions) == 4 and all(p.virtual_asset == "DEMO" for p in positions)


async def test_retcodes_and_local_checks_map_to_the_taxonomy(mt5: Mt5Adapter, module) -> None:
    term = module._terminal
    with pytest.raises(InsufficientFundsError, match="money"):
        await mt5.place_order(OrderIntent("big", "EURUSD", Side.BUY, 100.0))
    with pytest.raises(InvalidOrderError, match="step"):
        await mt5.place_order(OrderIntent("odd", "EURUSD", Side.BUY, 0.015))
    term.retcodes_next = [10004]  # one requote: re-priced and sent again
    assert (await mt5.place_order(OrderIntent("rq", "EURUSD", Side.BUY, 0.01))).status is (
        OrderStatus.FILLED)
    term.retcodes_next = [10024]
    with pytest.raises(RateLimitError, match="too many"):
        await mt5.place_order(OrderIntent("tm", "EURUSD", Side.BUY, 0.01))
    term.algo_trading = False
    with pytest.raises(PermissionDeniedError, match="Algo Trading"):
        await mt5.place_order(OrderIntent("at", "EURUSD", Side.BUY, 0.01))
    term.algo_trading = True
    with pytest.raises(InvalidOrderError, match="positive price"):
        await mt5.place_order(OrderIntent("lp", "EURUSD", Side.BUY, 0.01, OrderType.LIMIT))
    q = await mt5.quote("EURUSD")
    with pytest.raises(InvalidOrderError, match="invalid price"):
        await mt5.place_order(OrderIntent("wp", "EURUSD", Side.BUY, 0.01, OrderType.LIMIT,
                                          limit_price=q.ask + 0.01))
    with pytest.raises(CapabilityError, match="reduce-only"):
        await mt5.place_order(OrderIntent("rp", "EURUSD", Side.SELL, 0.01, OrderType.LIMIT,
                                          limit_price=q.ask + 0.01, reduce_only=True))
    term.fail_next("order_send", -2, 'Invalid "volume" argument')
    with pytest.raises(InvalidOrderError, match="volume"):
        await mt5.place_order(OrderIntent("ia", "EURUSD", Side.BUY, 0.01))
    assert sum(1 for o in term.history_orders.values() if o["comment"] == "rq") == 1


def test_every_code_has_a_class_and_readable_message() -> None:
    assert isinstance(last_error_exception(-6, "Authorization failed", "login"),
                      AuthenticationError)
    assert isinstance(last_error_exception(-10005, "IPC timeout", "x"), VenueTimeoutError)
    assert isinstance(last_error_exception(-10001, "IPC send failed", "x"), ConnectionLostError)
    assert isinstance(last_error_exception(-10003, "x64 not found", "x"), SessionFatalError)
    assert isinstance(last_error_exception(-8, "disabled", "x"), PermissionDeniedError)
    odd = last_error_exception(-77, "odd", "x")
    assert type(odd) is VenueError and odd.code == -77
    for code in range(10004, 10047):
        exc = retcode_exception(code, "comment", "order_send")
        assert isinstance(exc, VenueError) and exc.code == code and "order_send" in str(exc)
    assert isinstance(retcode_exception(10019, "No money", "x"), InsufficientFundsError)
    assert isinstance(retcode_exception(10031, "No connection", "x"), ConnectionLostError)
    assert isinstance(retcode_exception(10012, "Timeout", "x"), VenueTimeoutError)


async def test_ipc_failure_reconnects_once(mt5: Mt5Adapter, module) -> None:
    module._terminal.drop_ipc()
    acc = await mt5.account()
    assert acc.equity > 0 and mt5.session.reconnects == 1
    module._terminal.fail_next("initialize", -10003, "IPC initialize failed, x64 not found")
    module._terminal.drop_ipc()
    with pytest.raises(SessionFatalError, match="64-bit terminal"):
        await mt5.positions()
    module._terminal.fail_next("positions_get", 1, "Success")  # "nothing" on some builds
    assert await mt5.positions() == []
    module._terminal.fail_next("positions_get", -10005, "IPC timeout", times=20)
    with pytest.raises(VenueTimeoutError):
        await mt5.positions()


async def test_login_failure_names_the_env_vars_not_the_password(module) -> None:
    bad = native_adapter(module, settings=mt5_settings(password="hunter2-wrong"))
    with pytest.raises(AuthenticationError, match="MT5_PASSWORD") as info:
        await bad.connect()
    assert "hunter2" not in str(info.value)
    assert module._terminal.initialized is False  # shut down after the failure


async def test_real_account_refused_for_demo_allowed_for_paper(module) -> None:
    module._terminal.trade_mode = C.ACCOUNT_TRADE_MODE_REAL
    with pytest.raises(LiveAccountRefused, match="acceptance_checklist"):
        await native_adapter(module).connect()
    paper = native_adapter(module, mode=Mode.PAPER)
    await paper.connect()
    try:
        assert paper.capabilities.trading is False
        assert (await paper.quote("XAUUSD")).bid > 0
        with pytest.raises(CapabilityError, match="paper"):
            await paper.place_order(OrderIntent("p", "EURUSD", Side.BUY, 0.01))
        with pytest.raises(CapabilityError):
            await paper.cancel_order("p", "EURUSD")
    finally:
        await paper.close()
    with pytest.raises(LiveTradingRefused):
        native_adapter(module, mode=Mode.LIVE)
    with pytest.raises(SessionFatalError, match="demo"):
        native_adapter(module, mode=Mode.VST)


async def test_pending_fill_restart_lookup_and_long_ids(mt5: Mt5Adapter, module) -> None:
    q = await mt5.quote("EURUSD")
    long_id = "strategy-breakout-eurusd-2026-01-05T12:00:00Z-0001"
    assert len(comment_for(long_id)) == 31
    await mt5.place_order(OrderIntent(long_id, "EURUSD", Side.BUY, 0.02, OrderType.LIMIT,
                                      limit_price=round(q.bid - 0.05, 5)))
    assert (await mt5.fetch_order(long_id, "EURUSD")).status is OrderStatus.NEW
    stop_px = round(q.ask + 0.0005, 5)
    placed = await mt5.place_order(OrderIntent("stp", "EURUSD", Side.BUY, 0.01, OrderType.STOP,
                                               stop_price=stop_px))
    assert placed.status is OrderStatus.NEW and placed.stop_price == stop_px
    clock = FixedClock(NOW)
    restarted = native_adapter(module, clock=clock)
    await restarted.connect()
    try:
        again = await restarted.place_order(OrderIntent("stp", "EURUSD", Side.BUY, 0.01,
                                                        OrderType.STOP, stop_price=1.5))
        assert again.venue_order_id == placed.venue_order_id  # found by comment: no resend
        assert (await restarted.fetch_order(long_id, "EURUSD")).qty == 0.02
        term = module._terminal
        while any(o["comment"] == "stp" for o in term.orders.values()):
            term.advance(300)
            assert term.now_utc_ms < NOW + 3 * 86_400_000, "the stop never triggered"
        clock.set(term.now_utc_ms)
        done = await restarted.fetch_order("stp", "EURUSD")
        assert done.status is OrderStatus.FILLED and done.avg_price == pytest.approx(stop_px)
        fills = await restarted.fills_since(NOW - HOUR, "EURUSD")
        assert [f.client_order_id for f in fills] == ["stp"] and fills[0].fee > 0
        assert fills[0].ts > NOW
        with pytest.raises(InvalidOrderError, match="no longer pending"):
            await restarted.cancel_order("stp", "EURUSD")
        canceled = await restarted.cancel_order(long_id, "EURUSD")
        assert canceled.status is OrderStatus.CANCELED
    finally:
        await restarted.close()


async def test_reduce_only_with_hedged_and_netting_accounts(module) -> None:
    hedged = native_adapter(module)
    await hedged.connect()
    try:
        for i in range(2):
            await hedged.place_order(OrderIntent(f"h{i}", "EURUSD", Side.BUY, 0.01))
        with pytest.raises(InvalidOrderError, match="several hedged positions"):
            await hedged.place_order(OrderIntent("h-close", "EURUSD", Side.SELL, 0.02,
                                                 reduce_only=True))
        await hedged.place_order(OrderIntent("h-c1", "EURUSD", Side.SELL, 0.01,
                                             reduce_only=True))
        assert sum(p.qty for p in await hedged.positions()) == pytest.approx(0.01)
    finally:
        await hedged.close()
    netting = fake_mt5.make_module(fake_mt5.TradingTerminal(margin_mode=0))  # RETAIL_NETTING
    net = native_adapter(netting)
    await net.connect()
    try:
        assert net.hedging is False
        await net.place_order(OrderIntent("n1", "GBPUSD", Side.SELL, 0.03))
        await net.place_order(OrderIntent("n2", "GBPUSD", Side.BUY, 0.02, reduce_only=True))
        (pos,) = await net.positions()
        assert pos.qty == pytest.approx(-0.01) and pos.symbol == "GBPUSD"
        with pytest.raises(InvalidOrderError, match="increase exposure"):
            await net.place_order(OrderIntent("n3", "GBPUSD", Side.BUY, 0.02, reduce_only=True))
    finally:
        await net.close()


async def test_ticks_unknown_symbols_and_capabilities(mt5: Mt5Adapter) -> None:
    ticks = await mt5.ticks("EURUSD", NOW - 60_000, 100)
    assert len(ticks) == 13 and int(ticks["time_msc"][0]) == NOW - 60_000
    assert np.all(ticks["ask"] > ticks["bid"])
    with pytest.raises(BadSymbolError, match="Market Watch"):
        await mt5.quote("NOPE")
    with pytest.raises(CapabilityError):
        await mt5.order_book("EURUSD")
    with pytest.raises(CapabilityError):
        await mt5.funding_rate("EURUSD")
    with pytest.raises(BadSymbolError, match="EURUSD.m"):
        await _connect_with(fake_mt5.make_module(), ["EURUSD", "EURUSD.m"])


async def _connect_with(module, symbols: list[str]) -> None:
    adapter = Mt5Adapter(Mt5AdapterConfig(mode="native"), mt5_settings(), mode=Mode.DEMO,
                         symbols=symbols, mt5_module=module, clock=FixedClock(NOW))
    await adapter.connect()


async def test_native_without_the_package_points_at_the_bridge() -> None:
    adapter = Mt5Adapter(Mt5AdapterConfig(mode="native"), mt5_settings(), mode=Mode.DEMO,
                         symbols=["EURUSD"], clock=FixedClock(NOW))
    with pytest.raises(SessionFatalError, match="mt5.mode: bridge"):
        await adapter.connect()


async def test_h4_and_d1_are_rebuilt_on_utc_boundaries(mt5: Mt5Adapter, module) -> None:
    four = 4 * HOUR
    h4 = await mt5.latest_bars("EURUSD", "4h", 6)
    assert len(h4) == 6 and np.all(h4.ts % four == 0)  # a UTC+2 server's H4 opens at 22:00 UTC
    assert int(h4.ts[-1]) == (NOW // four - 1) * four
    h1 = await mt5.history("EURUSD", "1h", int(h4.ts[0]), 400)
    for i, start in enumerate(h4.ts):
        inside = (h1.ts >= start) & (h1.ts < start + four)
        assert h4.open[i] == h1.open[inside][0] and h4.close[i] == h1.close[inside][-1]
        assert h4.high[i] == h1.high[inside].max() and h4.low[i] == h1.low[inside].min()
        assert h4.volume[i] == pytest.approx(h1.volume[inside].sum())
    paged = await mt5.history("EURUSD", "4h", int(h4.ts[0]), 3)
    assert list(paged.ts) == list(h4.ts[:3]) and np.allclose(paged.close, h4.close[:3])
    d1 = await mt5.history("EURUSD", "1d", NOW - 10 * 86_400_000, 30)
    assert np.all(d1.ts % 86_400_000 == 0) and int(d1.ts[-1]) + 86_400_000 <= NOW
    assert "copy_rates_from_pos" in module._terminal.calls


async def test_utc_server_uses_the_terminal_h4_bars_directly() -> None:
    term = fake_mt5.TradingTerminal(offset_s=0)
    module = fake_mt5.make_module(term)
    adapter = native_adapter(module)
    await adapter.connect()
    try:
        assert adapter.offset_s == 0
        bars = await adapter.latest_bars("EURUSD", "4h", 5)
        raw = module.copy_rates_from_pos("EURUSD", module.TIMEFRAME_H4, 1, 5)
        assert list(bars.ts) == list(raw["time"] * 1000)
    finally:
        await adapter.close()


async def test_symbol_dropped_from_market_watch_is_selected_again(mt5: Mt5Adapter, module) -> None:
    assert module.symbol_select("GBPUSD", False) is True
    assert module.symbol_info_tick("GBPUSD") is None
    q = await mt5.quote("GBPUSD")
    assert q.bid > 0 and "GBPUSD" in module._terminal.selected


async def test_exceptions_inside_the_module_become_venue_errors(mt5: Mt5Adapter, module) -> None:
    def broken() -> None:
        raise TypeError("Unnamed arguments not allowed")

    module.account_info = broken
    with pytest.raises(VenueError, match="account_info raised TypeError: Unnamed"):
        await mt5.account()
