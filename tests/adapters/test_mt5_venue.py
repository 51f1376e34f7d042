"""MetaTrader 5 as the terminal behaves: server time from several symbols (and again when
daylight saving moves it), filling per MetaQuotes' rules, stops and freeze levels, volume
step and limit, SL/TP executed by the server.

The fake module (tests/fakes/MetaTrader5) follows the official package and MQL5 docs; each
test names the mismatch it guards."""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
import pytest
from venue_mt5 import fake_mt5, native_adapter

from ats.domain import FixedClock, OrderIntent, OrderStatus, OrderType, Side
from broker_adapters.errors import InvalidOrderError
from broker_adapters.mt5 import Mt5Adapter
from broker_adapters.mt5 import constants as C

NOW = fake_mt5.DEFAULT_NOW_MS
HOUR = 3_600_000
SPEC = fake_mt5._market.SymbolSpec  # type: ignore[attr-defined]


def term_with(**symbols: object) -> fake_mt5.TradingTerminal:
    specs = dict(fake_mt5._market.DEFAULT_SYMBOLS)  # type: ignore[attr-defined]
    specs.update(symbols)
    return fake_mt5.TradingTerminal(symbols=specs)


async def connected(term: fake_mt5.TradingTerminal, **kw: object) -> Mt5Adapter:
    a = native_adapter(fake_mt5.make_module(term), **kw)
    await a.connect()
    return a


# ---------------------------------------------------------------- server time
async def test_stale_ticks_give_the_whole_hour_offset_with_a_warning(
        caplog: pytest.LogCaptureFixture) -> None:
    term = fake_mt5.TradingTerminal()
    term.quiet_s = 50 * 60  # nothing traded for 50 minutes on any symbol
    caplog.set_level(logging.WARNING)
    a = await connected(term)
    try:
        assert a.offset_s == 7200  # not +1.25 h
        assert "uncertain" in a.offset_note and "server_utc_offset_hours" in a.offset_note
        assert "uncertain" in caplog.text
    finally:
        await a.close()


async def test_one_fresh_symbol_is_enough_and_pins_the_grid() -> None:
    term = fake_mt5.TradingTerminal()
    a = await connected(term)
    try:
        assert a.offset_s == 7200 and a.offset_note == ""
        calls = [c for c in term.calls if c in ("symbol_info_tick", "copy_rates_from_pos")]
        assert calls.count("symbol_info_tick") >= 4 and "copy_rates_from_pos" in calls
    finally:
        await a.close()


async def test_daylight_saving_change_during_a_run_is_followed() -> None:
    term = fake_mt5.TradingTerminal()
    clock = FixedClock(NOW)
    a = await connected(term, clock=clock)
    try:
        assert a.offset_s == 7200
        term.offset_s = 10_800  # the broker moved to summer time
        term.set_now(NOW + HOUR + 60_000)
        clock.set(NOW + HOUR + 60_000)
        bars = await a.latest_bars("EURUSD", "1h", 3)
        assert a.offset_s == 10_800
        raw = a.session.terminal._module.copy_rates_from_pos(  # type: ignore[attr-defined]
            "EURUSD", C.TIMEFRAMES["1h"], 1, 3)
        assert list((raw["time"] - 10_800) * 1000) == list(bars.ts)
        assert int(bars.ts[-1]) + HOUR <= clock.now_ms()
    finally:
        await a.close()


# ---------------------------------------------------------------- filling
async def test_filling_follows_metaquotes_rules() -> None:
    market_no_flags = SPEC("US500", 5000.0, 2, 1, 0, 50, "USD", "USD", "Indices\\US500")
    instant_no_flags = replace(market_no_flags, name="US30", path="Indices\\US30",
                               trade_exemode=C.SYMBOL_TRADE_EXECUTION_MARKET - 1)
    term = term_with(US500=market_no_flags, US30=instant_no_flags)
    mod = fake_mt5.make_module(term)
    a = native_adapter(mod)
    a.symbols = ("EURUSD", "US500", "US30")
    await a.connect()
    try:
        done = await a.place_order(OrderIntent("r-1", "US500", Side.BUY, 0.01))
        assert done.status is OrderStatus.FILLED  # RETURN: allowed with Market execution
        with pytest.raises(InvalidOrderError, match="accepts no filling mode"):
            await a.place_order(OrderIntent("r-2", "US30", Side.BUY, 0.01))
    finally:
        await a.close()
    fills = {o["comment"]: o["type_filling"] for o in term.history_orders.values()}
    assert fills == {"r-1": C.ORDER_FILLING_RETURN}
    # the fake itself refuses RETURN outside Market/Exchange execution
    term.initialized = True
    q = mod.symbol_info_tick("US30")
    check = mod.order_check({"action": 1, "symbol": "US30", "volume": 0.01, "type": 0,
                             "price": q.ask, "type_filling": C.ORDER_FILLING_RETURN})
    assert check.retcode == 10030


# ---------------------------------------------------------------- stops and freeze levels
async def test_stop_inside_the_stops_level_is_moved_and_wrong_side_refused() -> None:
    term = fake_mt5.TradingTerminal()
    a = await connected(term)
    try:
        q = await a.quote("XAUUSD")  # stops level 50 points = 0.50
        order = await a.place_order(OrderIntent("s-1", "XAUUSD", Side.BUY, 0.01,
                                                stop_loss=round(q.bid - 0.10, 2),
                                                take_profit=round(q.bid + 0.20, 2)))
        assert order.status is OrderStatus.FILLED
        (pos,) = [p for p in await a.positions() if p.symbol == "XAUUSD"]
        assert pos.stop == pytest.approx(round(q.bid - 0.51, 2))
        assert pos.take == pytest.approx(round(q.bid + 0.51, 2))
        with pytest.raises(InvalidOrderError, match="wrong side"):
            await a.place_order(OrderIntent("s-2", "XAUUSD", Side.BUY, 0.01,
                                            stop_loss=round(q.ask + 1.0, 2)))
        with pytest.raises(InvalidOrderError, match="stops level"):
            await a.place_order(OrderIntent("s-3", "XAUUSD", Side.BUY, 0.01, OrderType.LIMIT,
                                            limit_price=round(q.ask - 0.10, 2)))
    finally:
        await a.close()


async def test_fake_rejects_invalid_stops_with_10016() -> None:
    term = fake_mt5.TradingTerminal()
    mod = fake_mt5.make_module(term)
    mod.initialize()
    mod.symbol_select("XAUUSD", True)
    tick = mod.symbol_info_tick("XAUUSD")
    req = {"action": 1, "symbol": "XAUUSD", "volume": 0.01, "type": 0, "price": tick.ask,
           "sl": round(tick.bid - 0.10, 2), "type_filling": C.ORDER_FILLING_IOC}
    assert mod.order_check(req).retcode == 10016
    assert mod.order_send(req).retcode == 10016
    assert mod.order_send({**req, "sl": round(tick.bid - 0.60, 2)}).retcode == 10009


async def test_server_closes_at_the_stop_and_trailing_moves_it() -> None:
    term = fake_mt5.TradingTerminal()
    clock = FixedClock(NOW)
    a = await connected(term, clock=clock)
    try:
        q = await a.quote("EURUSD")
        await a.place_order(OrderIntent("t-1", "EURUSD", Side.BUY, 0.01, strategy="s",
                                        stop_loss=round(q.bid - 0.0100, 5)))
        legs = await a.set_protection("EURUSD", stop=round(q.bid - 0.0005, 5))
        assert legs["sl"].client_order_id == "t-1-sl"
        assert legs["sl"].stop_price == pytest.approx(round(q.bid - 0.0005, 5))
        (pos,) = await a.positions()
        assert pos.stop == pytest.approx(round(q.bid - 0.0005, 5))
        while term.positions:
            term.advance(600)
            assert term.now_utc_ms < NOW + 3 * 86_400_000, "the stop never triggered"
        clock.set(term.now_utc_ms)
        (exit_deal,) = [d for d in term.deals if d["reason"] == 4]  # DEAL_REASON_SL
        assert exit_deal["price"] == pytest.approx(pos.stop)
        fills = await a.fills_since(NOW, "EURUSD")
        assert [f.side for f in fills] == [Side.BUY, Side.SELL]
        assert fills[-1].price == pytest.approx(pos.stop)
        assert fills[-1].client_order_id == "t-1-sl"  # named after the entry, like elsewhere
        assert await a.positions() == []
        with pytest.raises(InvalidOrderError, match="no open position"):
            await a.set_protection("EURUSD", stop=1.0)
    finally:
        await a.close()


async def test_freeze_level_refuses_and_cancel_clears_the_stops() -> None:
    term = fake_mt5.TradingTerminal()
    a = await connected(term)
    try:
        q = await a.quote("XAUUSD")
        await a.place_order(OrderIntent("f-1", "XAUUSD", Side.BUY, 0.01,
                                        stop_loss=round(q.bid - 0.60, 2)))
        term.symbols["XAUUSD"].freeze_level = 100  # 1.00: the stop is now inside it
        a._info.pop("XAUUSD")
        with pytest.raises(InvalidOrderError, match="freeze level"):
            await a.set_protection("XAUUSD", stop=round(q.bid - 2.0, 2))
        term.symbols["XAUUSD"].freeze_level = 0
        a._info.pop("XAUUSD")
        canceled = await a.cancel_protection("XAUUSD")
        assert [o.status for o in canceled] == [OrderStatus.CANCELED]
        (pos,) = await a.positions()
        assert pos.stop is None
    finally:
        await a.close()


# ---------------------------------------------------------------- volume
async def test_volume_is_sent_on_the_step_and_clamped_to_the_limit() -> None:
    term = fake_mt5.TradingTerminal()
    a = await connected(term)
    try:
        await a.place_order(OrderIntent("v-1", "EURUSD", Side.BUY, 0.1 + 0.2))
        (sent,) = [o["volume_initial"] for o in term.history_orders.values()
                   if o["comment"] == "v-1"]
        assert sent == 0.3 and repr(sent) == "0.3"  # not 0.30000000000000004
        await a.place_order(OrderIntent("v-2", "XAUUSD", Side.BUY, 0.8))  # limit 1.0 lot
        clamped = await a.place_order(OrderIntent("v-3", "XAUUSD", Side.BUY, 0.5))
        assert clamped.qty == pytest.approx(0.2) and clamped.status is OrderStatus.FILLED
        with pytest.raises(InvalidOrderError, match="volume_limit"):
            await a.place_order(OrderIntent("v-4", "XAUUSD", Side.BUY, 0.1))
        short = await a.place_order(OrderIntent("v-5", "XAUUSD", Side.SELL, 0.3,
                                                reduce_only=True))
        assert short.status is OrderStatus.FILLED  # closing is never limited
    finally:
        await a.close()
    mod = fake_mt5.make_module(term)
    mod.initialize()
    tick = mod.symbol_info_tick("XAUUSD")
    check = mod.order_check({"action": 1, "symbol": "XAUUSD", "volume": 0.9, "type": 0,
                             "price": tick.ask, "type_filling": C.ORDER_FILLING_IOC})
    assert check.retcode == 10034
    assert np.isclose(sum(p["volume"] for p in term.positions.values()
                          if p["symbol"] == "XAUUSD"), 0.7)
