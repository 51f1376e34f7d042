"""BingX VST for the contract suite: the real ccxt client against the local fake server."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from contract_case import VenueCase
from pydantic import SecretStr

from ats.config.models import BingxAdapterConfig
from ats.config.settings import Settings
from ats.domain import FixedClock, Mode
from broker_adapters.bingx import BingxAdapter

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from fakes.bingx_server import FakeBingx  # noqa: E402


def bingx_settings(key: str = "fake-key", secret: str = "fake-secret") -> Settings:
    return Settings(mode=Mode.VST, bingx_api_key=SecretStr(key),
                    bingx_api_secret=SecretStr(secret))


def make_adapter(fake: FakeBingx, *, mode: Mode = Mode.VST, timeout_ms: int = 1500,
                 settings: Settings | None = None, **extra: Any) -> BingxAdapter:
    """An adapter aimed at ``fake``: tiny timeouts, no throttle, instant retries."""
    cfg = BingxAdapterConfig(base_url=fake.base_url, timeout_ms=timeout_ms)
    extra.setdefault("retry_base_delay", 0.001)
    return BingxAdapter(
        cfg, settings or bingx_settings(), mode=mode, symbols=["BTC/USDT:USDT", "ETH/USDT:USDT"],
        clock=FixedClock(fake.now_ms), exchange_options={"enableRateLimit": False}, **extra,
    )


@asynccontextmanager
async def open_bingx() -> AsyncIterator[BingxAdapter]:
    async with FakeBingx() as fake:
        adapter = make_adapter(fake)
        try:
            yield adapter
        finally:
            await adapter.close()


VENUES: dict[str, VenueCase] = {
    "bingx": VenueCase(open=open_bingx, symbol="BTC/USDT:USDT", timeframe="1h", qty=0.001,
                       min_history=500),
}
