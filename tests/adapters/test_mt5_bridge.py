"""The RPyC bridge path: a real classic server in a subprocess hosting the fake MetaTrader5."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
import rpyc
from venue_mt5 import BridgeServer, bridge_adapter

from ats.domain import OrderIntent, OrderStatus, Side
from broker_adapters.errors import ConnectionLostError, InvalidOrderError, SessionFatalError
from broker_adapters.mt5.terminal import BridgeTerminal


@pytest.fixture
async def server():
    srv = await asyncio.to_thread(BridgeServer().start)
    yield srv
    await asyncio.to_thread(srv.stop)


def _control(port: int) -> rpyc.Connection:
    """A second classic connection: the test's remote control of the fake terminal."""
    return rpyc.classic.connect("127.0.0.1", port)


async def test_results_cross_by_value(server: BridgeServer) -> None:
    term = BridgeTerminal("127.0.0.1", server.port, 5)
    await asyncio.to_thread(term.open)
    try:
        ok, err = await asyncio.to_thread(term.call, "initialize")
        assert ok is True and err == (1, "Success")
        rates, _ = await asyncio.to_thread(term.call, "copy_rates_from_pos", "EURUSD", 16385,
                                           0, 10)
        assert type(rates) is np.ndarray and rates.dtype.names[-1] == "real_volume"
        assert rates.dtype["time"] == np.dtype("<i8") and len(rates) == 10
        info, _ = await asyncio.to_thread(term.call, "symbol_info", "XAUUSD")
        assert type(info) is dict and info["filling_mode"] == 2
        res, _ = await asyncio.to_thread(term.call, "order_check", {
            "action": 1, "symbol": "EURUSD", "volume": 0.01, "type": 0, "type_filling": 0})
        assert type(res) is dict and type(res["request"]) is dict and res["retcode"] == 0
        missing, err = await asyncio.to_thread(term.call, "symbol_info", "NOPE")
        assert missing is None and err == (-4, "Terminal: Not found")
    finally:
        await asyncio.to_thread(term.close)


async def test_bridge_trades_and_reconnects_after_ipc_loss(server: BridgeServer) -> None:
    adapter = bridge_adapter(server.port)
    await adapter.connect()
    control = _control(server.port)
    try:
        assert adapter.offset_s == 7200
        order = await adapter.place_order(OrderIntent("br-1", "XAUUSD", Side.BUY, 0.01))
        assert order.status is OrderStatus.FILLED and order.virtual_asset == "DEMO"
        control.modules.MetaTrader5._terminal.drop_ipc()
        assert (await adapter.positions())[0].qty == pytest.approx(0.01)
        assert adapter.session.reconnects == 1
        remote_calls = list(control.modules.MetaTrader5._terminal.calls)
        assert remote_calls.count("initialize") == 2
        with pytest.raises(InvalidOrderError, match="increase exposure"):
            await adapter.place_order(OrderIntent("br-2", "XAUUSD", Side.BUY, 0.01,
                                                  reduce_only=True))
    finally:
        control.close()
        await adapter.close()


async def test_server_death_then_restart_on_the_same_port() -> None:
    first = await asyncio.to_thread(BridgeServer().start)
    adapter = bridge_adapter(first.port, retry_attempts=1)
    second: BridgeServer | None = None
    try:
        await adapter.connect()
        await asyncio.to_thread(first.stop)
        with pytest.raises(ConnectionLostError, match="docs/mt5_bridge.md"):
            await adapter.account()
        second = await asyncio.to_thread(BridgeServer(first.port).start)  # a fresh terminal
        acc = await adapter.account()
        assert acc.equity > 0 and adapter.session.reconnects >= 2
    finally:
        await adapter.close()
        await asyncio.to_thread(first.stop)
        if second is not None:
            await asyncio.to_thread(second.stop)


async def test_unreachable_bridge_is_a_clear_connection_error() -> None:
    probe = BridgeServer().start()
    port = probe.port
    probe.stop()
    adapter = bridge_adapter(port, retry_attempts=1)
    with pytest.raises(ConnectionLostError, match=f"127.0.0.1:{port}"):
        await adapter.connect()


async def test_bridge_without_metatrader5_is_fatal() -> None:
    srv = await asyncio.to_thread(BridgeServer(with_fake=False).start)
    try:
        adapter = bridge_adapter(srv.port)
        with pytest.raises(SessionFatalError, match="pip install MetaTrader5"):
            await adapter.connect()
    finally:
        await asyncio.to_thread(srv.stop)


async def test_hung_terminal_times_out_and_the_session_recovers(server: BridgeServer) -> None:
    terminal = BridgeTerminal("127.0.0.1", server.port, 0.4, margin_seconds=0.0)
    adapter = bridge_adapter(server.port, terminal=terminal, retry_attempts=1)
    await adapter.connect()
    control = _control(server.port)
    try:
        control.modules.MetaTrader5._terminal.delay_next("account_info", 1.0)
        acc = await adapter.account()  # timed out once, reconnected, answered
        assert acc.equity > 0 and adapter.session.reconnects == 1
        control.modules.MetaTrader5._terminal.delay_next("account_info", 1.0, times=3)
        with pytest.raises(ConnectionLostError, match="no answer to account_info"):
            await adapter.account()
    finally:
        control.close()
        await adapter.close()
