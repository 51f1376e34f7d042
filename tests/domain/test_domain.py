from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import numpy as np
import pytest

from ats.domain import Bars, FixedClock, Side, SimulatedClock, timeframe_ms
from ats.domain.clock import datetime_to_ms, ms_to_datetime
from ats.domain.costs import CostModel
from ats.domain.types import OrderStatus, Quote


def _bars(n: int) -> Bars:
    ts = np.arange(n, dtype=np.int64) * 60_000
    c = np.linspace(100, 110, n)
    return Bars.from_arrays("X", "1m", ts, c, c + 1, c - 1, c, np.ones(n))


def test_bars_shape_checks_and_slicing() -> None:
    b = _bars(10)
    assert len(b) == 10 and b.spread.shape == (10,)
    assert len(b.tail(3)) == 3 and b.tail(3).ts[0] == 7 * 60_000
    assert b.last_ts == 9 * 60_000
    both = b.slice(0, 5).concat(b.slice(5))
    assert np.array_equal(both.close, b.close)
    with pytest.raises(ValueError, match="rows"):
        Bars("X", "1m", b.ts, b.open[:3], b.high, b.low, b.close, b.volume, b.spread)
    with pytest.raises(ValueError, match="different"):
        b.concat(Bars.empty("Y", "1m"))
    assert Bars.empty("X", "1m").last_ts is None


def test_timeframes() -> None:
    assert timeframe_ms("4h") == 4 * 3_600_000
    with pytest.raises(ValueError, match="unknown timeframe"):
        timeframe_ms("7m")


def test_side_and_status() -> None:
    assert Side.BUY.sign == 1 and Side.SELL.opposite is Side.BUY
    assert OrderStatus.FILLED.is_terminal and not OrderStatus.PARTIAL.is_terminal
    q = Quote("X", 0, 99.0, 101.0)
    assert q.mid == 100.0 and q.spread == 2.0


def test_clocks() -> None:
    c = FixedClock(1_000)
    asyncio.run(c.sleep(2.5))
    assert c.now_ms() == 3_500
    c.advance(500)
    assert c.now_ms() == 4_000
    s = SimulatedClock(0, speed=3600)
    assert s.now_ms() >= 0 and s.speed == 3600
    with pytest.raises(ValueError):
        SimulatedClock(0, speed=0)
    dt = datetime(2026, 1, 5, tzinfo=UTC)
    assert ms_to_datetime(datetime_to_ms(dt)) == dt
    with pytest.raises(ValueError, match="naive"):
        datetime_to_ms(datetime(2026, 1, 5))


def test_cost_model_charges_against_the_trader() -> None:
    c = CostModel(taker_fee=0.0005, maker_fee=0.0002, slippage_bps_base=1.0,
                  depth_impact_bps=10.0, vol_impact=0.0)
    slip = c.slippage_bps(5, 10)
    assert slip == pytest.approx(6.0)
    assert c.taker_price(Side.BUY, 100.0, 100.2, slip) > 100.2
    assert c.taker_price(Side.SELL, 100.0, 100.2, slip) < 100.0
    assert c.fee(10_000) == pytest.approx(5.0) and c.fee(10_000, maker=True) == pytest.approx(2.0)
    assert c.slippage_bps(1, 0) == pytest.approx(11.0)
