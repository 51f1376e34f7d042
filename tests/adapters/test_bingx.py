"""BingX adapter specifics: the real ccxt client against the local fake VST server."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from venue_bingx import FakeBingx, bingx_settings, make_adapter

from ats.config.models import BingxAdapterConfig
from ats.config.settings import LiveTradingRefused, Settings
from ats.domain import Mode, OrderIntent, OrderStatus, OrderType, Side, timeframe_ms
from ats.i18n import set_language
from broker_adapters.bingx import BingxAdapter, run_virtual_vst_cycle
from broker_adapters.errors import (
    AuthenticationError,
    BadSymbolError,
    CapabilityError,
    ConnectionLostError,
    InsufficientFundsError,
    InvalidOrderError,
    RateLimitError,
    RetryableError,
    SessionFatalError,
    VenueBusyError,
    VenueError,
    VenueTimeoutError,
)

BTC = "BTC/USDT:USDT"


@pytest.fixture
async def fake():
    async with FakeBingx() as server:
        yield server


@pytest.fixture
async def adapter(fake: FakeBingx):
    a = make_adapter(fake, retry_attempts=1)
    await a.connect()
    yield a
    await a.close()


async def test_sandbox_swap_only_paths_and_signed_requests(fake: FakeBingx) -> None:
    a = make_adapter(fake)
    await a.connect()
    acc = await a.account()
    await a.close()
    assert fake.paths()[0] == "/swap/v2/quote/contracts"  # sandbox loads swap markets only
    assert "/swap/v3/user/balance" in fake.paths()  # not the spot balance path
    assert acc.currency == "VST" and acc.equity == pytest.approx(100_000.0)
    assert acc.virtual_asset == "VST"
    assert a._exchange is None  # closed


async def test_paged_backfill_crosses_the_1440_kline_limit(
    fake: FakeBingx, adapter: BingxAdapter
) -> None:
    tf = timeframe_ms("1m")
    since = (fake.now_ms // tf - 3000) * tf
    bars = await adapter.history(BTC, "1m", since, 3000)
    assert len(bars) == 3000
    assert int(bars.ts[0]) == since
    assert np.all(np.diff(bars.ts) == tf)
    klines = [q for m, p, q in fake.requests if p.endswith("/klines")]
    assert len(klines) == 3 and all(int(q["limit"]) <= 1440 for q in klines)
    assert int(bars.ts[-1]) + tf <= fake.now_ms  # the forming minute is not served


async def test_history_stops_at_now_and_latest_many(fake: FakeBingx, adapter: BingxAdapter) -> None:
    tf = timeframe_ms("1h")
    since = (fake.now_ms // tf - 5) * tf
    bars = await adapter.history(BTC, "1h", since, 100)
    assert len(bars) == 5
    many = await adapter.latest_bars(BTC, "5m", 2000)
    assert len(many) == 2000
    assert int(many.ts[-1]) == (fake.now_ms // 300_000 - 1) * 300_000
    none_since = await adapter.history(BTC, "15m", None, 10)
    assert len(none_since) == 10


async def test_depth_funding_instruments(adapter: BingxAdapter) -> None:
    book = await adapter.order_book(BTC, 7)
    assert len(book.bids) == 7 and book.bids[0].price < book.asks[0].price
    fr = await adapter.funding_rate(BTC)
    assert fr.rate == pytest.approx(0.0001) and fr.next_funding_ts > fr.ts
    spec = (await adapter.instruments())[BTC]
    assert spec.lot_step == pytest.approx(0.0001) and spec.tick_size == pytest.approx(0.1)
    assert spec.asset_class == "crypto_perp" and spec.has_funding


async def test_virtual_cycle_tags_everything_with_virtual_asset(
    fake: FakeBingx, adapter: BingxAdapter
) -> None:
    result = await run_virtual_vst_cycle(adapter, BTC, 0.002, prefix="cyc")
    assert result.ok, result
    assert result.virtual_asset == "VST"
    assert [o.client_order_id for o in result.orders] == ["cyc-open", "cyc-close"]
    assert all(o.virtual_asset == "VST" for o in result.orders)
    assert len(result.fills) == 2 and all(f.virtual_asset == "VST" for f in result.fills)
    assert {f.side for f in result.fills} == {Side.BUY, Side.SELL}
    assert result.position_before is None and result.position_after is None
    assert result.position_open is not None
    assert result.position_open.qty == pytest.approx(0.002)
    assert result.position_open.virtual_asset == "VST"
    assert [o.side for o in fake.orders.values()] == ["BUY", "SELL"]
    lines = result.summary()
    assert lines[0] == "BingX VST round trip: BTC/USDT:USDT, quantity 0.002"
    assert "cyc-open: buy 0.002 -> filled" in lines[1] and lines[-1].startswith("OK")
    assert "virtual_asset=VST" in "\n".join(lines)
    set_language("ru")
    assert result.summary()[-1].startswith("OK: оба ордера")


async def test_virtual_cycle_refuses_paper_mode_and_bad_qty(fake: FakeBingx) -> None:
    paper = make_adapter(fake, mode=Mode.PAPER)
    await paper.connect()
    try:
        with pytest.raises(CapabilityError, match="--mode vst"):
            await run_virtual_vst_cycle(paper, BTC, 0.001)
        with pytest.raises(CapabilityError, match="paper mode"):
            await paper.place_order(OrderIntent("p1", BTC, Side.BUY, 0.001))
        assert paper.capabilities.trading is False
        assert (await paper.quote(BTC)).bid > 0  # quotes still work
    finally:
        await paper.close()
    assert not fake.orders
    vst = make_adapter(fake)
    await vst.connect()
    with pytest.raises(InvalidOrderError):
        await run_virtual_vst_cycle(vst, BTC, 0)
    await vst.close()


@pytest.mark.parametrize(
    ("kind", "path", "call", "error", "text"),
    [
        ("http429", "/quote/ticker", "quote", RateLimitError, "rate limit"),
        ("slow", "/quote/ticker", "quote", VenueTimeoutError, "timeout"),
        ("malformed", "/quote/klines", "bars", VenueBusyError, "malformed"),
        ("busy", "/quote/ticker", "quote", VenueBusyError, "busy"),
        ("http503", "/quote/depth", "depth", VenueBusyError, "not available"),
        ("auth", "/user/balance", "account", AuthenticationError, "BINGX_API_KEY"),
        ("insufficient", "/trade/order", "order", InsufficientFundsError, "insufficient"),
        ("badsymbol", "/quote/premiumIndex", "funding", BadSymbolError, "symbol"),
    ],
)
async def test_failures_map_to_the_taxonomy(
    fake: FakeBingx, kind: str, path: str, call: str, error: type[VenueError], text: str
) -> None:
    fake.slow_seconds = 0.5
    a = make_adapter(fake, retry_attempts=1, timeout_ms=200)
    await a.connect()
    fake.inject(path, kind)
    calls = {
        "quote": lambda: a.quote(BTC),
        "bars": lambda: a.latest_bars(BTC, "1h", 5),
        "depth": lambda: a.order_book(BTC, 5),
        "account": a.account,
        "order": lambda: a.place_order(OrderIntent("f1", BTC, Side.BUY, 0.001)),
        "funding": lambda: a.funding_rate(BTC),
    }
    try:
        with pytest.raises(error, match="(?i)" + text) as info:
            await calls[call]()
        assert info.value.venue == "bingx"
        assert "fake-secret" not in str(info.value)
        # the adapter survives: the next call works
        assert (await a.quote(BTC)).ask > 0
    finally:
        await a.close()


async def test_retryable_errors_are_retried(fake: FakeBingx) -> None:
    a = make_adapter(fake, retry_attempts=3)
    await a.connect()
    fake.inject("/quote/ticker", "http429", times=2)
    try:
        q = await a.quote(BTC)
    finally:
        await a.close()
    assert q.bid > 0
    assert sum(p.endswith("/quote/ticker") for p in fake.paths()) == 3


@pytest.mark.parametrize("kind", ["http429", "ratelimit"])
async def test_rate_limited_orders_back_off_and_retry(fake: FakeBingx, kind: str) -> None:
    """HTTP 429 and code 100410 (BingX's rate limit) mean the order was refused unprocessed:
    it is sent again after a pause (the client id makes a repeat harmless)."""
    a = make_adapter(fake, retry_attempts=3)
    await a.connect()
    fake.inject("/trade/order", kind, times=2)
    try:
        order = await a.place_order(OrderIntent("rl-1", BTC, Side.BUY, 0.001))
    finally:
        await a.close()
    assert order.status is OrderStatus.FILLED
    assert sum(m == "POST" and p.endswith("/trade/order") for m, p, _ in fake.requests) == 3
    assert fake.position("BTC-USDT") == pytest.approx(0.001)  # filled once


async def test_orders_are_not_retried_when_the_venue_may_have_taken_them(
        fake: FakeBingx) -> None:
    a = make_adapter(fake, retry_attempts=3)
    await a.connect()
    fake.inject("/trade/order", "busy", times=1)
    try:
        with pytest.raises(VenueBusyError):
            await a.place_order(OrderIntent("nr-1", BTC, Side.BUY, 0.001))
    finally:
        await a.close()
    assert sum(m == "POST" and p.endswith("/trade/order") for m, p, _ in fake.requests) == 1


async def test_wrong_secret_is_an_authentication_error_and_closes(fake: FakeBingx) -> None:
    a = make_adapter(fake, settings=bingx_settings(secret="wrong"), retry_attempts=1)
    with pytest.raises(AuthenticationError, match="credentials"):
        await a.connect()  # the position mode is read at connect: a signed request
    assert a._exchange is None
    paper = make_adapter(fake, mode=Mode.PAPER, settings=bingx_settings(secret="wrong"))
    await paper.connect()  # quotes only: public endpoints need no signature
    await paper.close()


async def test_server_down_is_connection_class_and_exchange_closed(fake: FakeBingx) -> None:
    a = make_adapter(fake, retry_attempts=1)
    await fake.stop()
    with pytest.raises(RetryableError, match="not available"):
        await a.connect()
    assert a._exchange is None


async def test_missing_keys_live_and_unsandboxed_are_refused(
    fake: FakeBingx, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = BingxAdapterConfig(base_url=fake.base_url)
    with pytest.raises(LiveTradingRefused):
        BingxAdapter(cfg, Settings(), mode=Mode.LIVE, symbols=[BTC])
    with pytest.raises(SessionFatalError, match="--mode vst"):
        BingxAdapter(cfg, Settings(), mode=Mode.DEMO, symbols=[BTC])
    with pytest.raises(SessionFatalError, match="sandbox"):
        BingxAdapter(BingxAdapterConfig(sandbox=False), Settings(), mode=Mode.VST, symbols=[BTC])
    nokeys = BingxAdapter(cfg, Settings(mode=Mode.VST), mode=Mode.VST, symbols=[BTC])
    with pytest.raises(AuthenticationError, match="BINGX_API_KEY"):
        await nokeys.connect()
    unknown = make_adapter(fake)
    unknown.symbols = ("DOGE/USDT:USDT",)
    with pytest.raises(BadSymbolError, match="symbols.yaml"):
        await unknown.connect()
    assert unknown._exchange is None
    caplog.set_level(logging.DEBUG)
    a = make_adapter(fake, retry_attempts=1)
    await a.connect()
    fake.inject("/user/balance", "auth")
    with pytest.raises(AuthenticationError):
        await a.account()
    await a.close()
    assert "X-BX-APIKEY" in caplog.text  # ccxt's request log was captured ...
    assert "fake-secret" not in caplog.text and "fake-key" not in caplog.text  # ... redacted
    assert "signature=***" in caplog.text


async def test_limit_ioc_partial_statuses_and_reconnect_lookup(
    fake: FakeBingx, adapter: BingxAdapter
) -> None:
    q = await adapter.quote(BTC)
    o = await adapter.place_order(
        OrderIntent("lim-1", BTC, Side.SELL, 0.001, OrderType.LIMIT, limit_price=q.bid - 10))
    assert o.status is OrderStatus.FILLED and o.avg_price == pytest.approx(q.bid)
    rest = await adapter.place_order(
        OrderIntent("lim-2", BTC, Side.BUY, 0.001, OrderType.LIMIT, limit_price=q.bid - 500))
    assert rest.status is OrderStatus.NEW and rest.limit_price == pytest.approx(q.bid - 500)
    # a second adapter (a restart) finds the order by its client id alone
    other = make_adapter(fake)
    await other.connect()
    try:
        seen = await other.fetch_order("lim-2", BTC)
        assert seen.venue_order_id == rest.venue_order_id and seen.status is OrderStatus.NEW
        again = await other.place_order(
            OrderIntent("lim-2", BTC, Side.BUY, 0.001, OrderType.LIMIT, limit_price=1.0))
        assert again.venue_order_id == rest.venue_order_id  # duplicate id: existing order
        canceled = await other.cancel_order("lim-2", BTC)
        assert canceled.status is OrderStatus.CANCELED
        with pytest.raises(InvalidOrderError, match="cancel"):
            await other.cancel_order("lim-2", BTC)
    finally:
        await other.close()
    fills = await adapter.fills_since(fake.now_ms - 60_000)
    assert [f.client_order_id for f in fills] == ["lim-1"]
    assert fills[0].side is Side.SELL and fills[0].fee > 0
    positions = await adapter.positions()
    assert positions[0].qty == pytest.approx(-0.001)


async def test_connection_error_class_for_network_failures() -> None:
    import ccxt.async_support as ccxt

    from broker_adapters.bingx.errors import map_ccxt_error

    err = map_ccxt_error(ccxt.NetworkError("bingx reset by peer"), "fetch_ticker X")
    assert isinstance(err, ConnectionLostError)
    err = map_ccxt_error(ccxt.PermissionDenied('bingx {"code":100419,"msg":"IP not ok"}'), "x")
    assert isinstance(err, SessionFatalError) and err.code == "100419"
    assert "IP not ok" in str(err)
    err = map_ccxt_error(ccxt.ExchangeError('bingx {"code":1,"msg":"odd"}'), "fetch_balance")
    assert type(err) is VenueError
    err = map_ccxt_error(ccxt.ExchangeError('bingx {"code":1,"msg":"odd"}'), "create_order X")
    assert isinstance(err, InvalidOrderError)
    err = map_ccxt_error(ccxt.OperationFailed('bingx {"code":100410,"msg":"rate limited"}'), "x")
    assert isinstance(err, RateLimitError)  # BingX's rate-limit code, whatever ccxt calls it
    err = map_ccxt_error(ccxt.OperationFailed('bingx {"code":109500,"msg":"busy"}'), "x")
    assert isinstance(err, VenueBusyError)
    assert map_ccxt_error(err, "y") is err


async def test_paper_mode_needs_no_keys_and_fill_lookback_is_bounded(fake: FakeBingx) -> None:
    paper = make_adapter(fake, mode=Mode.PAPER, settings=Settings())
    await paper.connect()
    try:
        assert (await paper.latest_bars(BTC, "15m", 4)).close[-1] > 0
        assert paper.virtual_asset is None
    finally:
        await paper.close()
    a = make_adapter(fake)
    await a.connect()
    try:
        assert await a.fills_since(0, BTC) == []
    finally:
        await a.close()
    fill_requests = [q for _, p, q in fake.requests if p.endswith("/allFillOrders")]
    assert len(fill_requests) == 13  # 90 days in 7-day windows, not 56 years of them
    assert int(fill_requests[0]["startTs"]) == fake.now_ms - 90 * 86_400_000


async def test_virtual_cycle_reports_unreadable_fills_without_losing_the_rest(
    fake: FakeBingx, adapter: BingxAdapter
) -> None:
    fake.inject("/allFillOrders", "busy")
    result = await run_virtual_vst_cycle(adapter, BTC, 0.001)
    assert result.ok and result.fills == ()
    assert "could not read fills" in result.notes[0] and "busy" in result.notes[0]
    assert any(line.startswith("note: could not read fills") for line in result.summary())


async def test_backfill_steps_over_a_venue_outage(fake: FakeBingx, adapter: BingxAdapter) -> None:
    tf = timeframe_ms("1m")
    since = (fake.now_ms // tf - 5000) * tf
    fake.kline_gaps.append((since + 100 * tf, since + 2100 * tf))
    bars = await adapter.history(BTC, "1m", since, 500)
    assert len(bars) == 500
    assert int(bars.ts[99]) == since + 99 * tf and int(bars.ts[100]) == since + 2100 * tf
    windows = [q for _, p, q in fake.requests if p.endswith("/klines")]
    assert all("endTime" in q for q in windows) and len(windows) == 7
