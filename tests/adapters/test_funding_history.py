"""Funding history: BingX through ccxt against the fake's fundingRate endpoint, and the
mock market's own funding and basis dynamics."""

from __future__ import annotations

import numpy as np
import pytest
from venue_bingx import FakeBingx, make_adapter

from ats.domain import FixedClock
from broker_adapters.base import FundingHistorySource
from broker_adapters.errors import BadSymbolError, CapabilityError
from broker_adapters.mock import MockMarket, parse_start
from broker_adapters.mock.funding import FUNDING_MS

BTC = "BTC/USDT:USDT"
EIGHT_H = 8 * 3_600_000


async def test_bingx_funding_history_is_the_venue_endpoint_oldest_first() -> None:
    async with FakeBingx() as fake:
        a = make_adapter(fake, retry_attempts=1)
        await a.connect()
        try:
            assert isinstance(a, FundingHistorySource)
            rows = await a.funding_history(BTC, None, 120)
            assert len(rows) == 120
            ts = [r.ts for r in rows]
            assert ts == sorted(ts) and set(np.diff(ts)) == {EIGHT_H}
            assert ts[-1] <= fake.now_ms < ts[-1] + EIGHT_H  # only settled rates
            assert rows[-1].rate == pytest.approx(fake.funding_at("BTC-USDT", ts[-1]))
            since = ts[10] - 1
            part = await a.funding_history(BTC, since, 5)
            assert [r.ts for r in part] == ts[10:15]
            paths = [p for p in fake.paths() if "fundingRate" in p]
            assert paths and paths[-1].endswith("/swap/v2/quote/fundingRate")
            with pytest.raises(BadSymbolError):
                await a.funding_history("DOGE/USDT:USDT", None, 5)
        finally:
            await a.close()


async def test_fake_refuses_a_limit_bingx_refuses() -> None:
    async with FakeBingx() as fake:
        from fakes.bingx_private import ApiError

        with pytest.raises(ApiError):
            fake.h_funding({"symbol": "BTC-USDT", "limit": "1001"})


async def test_mock_funding_and_basis_have_their_own_dynamics() -> None:
    start = parse_start("2026-01-05T00:00:00Z")
    clock = FixedClock(start + 5 * 3_600_000)
    m = MockMarket(clock=clock, seed=3, symbols=(BTC, "EURUSD"), history_days=3)
    await m.connect()
    hist = await m.funding_history(BTC, None, 200)  # reaches back before the price origin
    assert len(hist) == 200 and hist[-1].ts == start
    rates = np.array([f.rate for f in hist])
    assert rates.std() > 5e-5 and abs(rates.mean() - 1e-4) < 1e-4
    assert np.corrcoef(rates[:-1], rates[1:])[0, 1] > 0.5  # persistent, not white noise
    z = (rates[-90:] - rates[-90:].mean()) / rates[-90:].std()
    assert (np.abs(z) >= 2).any()  # extremes FundingReversion can fade
    fr = await m.funding_rate(BTC)
    assert fr.rate == pytest.approx(hist[-1].rate) and fr.next_funding_ts == start + FUNDING_MS
    assert fr.mark_price != fr.index_price  # a basis, unlike mark == index before
    basis = [m.funding.basis(BTC, start + h * 3_600_000) for h in range(48)]
    assert np.std(basis) > 5e-5
    again = MockMarket(clock=FixedClock(start + 5 * 3_600_000), seed=3, symbols=(BTC,),
                       history_days=30)
    assert [f.rate for f in await again.funding_history(BTC, None, 50)] == \
        [f.rate for f in hist[-50:]]  # a pure function: restarts see the same history
    with pytest.raises(CapabilityError):
        await m.funding_history("EURUSD", None, 5)
