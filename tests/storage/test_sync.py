"""The synchronizer against the real mock market on a FixedClock."""

from __future__ import annotations

import numpy as np
import pytest

from ats.domain import FixedClock, OrderIntent, Side, timeframe_ms
from broker_adapters.errors import AuthenticationError, ConnectionLostError
from broker_adapters.mock import MockMarket, parse_start
from storage.dao import PersistDAO
from storage.sync import Synchronizer

START = parse_start("2026-01-05T00:00:00Z")
NOW = START + 7 * 60_000 + 30_000  # mid-minute: the 00:07 bar is still forming


def market(clock: FixedClock, symbols: tuple[str, ...] = ("EURUSD", "BTC/USDT:USDT")) -> MockMarket:
    return MockMarket(clock=clock, seed=7, symbols=symbols, history_days=30)


def syncer(dao: PersistDAO, mk: MockMarket, clock: FixedClock, **kw: object) -> Synchronizer:
    opts: dict[str, object] = dict(symbols=("EURUSD", "BTC/USDT:USDT"), timeframes=("1m", "1h"),
                                   backfill_bars=120, poll_interval=60.0, retry_base_delay=0.01)
    opts.update(kw)
    return Synchronizer(mk, dao, clock, **opts)  # type: ignore[arg-type]


def assert_contiguous(dao: PersistDAO, symbol: str, tf: str, newest_closed: int) -> np.ndarray:
    ts = dao.read_bars(symbol, tf).ts
    assert len(ts) and ts[-1] == newest_closed
    assert (np.diff(ts) == timeframe_ms(tf)).all()
    assert dao.get_cursor("mock", symbol, tf, "bars") == ts[-1]
    return ts


async def test_once_backfills_exactly_and_matches_the_venue(dao: PersistDAO) -> None:
    clock = FixedClock(NOW)
    mk = market(clock)
    summary = await syncer(dao, mk, clock, batch_size=50).run()
    assert summary.errors == 0 and summary.aborted is None
    newest_1m = START + 6 * 60_000
    ts = assert_contiguous(dao, "EURUSD", "1m", newest_1m)
    assert len(ts) == 120
    assert len(assert_contiguous(dao, "BTC/USDT:USDT", "1h", START - 3_600_000)) == 120
    assert summary.target("EURUSD", "1m", "bars").batches == 3  # 50 + 50 + 20
    venue = await mk.history("EURUSD", "1m", int(ts[0]), 120)
    stored = dao.read_bars("EURUSD", "1m")
    np.testing.assert_array_equal(stored.close, venue.close)
    np.testing.assert_array_equal(stored.ts, venue.ts)
    assert [s.symbol for s in dao.load_instruments("mock")] == ["BTC/USDT:USDT", "EURUSD"]
    logs = dao.sync_logs()
    assert logs[-1].phase == "run" and logs[-1].rows == summary.rows == 480
    assert {(r.symbol, r.timeframe) for r in logs if r.phase == "backfill" and r.rows} == {
        ("EURUSD", "1m"), ("EURUSD", "1h"), ("BTC/USDT:USDT", "1m"), ("BTC/USDT:USDT", "1h")}


async def test_rerun_is_idempotent(dao: PersistDAO) -> None:
    clock = FixedClock(NOW)
    mk = market(clock)
    await syncer(dao, mk, clock).run()
    sql = "SELECT timeframe, count(*), sum(close) FROM bars GROUP BY timeframe ORDER BY 1"
    with dao.db.read() as conn:
        before = conn.execute(sql).fetchall()
    again = await syncer(dao, mk, clock).run()
    assert again.rows == 0
    with dao.db.read() as conn:
        assert conn.execute(sql).fetchall() == before
    # --since over rows already stored re-reads them and changes nothing
    second = await syncer(dao, mk, clock, since_ms=START - 43_200_000).run()
    assert second.target("EURUSD", "1h", "bars").rows == 0
    assert second.target("EURUSD", "1m", "bars").rows == 720 + 7 - 120
    assert dao.bar_count("EURUSD", "1h") == 120
    assert_contiguous(dao, "EURUSD", "1m", START + 6 * 60_000)


async def test_resume_after_time_passes_has_no_gap(dao: PersistDAO) -> None:
    clock = FixedClock(NOW)
    mk = market(clock)
    await syncer(dao, mk, clock).run()
    clock.advance(45 * 60_000)
    s = await syncer(dao, mk, clock).run()
    assert s.target("EURUSD", "1m", "bars").rows == 45
    ts = assert_contiguous(dao, "EURUSD", "1m", START + 51 * 60_000)
    assert len(ts) == 165


async def test_follow_polls_with_a_fixed_clock(dao: PersistDAO) -> None:
    clock = FixedClock(NOW)
    mk = market(clock)
    sync = syncer(dao, mk, clock, timeframes=("1m",), ticks=True)
    summary = await sync.run(follow=True, max_polls=3)
    assert summary.polls == 3
    assert summary.target("EURUSD", "1m", "bars").rows == 123  # one new bar per 60 s poll
    assert_contiguous(dao, "EURUSD", "1m", START + 9 * 60_000)
    with dao.db.read() as conn:
        ticks = conn.execute("SELECT count(*), count(DISTINCT ts) FROM ticks "
                             "WHERE symbol='EURUSD'").fetchall()[0]
    assert ticks[0] == ticks[1] == 4  # backfill pass + 3 polls, one quote per minute
    assert any(r.phase == "follow" and r.rows == 1 for r in dao.sync_logs())


async def test_since_backfills_from_the_given_time(dao: PersistDAO) -> None:
    clock = FixedClock(NOW)
    mk = market(clock)
    since = START - 3 * 86_400_000
    await syncer(dao, mk, clock, timeframes=("1h",), since_ms=since + 1).run()
    ts = assert_contiguous(dao, "EURUSD", "1h", START - 3_600_000)
    assert ts[0] == since and len(ts) == 72


async def test_retryable_errors_back_off_and_recover(dao: PersistDAO) -> None:
    clock = FixedClock(NOW)
    mk = market(clock)
    mk.fail_next(2)  # instruments() fails twice, then works
    t0 = clock.now_ms()
    summary = await syncer(dao, mk, clock, timeframes=("1h",)).run()
    assert summary.errors == 0 and dao.bar_count("EURUSD", "1h") == 120
    assert clock.now_ms() > t0  # the backoff slept on the clock


async def test_persistent_failure_is_logged_and_the_rest_continues(dao: PersistDAO) -> None:
    clock = FixedClock(NOW)
    mk = market(clock)
    sync = syncer(dao, mk, clock, timeframes=("1h",), retry_attempts=2)
    original = mk.history

    async def flaky(symbol: str, timeframe: str, since_ms: int | None, limit: int):  # type: ignore[no-untyped-def]
        if symbol == "EURUSD":
            raise ConnectionLostError("socket closed", venue="mock")
        return await original(symbol, timeframe, since_ms, limit)

    mk.history = flaky  # type: ignore[method-assign]
    summary = await sync.run()
    assert summary.target("EURUSD", "1h", "bars").errors == 1
    assert dao.bar_count("EURUSD", "1h") == 0
    assert dao.bar_count("BTC/USDT:USDT", "1h") == 120
    errors = [r for r in dao.sync_logs() if r.status == "error"]
    assert errors and "socket closed" in (errors[0].error or "")
    assert errors[0].symbol == "EURUSD"


async def test_session_fatal_aborts(dao: PersistDAO) -> None:
    clock = FixedClock(NOW)
    mk = market(clock)
    mk.fail_next(1, AuthenticationError)
    summary = await syncer(dao, mk, clock).run(follow=True)
    assert summary.aborted and "simulated failure" in summary.aborted
    assert dao.bar_count("EURUSD", "1m") == 0
    assert dao.sync_logs()[-1].status == "error"


async def test_unknown_symbol_is_skipped(dao: PersistDAO) -> None:
    clock = FixedClock(NOW)
    mk = market(clock)
    summary = await syncer(dao, mk, clock, symbols=("EURUSD", "NOPE"), timeframes=("1h",)).run(
        follow=True, max_polls=2)
    assert summary.target("NOPE", "1h", "bars").errors == 1  # asked once, then left alone
    assert dao.bar_count("EURUSD", "1h") == 120


async def test_fills_and_orders_are_mirrored_once(dao: PersistDAO) -> None:
    clock = FixedClock(NOW)
    mk = market(clock)
    await mk.connect()
    fetched: list[str] = []
    real_fetch = mk.fetch_order

    async def counting_fetch(client_order_id: str, symbol: str):  # type: ignore[no-untyped-def]
        fetched.append(client_order_id)
        return await real_fetch(client_order_id, symbol)

    mk.fetch_order = counting_fetch  # type: ignore[method-assign]
    order = await mk.place_order(OrderIntent("c1", "EURUSD", Side.BUY, 0.1))
    await syncer(dao, mk, clock, timeframes=("1h",)).run()
    fills = dao.load_fills()
    assert [f.client_order_id for f in fills] == ["c1"] and fills[0].symbol == "EURUSD"
    assert [o.client_order_id for o in dao.load_orders()] == [order.client_order_id]
    assert dao.get_cursor("mock", "*", "", "fills") == fills[0].ts
    clock.advance(60_000)
    await mk.place_order(OrderIntent("c2", "EURUSD", Side.SELL, 0.1))
    await syncer(dao, mk, clock, timeframes=("1h",)).run()
    assert [f.client_order_id for f in dao.load_fills()] == ["c1", "c2"]
    await syncer(dao, mk, clock, timeframes=("1h",)).run()
    assert fetched == ["c1", "c2"]  # each order fetched once, however often we poll
    assert dao.get_run("sync:mock") is not None


async def test_stop_request_stops_after_the_batch_in_flight(dao: PersistDAO) -> None:
    clock = FixedClock(NOW)
    mk = market(clock)
    calls: list[tuple[str, str, int, int]] = []
    sync = syncer(dao, mk, clock, batch_size=30)

    def progress(symbol: str, tf: str, done: int, total: int) -> None:
        calls.append((symbol, tf, done, total))
        sync.request_stop()

    sync.on_progress = progress
    summary = await sync.run(follow=True)
    assert summary.stopped
    assert dao.bar_count("EURUSD", "1m") == 30
    assert dao.get_cursor("mock", "EURUSD", "1m", "bars") == dao.last_bar_ts("EURUSD", "1m")
    assert dao.bar_count("EURUSD", "1h") == 0


def test_cursor_moves_in_the_same_transaction(dao: PersistDAO,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.storage.helpers import make_bars

    bars = make_bars(n=10)

    def broken(*a: object, **k: object) -> None:
        raise RuntimeError("crash between rows and cursor")

    monkeypatch.setattr(dao, "set_cursor", broken)
    with pytest.raises(RuntimeError):
        dao.store_bars(bars, "mock", ts=NOW)
    assert dao.bar_count("EURUSD", "1m") == 0
    monkeypatch.undo()
    assert dao.store_bars(bars, "mock", ts=NOW) == 10
    assert dao.get_cursor("mock", "EURUSD", "1m", "bars") == int(bars.ts[-1])
    dao.set_cursor("mock", "EURUSD", "1m", "bars", int(bars.ts[0]), ts=NOW)  # never rewinds
    assert dao.get_cursor("mock", "EURUSD", "1m", "bars") == int(bars.ts[-1])
    assert dao.cursors("mock") == [("mock", "EURUSD", "1m", "bars", int(bars.ts[-1]))]


def test_unknown_timeframe_is_refused(dao: PersistDAO) -> None:
    clock = FixedClock(NOW)
    with pytest.raises(ValueError, match="unknown timeframe"):
        syncer(dao, market(clock), clock, timeframes=("7m",))


async def test_nan_bars_from_the_venue_are_dropped_and_reported(dao: PersistDAO) -> None:
    clock = FixedClock(NOW)
    mk = market(clock)
    original = mk.history

    async def poisoned(symbol: str, timeframe: str, since_ms: int | None, limit: int):  # type: ignore[no-untyped-def]
        bars = await original(symbol, timeframe, since_ms, limit)
        if len(bars):
            bars.close[0] = float("nan")  # the first bar of every batch is broken
        return bars

    mk.history = poisoned  # type: ignore[method-assign]
    summary = await syncer(dao, mk, clock, symbols=("EURUSD",), timeframes=("1h",),
                           batch_size=40).run()
    report = summary.target("EURUSD", "1h", "bars")
    assert report.rows == 117 and report.errors == 3  # 3 batches, one bad bar each
    assert "NaN" in (report.last_error or "")
    assert dao.bar_count("EURUSD", "1h") == 117
    assert dao.get_cursor("mock", "EURUSD", "1h", "bars") == START - 3_600_000
    assert sum(1 for r in dao.sync_logs() if r.status == "error") == 3
