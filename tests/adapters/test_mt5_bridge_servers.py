"""The bridge against servers nobody here wrote: mt5linux 1.1.1 (rpyc 6) as the docs tell a
user to start it, and an rpyc 5 server like the mt5linux 0.1.x/0.2.x ones most guides set up.

Both run in subprocesses on 127.0.0.1 with the fake ``MetaTrader5`` importable; the packages
come from ``tests/fakes/bridge_pkgs.py`` (CI installs them; a missing one fails the test).
What stays unproven offline: the real terminal behind a real Wine prefix."""

from __future__ import annotations

import asyncio
import re
import shlex
import sys
from pathlib import Path

import pytest
from venue_mt5 import BridgeServer, bridge_adapter

from ats.domain import OrderIntent, OrderStatus, Side
from broker_adapters.errors import SessionFatalError

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from fakes.bridge_pkgs import package_dir  # noqa: E402
from fakes.mt5_bridge_server import Mt5LinuxServer  # noqa: E402

DOC = Path(__file__).resolve().parents[2] / "docs" / "mt5_bridge.md"


def documented_server_args() -> list[str]:
    """The options after ``-m mt5linux`` in the Linux recipe, the port made a placeholder."""
    lines = [ln for ln in DOC.read_text().splitlines() if "-m mt5linux" in ln
             and ln.strip().startswith("wine ")]
    assert lines, "docs/mt5_bridge.md lost its `wine python.exe -m mt5linux ...` line"
    args = shlex.split(lines[0].split("-m mt5linux", 1)[1].split("#", 1)[0])
    return [re.sub(r"^18812$", "{port}", a) for a in args]


async def test_documented_mt5linux_server_carries_the_adapter() -> None:
    args = documented_server_args()
    assert "127.0.0.1" in args  # the recipe binds loopback, never 0.0.0.0
    server = await asyncio.to_thread(
        Mt5LinuxServer(package_dir("mt5linux-1.1.1"), args).start)
    adapter = bridge_adapter(server.port)
    try:
        await adapter.connect()
        assert adapter.offset_s == 7200
        bars = await adapter.latest_bars("EURUSD", "1h", 5)
        assert len(bars) == 5
        order = await adapter.place_order(OrderIntent("ml-1", "EURUSD", Side.BUY, 0.01))
        assert order.status is OrderStatus.FILLED
        assert [p.qty for p in await adapter.positions()] == [pytest.approx(0.01)]
    finally:
        await adapter.close()
        await asyncio.to_thread(server.stop)


async def test_rpyc5_server_is_named_at_connect_with_what_to_install() -> None:
    old = await asyncio.to_thread(
        BridgeServer(first_path=package_dir("rpyc-5.3.1")).start)
    adapter = bridge_adapter(old.port)
    try:
        with pytest.raises(SessionFatalError) as info:
            await adapter.connect()
    finally:
        await adapter.close()
        await asyncio.to_thread(old.stop)
    text = str(info.value)
    assert "invalid message type: 18" in text and "rpyc 5.x" in text
    assert "mt5linux==1.1.1" in text and "docs/mt5_bridge.md" in text
    assert not isinstance(info.value.__cause__, ValueError)  # not a bare ValueError


def test_mt5linux_package_is_the_real_wheel() -> None:
    pkg = package_dir("mt5linux-1.1.1")
    meta = (pkg / "mt5linux-1.1.1.dist-info" / "METADATA").read_text()
    assert "Requires-Dist: rpyc<7,>=6.0.0" in meta
    entry = (pkg / "mt5linux" / "__main__.py").read_text()
    assert "ClassicServer" in entry
