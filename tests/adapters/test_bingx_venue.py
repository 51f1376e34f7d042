"""BingX as the real service behaves: position modes, stops resting at the venue, fill rows
without a side and with two time fields, rate-limit code 100410, secrets in error texts.

The real ccxt client talks to the fake (``tests/fakes/bingx_server.py``), which refuses what
BingX refuses; each test names the mismatch it guards.
"""

from __future__ import annotations

import logging
from pathlib import Path

import ccxt.async_support as ccxt
import pytest
from venue_bingx import FakeBingx, bingx_settings, make_adapter

from ats.config.models import BingxAdapterConfig
from ats.domain import FixedClock, Mode, OrderIntent, OrderStatus, OrderType, Side
from broker_adapters.bingx import BingxAdapter
from broker_adapters.bingx.venue_state import fill_time
from broker_adapters.errors import AuthenticationError, InvalidOrderError, SessionFatalError

BTC = "BTC/USDT:USDT"
MIN = 60_000


@pytest.fixture
async def fake():
    async with FakeBingx() as server:
        yield server


def adapter_for(fake: FakeBingx, position_mode: str = "one_way", **kw) -> BingxAdapter:  # type: ignore[no-untyped-def]
    a = make_adapter(fake, retry_attempts=1, **kw)
    a.cfg = BingxAdapterConfig(base_url=fake.base_url, timeout_ms=1500,
                               position_mode=position_mode)  # type: ignore[arg-type]
    return a


def advance(fake: FakeBingx, a: BingxAdapter, ms: int) -> None:
    fake.now_ms += ms
    assert isinstance(a._clock, FixedClock)
    a._clock.advance(ms)


def first_touch(fake: FakeBingx, level: float, below: bool, horizon_ms: int = 6 * 3_600_000
                ) -> int:
    """When the fake's price path first reaches ``level`` (15 s resolution)."""
    for t in range(fake.now_ms + 15_000, fake.now_ms + horizon_ms, 15_000):
        p = fake.price_at("BTC-USDT", t)
        if (p <= level) if below else (p >= level):
            return t
    raise AssertionError("the price path never reaches the level")


# ---------------------------------------------------------------- the fake refuses like BingX
async def test_fake_refuses_a_position_side_that_does_not_fit_the_mode(fake: FakeBingx) -> None:
    ex = ccxt.bingx({"apiKey": "fake-key", "secret": "fake-secret",
                     "options": {"defaultType": "swap"}, "enableRateLimit": False})
    ex.set_sandbox_mode(True)
    ex.urls["api"] = {k: fake.base_url for k in ex.urls["api"]}
    try:
        await ex.load_markets()
        fake.hedge_mode = True
        with pytest.raises(ccxt.BadRequest, match="Hedge mode"):  # ccxt's default: BOTH
            await ex.create_order(BTC, "market", "buy", 0.001)
        fake.hedge_mode = False
        with pytest.raises(ccxt.BadRequest, match="One-way mode.*BOTH"):
            await ex.create_order(BTC, "market", "buy", 0.001, None, {"hedged": True})
        fake.clock_skew_ms = 30_000  # our clock 30 s behind the venue's
        with pytest.raises(ccxt.BadSymbol, match="timestamp mismatch"):  # ccxt's class for it
            await ex.fetch_balance({"type": "swap"})
        fake.clock_skew_ms = 0
        ex.secret = "other"
        with pytest.raises(ccxt.AuthenticationError, match="Signature"):
            await ex.fetch_balance({"type": "swap"})
    finally:
        await ex.close()
    assert not fake.fills


async def test_fake_fill_rows_have_no_side_and_both_time_fields(fake: FakeBingx) -> None:
    a = adapter_for(fake)
    await a.connect()
    try:
        await a.place_order(OrderIntent("t-1", BTC, Side.SELL, 0.001))
    finally:
        await a.close()
    (row,) = fake.h_fills({"symbol": "BTC-USDT", "startTs": str(fake.now_ms - MIN),
                           "endTs": str(fake.now_ms)})["fill_orders"]
    assert "side" not in row
    assert row["filledTm"].endswith("Z") and row["filledTime"].endswith("+0800")
    assert row["filledTm"][:19] == row["filledTime"][:19]  # same wall-clock digits


# ---------------------------------------------------------------- fills
def test_fill_time_reads_the_right_field() -> None:
    ts = 1_702_731_516_000  # 2023-12-16T12:58:36Z
    assert fill_time({"filledTm": "2023-12-16T20:58:36Z",
                      "filledTime": "2023-12-16T20:58:36.000+0800"}, ts + 8 * 3_600_000) == ts
    assert fill_time({"filledTm": "2023-07-04T20:56:01.000+0800"}, None) == 1_688_475_361_000
    assert fill_time({"filledTm": "2023-12-16T20:58:36Z"}, None) == ts  # Beijing digits
    assert fill_time({}, 42) == 42


async def test_fill_time_and_side_after_a_restart(fake: FakeBingx) -> None:
    a = adapter_for(fake)
    await a.connect()
    try:
        await a.place_order(OrderIntent("s-1", BTC, Side.SELL, 0.002))
    finally:
        await a.close()
    filled_at = fake.fills[-1]["_ts"]
    other = adapter_for(fake)  # a restarted process: it never saw "s-1"
    await other.connect()
    try:
        (fill,) = await other.fills_since(fake.now_ms - MIN, BTC)
    finally:
        await other.close()
    assert fill.side is Side.SELL  # from the order lookup, not a default "buy"
    assert fill.client_order_id == "s-1" and fill.ts == filled_at  # not 8 h later
    assert any(p.endswith("/trade/order") and m == "GET" for m, p, _ in fake.requests)


# ---------------------------------------------------------------- position modes
async def test_hedge_account_gets_long_and_short_position_sides(fake: FakeBingx) -> None:
    fake.hedge_mode = True
    a = adapter_for(fake, position_mode="keep")
    await a.connect()
    try:
        assert a.hedged
        buy = await a.place_order(OrderIntent("h-1", BTC, Side.BUY, 0.002))
        out = await a.place_order(OrderIntent("h-2", BTC, Side.SELL, 0.002, reduce_only=True))
        positions = await a.positions()
    finally:
        await a.close()
    assert buy.status is out.status is OrderStatus.FILLED and positions == []
    sent = [q for m, p, q in fake.requests if m == "POST" and p.endswith("/trade/order")]
    assert [q["positionSide"] for q in sent] == ["LONG", "LONG"]  # the close names its side


async def test_configured_mode_is_set_when_flat_and_kept_when_not(fake: FakeBingx) -> None:
    fake.hedge_mode = True
    a = adapter_for(fake, position_mode="one_way")
    await a.connect()
    assert not a.hedged and not fake.hedge_mode and a.mode_note == ""
    await a.place_order(OrderIntent("m-1", BTC, Side.BUY, 0.001))
    await a.close()
    b = adapter_for(fake, position_mode="hedge")
    await b.connect()  # a position is open: the mode stays and orders follow it
    try:
        assert not b.hedged and not fake.hedge_mode and "position_mode=hedge" in b.mode_note
        await b.place_order(OrderIntent("m-2", BTC, Side.SELL, 0.001, reduce_only=True))
    finally:
        await b.close()
    assert fake.position("BTC-USDT") == 0


# ---------------------------------------------------------------- protection at the venue
async def test_stop_and_take_rest_at_bingx_move_trigger_and_cancel(fake: FakeBingx) -> None:
    a = adapter_for(fake)
    await a.connect()
    try:
        px = fake.price_at("BTC-USDT", fake.now_ms)
        entry = await a.place_order(OrderIntent("p-1", BTC, Side.BUY, 0.002, strategy="s",
                                                stop_loss=round(px * 0.97, 1),
                                                take_profit=round(px * 1.05, 1)))
        assert entry.status is OrderStatus.FILLED
        legs = {o.client_order_id: o for o in await a.open_orders(BTC)}
        assert set(legs) == {"p-1-sl", "p-1-tp"}
        assert legs["p-1-sl"].type is OrderType.STOP and legs["p-1-sl"].reduce_only
        assert legs["p-1-sl"].stop_price == pytest.approx(round(px * 0.97, 1))
        assert legs["p-1-tp"].limit_price == pytest.approx(round(px * 1.05, 1))
        kinds = {o.client_id: (o.type, o.stop_price, o.qty) for o in fake.orders.values()
                 if o.status == "NEW"}
        assert kinds["p-1-sl"][0] == "STOP_MARKET" and kinds["p-1-tp"][0] == "TAKE_PROFIT_MARKET"
        assert kinds["p-1-sl"][2] == pytest.approx(0.002)
        # trail the stop up to a level the path will touch
        stop = round(px - 40.0, 1)  # the fake's path dips ~70 below its start later on
        moved = await a.set_protection(BTC, stop=stop)
        assert moved["sl"].client_order_id == "p-1-sl2" and moved["sl"].stop_price == stop
        assert (await a.fetch_order("p-1-sl", BTC)).status is OrderStatus.CANCELED
        touch = first_touch(fake, stop, below=True)
        advance(fake, a, touch - fake.now_ms + MIN)
        fills = await a.fills_since(touch - MIN, BTC)  # the brain's per-cycle call
        (leg_fill,) = [f for f in fills if f.client_order_id == "p-1-sl2"]
        assert leg_fill.side is Side.SELL and leg_fill.ts == touch
        assert leg_fill.price == pytest.approx(stop, rel=2e-4)  # where it was touched
        assert await a.positions() == []
        assert (await a.fetch_order("p-1-tp", BTC)).status is OrderStatus.CANCELED  # OCO
        assert await a.open_orders(BTC) == []
    finally:
        await a.close()


async def test_exit_cancels_the_legs_and_adoption_lists_them(fake: FakeBingx) -> None:
    a = adapter_for(fake)
    await a.connect()
    px = fake.price_at("BTC-USDT", fake.now_ms)
    await a.place_order(OrderIntent("x-1", BTC, Side.BUY, 0.001, stop_loss=round(px * 0.9, 1)))
    await a.close()
    b = adapter_for(fake)  # after a restart: the venue's orders and positions, by client id
    await b.connect()
    try:
        adopted = await b.open_orders()
        assert [(o.client_order_id, o.type, o.side) for o in adopted] == [
            ("x-1-sl", OrderType.STOP, Side.SELL)]
        assert [p.qty for p in await b.positions()] == [pytest.approx(0.001)]
        await b.place_order(OrderIntent("x-2", BTC, Side.SELL, 0.001, reduce_only=True))
        assert await b.open_orders() == []
        assert [o.status for o in fake.orders.values() if o.client_id == "x-1-sl"] == [
            "CANCELLED"]
        with pytest.raises(InvalidOrderError, match="no open position"):
            await b.set_protection(BTC, stop=1.0)
    finally:
        await b.close()


# ---------------------------------------------------------------- secrets and clock
async def test_error_text_echoing_the_key_is_scrubbed_everywhere(
        fake: FakeBingx, caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    caplog.set_level(logging.DEBUG)
    a = adapter_for(fake)
    await a.connect()
    fake.inject("/user/balance", "echokey")
    try:
        with pytest.raises(AuthenticationError) as info:
            await a.account()
    finally:
        await a.close()
    text = str(info.value)
    assert "***" in text and "fake-key" not in text and "fake-secret" not in text
    assert info.value.__cause__ is None and info.value.origin == "AuthenticationError"
    assert "fake-key" not in caplog.text and "fake-secret" not in caplog.text
    # the synchronizer stores error texts in sync_logs
    from storage.dao import PersistDAO
    from storage.sync import Synchronizer

    b = adapter_for(fake)
    await b.connect()
    fake.inject("/quote/klines", "echokey", times=5)
    with PersistDAO(tmp_path / "s.db") as dao:
        sync = Synchronizer(b, dao, FixedClock(fake.now_ms), symbols=(BTC,),
                            timeframes=("1h",), backfill_bars=10, retry_base_delay=0.001)
        await sync.run()
        rows = [r for r in dao.sync_logs() if r.status == "error"]
    await b.close()
    assert rows and all("fake-key" not in (r.error or "") for r in rows)
    assert all("fake-secret" not in (r.error or "") for r in rows)


async def test_clock_outside_recv_window_is_named(fake: FakeBingx) -> None:
    fake.clock_skew_ms = -20_000  # our clock 20 s ahead of BingX
    a = adapter_for(fake)
    with pytest.raises(SessionFatalError, match="clock.*NTP"):
        await a.connect()
    assert a._exchange is None


async def test_settings_secrets_are_what_is_scrubbed() -> None:
    a = BingxAdapter(BingxAdapterConfig(), bingx_settings("k-123456", "s-abcdef"),
                     mode=Mode.VST, symbols=[BTC])
    assert a._secrets == ("k-123456", "s-abcdef")
