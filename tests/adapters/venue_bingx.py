"""BingX VST for the contract suite: the real ccxt client against the local fake server."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from contract_case import VenueCase, VenueControl, register, unregister
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
                 settings: Settings | None = None, clock: FixedClock | None = None,
                 position_mode: str = "one_way", **extra: Any) -> BingxAdapter:
    """An adapter aimed at ``fake``: tiny timeouts, no throttle, instant retries."""
    cfg = BingxAdapterConfig(base_url=fake.base_url, timeout_ms=timeout_ms,
                             position_mode=position_mode)  # type: ignore[arg-type]
    extra.setdefault("retry_base_delay", 0.001)
    return BingxAdapter(
        cfg, settings or bingx_settings(), mode=mode, symbols=["BTC/USDT:USDT", "ETH/USDT:USDT"],
        clock=clock or FixedClock(fake.now_ms), exchange_options={"enableRateLimit": False},
        **extra,
    )


def _opener(hedge: bool):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def open_bingx() -> AsyncIterator[BingxAdapter]:
        async with FakeBingx(hedge_mode=hedge) as fake:
            clock = FixedClock(fake.now_ms)
            mode = "keep" if hedge else "one_way"
            adapter = make_adapter(fake, clock=clock, position_mode=mode)

            async def advance(ms: int) -> None:
                fake.now_ms += ms
                clock.advance(ms)

            reopened: list[BingxAdapter] = []

            def reopen() -> BingxAdapter:
                reopened.append(make_adapter(fake, clock=clock, position_mode=mode))
                return reopened[-1]

            register(adapter, VenueControl(advance=advance, reopen=reopen))
            try:
                yield adapter
            finally:
                unregister(adapter)
                for a in [adapter, *reopened]:
                    await a.close()

    return open_bingx


open_bingx = _opener(hedge=False)

VENUES: dict[str, VenueCase] = {
    "bingx": VenueCase(open=open_bingx, symbol="BTC/USDT:USDT", timeframe="1h", qty=0.001,
                       min_history=500),
    # the same contract on an account in hedge mode (positionSide LONG/SHORT)
    "bingx-hedge": VenueCase(open=_opener(hedge=True), symbol="BTC/USDT:USDT", timeframe="1h",
                             qty=0.001, min_history=500),
}
