"""Mock market: determinism, consistent windows, closed bars only, correlation, scenarios."""

from __future__ import annotations

import numpy as np
import pytest

from ats.domain import FixedClock, OrderIntent, OrderStatus, OrderType, Regime, Side
from broker_adapters.errors import (
    BadSymbolError,
    CapabilityError,
    ConnectionLostError,
    RateLimitError,
)
from broker_adapters.mock import MockMarket, Scenario, parse_start
from broker_adapters.mock.paths import BLOCK_MS, DAY_MS
from broker_adapters.mock.profiles import REGIME_INDEX
from broker_adapters.retry import with_retries

H = 3_600_000
M = 60_000
NOW = parse_start("2026-01-20T12:34:56Z")
BTC, ETH = "BTC/USDT:USDT", "ETH/USDT:USDT"


def market(now: int = NOW, **kw) -> MockMarket:  # type: ignore[no-untyped-def]
    return MockMarket(clock=FixedClock(now), **kw)


def log_returns(close: np.ndarray) -> np.ndarray:
    return np.diff(np.log(close))


async def test_same_seed_same_bars_different_seed_different() -> None:
    a = await market(seed=5).latest_bars(BTC, "15m", 300)
    b = await market(seed=5).latest_bars(BTC, "15m", 300)
    c = await market(seed=6).latest_bars(BTC, "15m", 300)
    for col in ("ts", "open", "high", "low", "close", "volume", "spread"):
        np.testing.assert_array_equal(getattr(a, col), getattr(b, col))
    assert not np.array_equal(a.close, c.close)


async def test_any_window_in_any_order_gives_the_same_bars() -> None:
    since = NOW - 200 * H
    whole = await market(seed=3).history(EURUSD := "EURUSD", "1h", since, 150)
    m = market(seed=3)
    late = await m.history(EURUSD, "1h", since + 70 * H, 80)  # the later window first
    early = await m.history(EURUSD, "1h", since, 70)
    joined = early.concat(late)
    np.testing.assert_array_equal(joined.ts, whole.ts)
    np.testing.assert_array_equal(joined.close, whole.close)
    np.testing.assert_array_equal(joined.high, whole.high)


async def test_higher_timeframes_aggregate_the_minutes() -> None:
    m = market(seed=9)
    four = await m.history(BTC, "4h", NOW - 3 * 4 * H, 2)
    ones = await m.history(BTC, "1m", int(four.ts[0]), 240)
    assert len(ones) == 240
    assert four.open[0] == ones.open[0] and four.close[0] == ones.close[-1]
    assert four.high[0] == ones.high.max() and four.low[0] == ones.low.min()
    assert four.volume[0] == pytest.approx(ones.volume.sum())
    # the minute path is continuous: each bar opens where the previous closed
    np.testing.assert_allclose(ones.open[1:], ones.close[:-1])


async def test_only_closed_bars_are_served() -> None:
    hour = NOW // H * H
    clock = FixedClock(hour - 1)
    m = MockMarket(clock=clock, seed=1)
    bars = await m.latest_bars(BTC, "1h", 3)
    assert int(bars.ts[-1]) == hour - 2 * H
    hist = await m.history(BTC, "1h", hour - 5 * H, 100)
    assert int(hist.ts[-1]) == hour - 2 * H
    assert len(await m.history(BTC, "1h", hour - H, 10)) == 0  # the forming bar
    clock.set(hour)
    bars = await m.latest_bars(BTC, "1h", 3)
    assert int(bars.ts[-1]) == hour - H
    later = await market(hour + 10 * H, seed=1).history(BTC, "1h", hour - H, 1)
    assert later.close[0] == bars.close[-1]  # served on closing == served much later


async def test_before_origin_there_is_nothing() -> None:
    m = market(seed=1, history_days=10)
    assert len(await m.history(BTC, "1h", m.origin_ms - 50 * H, 10)) == 10
    assert int((await m.history(BTC, "1h", m.origin_ms - 50 * H, 10)).ts[0]) == m.origin_ms
    early = market(now=m.origin_ms + 30 * M, seed=1, history_days=10)
    assert len(await early.latest_bars(BTC, "1h", 5)) == 0


@pytest.mark.parametrize(("rho", "low", "high"), [(0.9, 0.65, 1.0), (0.0, -0.25, 0.25),
                                                  (-0.8, -1.0, -0.5)])
async def test_measured_correlation_follows_configuration(rho: float, low: float,
                                                           high: float) -> None:
    m = market(seed=11, correlation=rho)
    a = await m.latest_bars(BTC, "1h", 24 * 40)
    b = await m.latest_bars(ETH, "1h", 24 * 40)
    measured = np.corrcoef(log_returns(a.close), log_returns(b.close))[0, 1]
    assert low < measured < high, measured


async def test_cross_group_correlation_is_low() -> None:
    m = market(seed=11, correlation=0.9)
    a = await m.latest_bars(BTC, "1h", 24 * 40)
    b = await m.latest_bars("EURUSD", "1h", 24 * 40)
    assert abs(np.corrcoef(log_returns(a.close), log_returns(b.close))[0, 1]) < 0.4


async def test_every_regime_occurs_and_stress_widens_spreads_and_volume() -> None:
    m = market(seed=2)
    prof = m.profiles[BTC]
    n_blocks = (NOW - m.origin_ms) // BLOCK_MS
    regs = m.gen.schedule(prof.group).upto(n_blocks)
    assert set(np.unique(regs)) == set(REGIME_INDEX.values())
    days = (NOW - m.origin_ms) // DAY_MS
    minutes = m.gen.minutes(prof, 0, days * 1440)
    reg_m = np.repeat(regs[: days * 96], 15)
    calm = reg_m == REGIME_INDEX[Regime.RANGE_LOWVOL]
    panic = reg_m == REGIME_INDEX[Regime.PANIC]
    rel_spread = minutes["spread"] / minutes["close"]
    assert rel_spread[panic].mean() > 3 * rel_spread[calm].mean()
    assert minutes["volume"][panic].mean() > 3 * minutes["volume"][calm].mean()
    rng = (minutes["high"] - minutes["low"]) / minutes["close"]
    assert rng[panic].mean() > 3 * rng[calm].mean()


async def test_volume_follows_time_of_day() -> None:
    m = market(seed=2)
    v = (await m.latest_bars("EURUSD", "1h", 24 * 60)).volume
    ts = (await m.latest_bars("EURUSD", "1h", 24 * 60)).ts
    hour = (ts // H) % 24
    assert v[hour == 14].mean() > 1.5 * v[hour == 2].mean()


async def test_scripted_crash_and_drift_override() -> None:
    start = NOW // H * H
    crash = Scenario(segments=((Regime.PANIC, 6), (Regime.RANGE_LOWVOL, 6)), timeframe="1h")
    m = market(now=start, seed=4, scenario=crash)
    assert m.gen.regime_at(m.profiles[BTC], start) == REGIME_INDEX[Regime.PANIC]
    assert m.gen.regime_at(m.profiles[BTC], start + 6 * H) == REGIME_INDEX[Regime.RANGE_LOWVOL]
    k0 = (start - m.origin_ms) // H
    bars = m.bars_between(BTC, "1h", k0, k0 + 6)
    assert bars.close[-1] < 0.95 * bars.open[0]
    base = market(now=start, seed=4)
    bleed = market(now=start, seed=4, scenario=Scenario(drift_per_hour={"EURUSD": -0.002}))
    before = [x.bars_between("EURUSD", "1h", k0 - 10, k0) for x in (base, bleed)]
    np.testing.assert_array_equal(before[0].close, before[1].close)  # the past is untouched
    after = [x.bars_between("EURUSD", "1h", k0 + 199, k0 + 200) for x in (base, bleed)]
    diff = np.log(after[1].close[0] / after[0].close[0])
    assert diff == pytest.approx(-0.4, abs=0.002)


async def test_quote_book_and_funding() -> None:
    m = market(seed=8)
    q = await m.quote(BTC)
    assert 0 < q.bid < q.ask and q.bid <= q.last <= q.ask
    last = await m.latest_bars(BTC, "1m", 1)
    assert q.last == last.close[-1]
    book = await m.order_book(BTC, 5)
    assert len(book.bids) == len(book.asks) == 5
    assert book.bids[0].price == q.bid and book.asks[0].price == q.ask
    assert all(lv.size > 0 for lv in book.bids + book.asks)
    fr = await m.funding_rate(BTC)
    assert abs(fr.rate) <= 0.0075 and fr.next_funding_ts % (8 * H) == 0
    with pytest.raises(CapabilityError):
        await m.funding_rate("EURUSD")
    with pytest.raises(BadSymbolError, match="NOPE"):
        await m.history("NOPE", "1h", None, 5)


async def test_generic_symbol_gets_a_path() -> None:
    m = market(seed=1, symbols=["SPX500"])
    spec = (await m.instruments())["SPX500"]
    assert spec.asset_class == "index"
    assert len(await m.latest_bars("SPX500", "1h", 10)) == 10


async def test_fail_next_simulates_outage_and_retries_recover() -> None:
    m = market(seed=1)
    m.fail_next(2)
    with pytest.raises(ConnectionLostError):
        await m.quote(BTC)
    waits: list[float] = []

    async def sleep(s: float) -> None:
        waits.append(s)

    q = await with_retries(lambda: m.quote(BTC), attempts=3, base_delay=0.1, sleep=sleep)
    assert q.bid > 0 and len(waits) == 1
    m.fail_next(1, exc=RateLimitError)
    with pytest.raises(RateLimitError):
        await m.server_time()
    m.fail_next(5)
    m.heal()
    assert await m.server_time() == NOW


async def test_closed_market_refuses_until_reconnected() -> None:
    m = market(seed=1)
    await m.connect()
    await m.close()
    with pytest.raises(ConnectionLostError, match="connect"):
        await m.quote(BTC)
    await m.connect()
    assert m.connected and (await m.quote(BTC)).ask > 0


async def test_stream_yields_each_bar_as_it_closes() -> None:
    clock = FixedClock(NOW)
    m = MockMarket(clock=clock, seed=1)
    got = []
    async for bar in m.stream_bars(BTC, "1m"):
        got.append(bar)
        if len(got) == 3:
            break
    ts = [int(b.ts[0]) for b in got]
    assert ts == [NOW // M * M + i * M for i in range(3)]
    assert clock.now_ms() >= ts[-1] + M  # the clock had to reach each close
    hist = await m.history(BTC, "1m", ts[0], 3)
    np.testing.assert_array_equal(hist.close, [b.close[0] for b in got])


async def test_resting_limit_fills_when_price_comes_down() -> None:
    clock = FixedClock(NOW // M * M + 5_000)
    m = MockMarket(clock=clock, seed=21, starting_balance=1e6, virtual_asset="VST")
    k = (clock.now_ms() - m.origin_ms) // M
    future = m.bars_between(BTC, "1m", k, k + 180)
    q = await m.quote(BTC)
    limit = round(float(future.close.min()) + 4 * float(future.spread.max()), 1)
    assert limit < q.ask, "precondition: the path dips below the current ask"
    order = await m.place_order(
        OrderIntent("lim-1", BTC, Side.BUY, 0.01, OrderType.LIMIT, limit_price=limit)
    )
    assert order.status is OrderStatus.NEW
    for _ in range(180):
        clock.advance(M)
        await m.process_pending()
        if (await m.fetch_order("lim-1", BTC)).status is OrderStatus.FILLED:
            break
    filled = await m.fetch_order("lim-1", BTC)
    assert filled.status is OrderStatus.FILLED and filled.avg_price == limit
    fill = (await m.fills_since(0))[0]
    assert fill.liquidity == "maker" and fill.virtual_asset == "VST"
    assert (await m.quote(BTC)).ask <= limit
    positions = await m.positions()
    assert positions[0].qty == pytest.approx(0.01) and positions[0].virtual_asset == "VST"


async def test_accelerated_clock_streams_bars_in_wall_milliseconds() -> None:
    from ats.domain import SimulatedClock

    start = NOW // M * M
    clock = SimulatedClock(start + M - 50, speed=60_000.0)  # a minute per wall millisecond
    m = MockMarket(clock=clock, seed=1)
    got = []
    async for bar in m.stream_bars(BTC, "1m", since_ms=start):
        got.append(int(bar.ts[0]))
        assert got[-1] + M <= clock.now_ms()  # never a forming bar, even at 60 000x
        if len(got) == 5:
            break
    assert got == [start + i * M for i in range(5)]
