"""Mock market at many symbols: the day cache holds every symbol, shared shocks are reused,
tomorrow is prefetched through the evening, and none of it changes a single price."""

from __future__ import annotations

import numpy as np

from ats.domain import FixedClock
from broker_adapters.mock import MockMarket, parse_start
from broker_adapters.mock.paths import DAY_MIN, DAY_MS, GLOBAL_ID, MINUTE_MS, PathGenerator, _rng
from broker_adapters.mock.profiles import profile_for
from broker_adapters.mock.profiles import stable_id as sid

ORIGIN = parse_start("2026-01-01T00:00:00Z")
SYMS = [f"SYN{i:04d}" for i in range(40)] + ["BTC/USDT:USDT", "EURUSD"]


class CountingGen(PathGenerator):
    """Counts the days actually generated (cache misses)."""

    made = 0

    def _make_day(self, prof, d):  # type: ignore[no-untyped-def]
        self.made += 1
        return super()._make_day(prof, d)


def test_more_symbols_than_the_cache_floor_hit_the_cache() -> None:
    gen = CountingGen(seed=3, origin_ms=ORIGIN, cache_days=8)  # floor far below 42 symbols
    profs = [profile_for(s) for s in SYMS]
    for p in profs:
        gen.minutes(p, 3 * DAY_MIN + 10, 3 * DAY_MIN + 15)
    assert gen.made == len(profs)
    for _ in range(3):  # the next bars of the same day: no symbol-day is rebuilt
        for p in profs:
            gen.minutes(p, 3 * DAY_MIN + 20, 3 * DAY_MIN + 25)
    assert gen.made == len(profs)
    assert gen.cache_capacity >= 2 * len(profs)


def test_shared_shocks_equal_a_fresh_generator_per_symbol() -> None:
    """The cached global/group streams are exactly the ones the old code drew per symbol."""
    gen = PathGenerator(seed=9, origin_ms=ORIGIN)
    prof = profile_for("ETH/USDT:USDT")
    sp = gen.path(prof)
    z, own = sp.shocks(5, 2, DAY_MIN, extra=4)
    ld = sp.load
    g = _rng(9, GLOBAL_ID, 5, 2).standard_normal(DAY_MIN)
    c = _rng(9, sid(prof.group), 5, 2).standard_normal(DAY_MIN)
    o = _rng(9, sid(prof.symbol), 5, 2).standard_normal((5, DAY_MIN))
    np.testing.assert_array_equal(z, ld.glob * g + ld.group * c + ld.own * o[0])
    np.testing.assert_array_equal(own, o[1:])
    assert not gen.common(GLOBAL_ID, 5, 2, DAY_MIN).flags.writeable


def test_days_are_identical_whatever_the_cache_or_order() -> None:
    big = PathGenerator(seed=5, origin_ms=ORIGIN)
    tiny = PathGenerator(seed=5, origin_ms=ORIGIN, cache_days=1)
    profs = [profile_for(s) for s in SYMS[:6]]
    for d in (2, 0, 1):
        for p in profs:
            big.day(p, d)
    for d in (0, 1, 2):
        for p in reversed(profs):
            a, b = big.day(p, d), tiny.day(p, d)
            for col in a:
                np.testing.assert_array_equal(a[col], b[col])


async def test_prefetch_spreads_tomorrow_over_the_evening_and_keeps_prices() -> None:
    """Served 1m bars through an evening: each symbol's next day is built once, before
    midnight, a few symbols per minute — and the bars after midnight are the same ones a
    market that never prefetched serves."""
    start = ORIGIN + 5 * DAY_MS + 18 * 3_600_000
    clock = FixedClock(start)
    mk = MockMarket(clock=clock, seed=11, symbols=SYMS, start=ORIGIN, history_days=0)
    made: list[int] = []
    real = mk.gen._make_day

    def counting(prof, d):  # type: ignore[no-untyped-def]
        made.append(d)
        return real(prof, d)

    mk.gen._make_day = counting  # type: ignore[method-assign]
    per_minute: list[int] = []
    for _ in range(6 * 60):  # 18:00 -> 00:00
        clock.advance(MINUTE_MS)
        before = len(made)
        for s in SYMS:
            await mk.latest_bars(s, "1m", 1)
        per_minute.append(len(made) - before)
    tomorrow = 5 + 1
    assert made.count(tomorrow) == len(SYMS)  # every symbol, exactly once, before midnight
    assert max(per_minute[1:]) <= 3  # spread out, not all in one minute
    clock.advance(5 * MINUTE_MS)
    fresh = MockMarket(clock=FixedClock(clock.now_ms()), seed=11, symbols=SYMS, start=ORIGIN,
                       history_days=0)
    n = len(made)
    for s in SYMS:
        a = await mk.latest_bars(s, "1m", 30)
        b = await fresh.latest_bars(s, "1m", 30)
        np.testing.assert_array_equal(a.close, b.close)
        np.testing.assert_array_equal(a.spread, b.spread)
    assert len(made) == n  # nothing rebuilt after midnight


def test_the_day_cache_stays_bounded_over_a_long_run() -> None:
    """Memory flat over a long run: the cache never holds more than three days per symbol
    (a fixed 512-day cache once grew for weeks of simulated time and looked like a leak)."""
    gen = PathGenerator(seed=1, origin_ms=ORIGIN)
    profs = [profile_for(s) for s in SYMS[:5]]
    sizes = []
    for d in range(40):
        for minute in (0, 600, 1300, 1439):
            for p in profs:
                gen.minutes(p, d * DAY_MIN + minute, d * DAY_MIN + minute + 1)
                gen.prefetch(p, d * DAY_MIN + minute)
        sizes.append(len(gen._days))
    assert gen.cache_capacity == max(16, 3 * len(profs))
    assert max(sizes) <= gen.cache_capacity and sizes[-1] == sizes[10]
    assert len(gen._common) <= 64


def test_paths_grown_together_equal_paths_grown_alone() -> None:
    """The vectorized growth over symbols is bit-identical to the per-symbol loop, with
    groups, a negatively loaded symbol, a scripted scenario and a per-symbol drift."""
    from ats.domain import Regime
    from broker_adapters.mock import Scenario
    from broker_adapters.mock.paths import BLOCKS_PER_DAY, EPOCH_BLOCKS

    syms = ["BTC/USDT:USDT", "ETH/USDT:USDT", "EURUSD", "GBPUSD", "USDJPY", "XAUUSD",
            "SYN0001", "SYN0002"]
    scen = Scenario(segments=((Regime.PANIC, 40), (Regime.TREND_UP, 300)), timeframe="15m",
                    start_ms=ORIGIN + 70 * DAY_MS, drift_per_hour={"ETH/USDT:USDT": -0.001})
    together = PathGenerator(seed=8, origin_ms=ORIGIN, scenario=scen, correlation=-0.4)
    profs = [profile_for(s) for s in syms]
    for p in profs:
        together.path(p)
    n = 2 * EPOCH_BLOCKS + 5 * BLOCKS_PER_DAY  # three epochs, scripted part in the second
    got = {p.symbol: together.path(p).levels_upto(n).copy() for p in profs}
    for p in profs:
        alone = PathGenerator(seed=8, origin_ms=ORIGIN, scenario=scen, correlation=-0.4)
        ref = alone.path(p).levels_upto(n)
        assert ref.tobytes() == got[p.symbol].tobytes(), p.symbol
        sp, sq = alone.path(p), together.path(p)
        assert (sp._anchor, sp._prev) == (sq._anchor, sq._prev)
    assert {profile_for(s).sign for s in syms} == {1.0, -1.0}  # both loadings covered
    assert len({profile_for(s).group for s in syms}) >= 4
