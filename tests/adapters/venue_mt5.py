"""MetaTrader 5 for the contract suite: the fake module in-process, and the same fake behind
an RPyC classic server in a subprocess (the bridge path, as on a Linux desktop)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import rpyc
from contract_case import VenueCase, VenueControl, register, unregister
from pydantic import SecretStr

from ats.config.models import Mt5AdapterConfig
from ats.config.settings import Settings
from ats.domain import FixedClock, Mode
from broker_adapters.mt5 import Mt5Adapter

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from fakes import MetaTrader5 as fake_mt5  # noqa: E402
from fakes.mt5_bridge_server import BridgeServer  # noqa: E402

SYMBOLS = ["EURUSD", "GBPUSD", "USDJPY", "XAUUSD"]


def mt5_settings(password: str = "demo-pass", mode: Mode = Mode.DEMO) -> Settings:
    return Settings(mode=mode, mt5_login=5012345, mt5_password=SecretStr(password),
                    mt5_server="FakeBroker-Demo")


def native_adapter(module: Any | None = None, *, mode: Mode = Mode.DEMO,
                   settings: Settings | None = None, **extra: Any) -> Mt5Adapter:
    """An adapter on a fresh in-process fake (or ``module``); instant retries."""
    extra.setdefault("retry_base_delay", 0.001)
    extra.setdefault("clock", FixedClock(fake_mt5.DEFAULT_NOW_MS))
    return Mt5Adapter(Mt5AdapterConfig(mode="native"), settings or mt5_settings(mode=mode),
                      mode=mode, symbols=SYMBOLS, mt5_module=module or fake_mt5.make_module(),
                      **extra)


def bridge_adapter(port: int, *, mode: Mode = Mode.DEMO, **extra: Any) -> Mt5Adapter:
    extra.setdefault("retry_base_delay", 0.001)
    extra.setdefault("clock", FixedClock(fake_mt5.DEFAULT_NOW_MS))
    cfg = Mt5AdapterConfig(mode="bridge", host="127.0.0.1", port=port, timeout_seconds=5)
    return Mt5Adapter(cfg, mt5_settings(mode=mode), mode=mode, symbols=SYMBOLS, **extra)


def _opener(margin_mode: int):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def open_native() -> AsyncIterator[Mt5Adapter]:
        term = fake_mt5.TradingTerminal(margin_mode=margin_mode)
        module = fake_mt5.make_module(term)
        clock = FixedClock(fake_mt5.DEFAULT_NOW_MS)
        adapter = native_adapter(module, clock=clock)
        others: list[Mt5Adapter] = []

        async def advance(ms: int) -> None:
            term.advance(ms / 1000)
            clock.advance(ms)

        def reopen() -> Mt5Adapter:
            others.append(native_adapter(module, clock=clock))
            return others[-1]

        register(adapter, VenueControl(advance=advance, reopen=reopen))
        try:
            yield adapter
        finally:
            unregister(adapter)
            for a in [adapter, *others]:
                await a.close()

    return open_native


open_native = _opener(2)  # ACCOUNT_MARGIN_MODE_RETAIL_HEDGING


@asynccontextmanager
async def open_bridge() -> AsyncIterator[Mt5Adapter]:
    server = await asyncio.to_thread(BridgeServer().start)
    clock = FixedClock(fake_mt5.DEFAULT_NOW_MS)
    adapter = bridge_adapter(server.port, clock=clock)
    others: list[Mt5Adapter] = []
    remote = await asyncio.to_thread(rpyc.classic.connect, "127.0.0.1", server.port)

    async def advance(ms: int) -> None:  # the test's remote control of the fake terminal
        await asyncio.to_thread(remote.modules["MetaTrader5"]._terminal.advance, ms / 1000)
        clock.advance(ms)

    def reopen() -> Mt5Adapter:
        others.append(bridge_adapter(server.port, clock=clock))
        return others[-1]

    register(adapter, VenueControl(advance=advance, reopen=reopen))
    try:
        yield adapter
    finally:
        unregister(adapter)
        for a in [adapter, *others]:
            await a.close()
        remote.close()
        await asyncio.to_thread(server.stop)


VENUES: dict[str, VenueCase] = {
    "mt5": VenueCase(open=open_native, symbol="EURUSD", timeframe="1h", qty=0.01),
    # the same contract on a netting account (one position per symbol)
    "mt5-netting": VenueCase(open=_opener(0), symbol="EURUSD", timeframe="1h", qty=0.01),
    "mt5-bridge": VenueCase(open=open_bridge, symbol="EURUSD", timeframe="1h", qty=0.01),
}
