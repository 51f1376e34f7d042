"""Every PersistDAO method, against a real file."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from ats.domain import (
    Bars,
    Fill,
    InstrumentSpec,
    Order,
    OrderStatus,
    OrderType,
    Position,
    Side,
    StrategySignal,
)
from storage.dao import PersistDAO
from storage.errors import InvalidDataError, StorageError
from storage.protocol import EquityPoint, Persistence
from tests.storage.helpers import T0, make_bars


def test_implements_the_protocol(dao: PersistDAO) -> None:
    for name in Persistence.__dict__:
        if not name.startswith("_") and callable(getattr(Persistence, name, None)):
            assert callable(getattr(dao, name)), name
    _: Persistence = dao  # static check as well


def test_pragmas_wal_foreign_keys(dao: PersistDAO) -> None:
    with dao.db.read() as conn:
        assert conn.execute("PRAGMA journal_mode").fetchall()[0][0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchall()[0][0] == 1
    with dao.db.write() as conn:
        assert conn.execute("PRAGMA synchronous").fetchall()[0][0] == 1  # NORMAL


def test_runs_roundtrip(dao: PersistDAO) -> None:
    assert dao.get_run("r1") is None
    dao.open_run("r1", mode="paper", adapter="mock", ts=T0, meta={"seed": 42})
    dao.close_run("r1", ts=T0 + 1000, summary={"pnl": 1.5})
    run = dao.get_run("r1")
    assert run == {"run_id": "r1", "mode": "paper", "adapter": "mock", "started_ts": T0,
                   "ended_ts": T0 + 1000, "meta": {"seed": 42}, "summary": {"pnl": 1.5},
                   "account": "paper"}
    dao.open_run("r2", mode="vst", adapter="bingx", ts=T0 + 5)
    assert [r["run_id"] for r in dao.list_runs()] == ["r2", "r1"]


def test_instruments_upsert(dao: PersistDAO) -> None:
    spec = InstrumentSpec("EURUSD", "mock", "fx", 0.00001, 0.01, 0.01, 100_000, "USD")
    assert dao.upsert_instruments("mock", [spec]) == 1
    changed = InstrumentSpec("EURUSD", "mock", "fx", 0.0001, 0.01, 0.01, 100_000, "USD")
    dao.upsert_instruments("mock", [changed])
    assert dao.load_instruments("mock") == [changed]
    assert dao.load_instruments("other") == []


def test_bars_roundtrip_and_ranges(dao: PersistDAO) -> None:
    bars = make_bars(n=100)
    assert dao.upsert_bars(bars, "mock") == 100
    out = dao.read_bars("EURUSD", "1m")
    for col in ("ts", "open", "high", "low", "close", "volume", "spread"):
        np.testing.assert_array_equal(getattr(out, col), getattr(bars, col))
    assert out.ts.dtype == np.int64 and out.close.dtype == np.float64
    part = dao.read_bars("EURUSD", "1m", start_ms=T0 + 60_000 * 10, end_ms=T0 + 60_000 * 19)
    assert len(part) == 10 and part.ts[0] == T0 + 600_000
    tail = dao.read_bars("EURUSD", "1m", limit=5)
    np.testing.assert_array_equal(tail.ts, bars.ts[-5:])
    assert len(dao.read_bars("EURUSD", "5m")) == 0
    assert dao.bar_count("EURUSD", "1m") == 100
    assert dao.last_bar_ts("EURUSD", "1m") == int(bars.ts[-1])
    assert dao.last_bar_ts("NOPE", "1m") is None


def test_bars_upsert_is_idempotent_and_updates(dao: PersistDAO) -> None:
    bars = make_bars(n=20)
    dao.upsert_bars(bars, "mock")
    assert dao.upsert_bars(bars, "mock") == 0  # identical rows: nothing written
    changed = make_bars(n=20, seed=2)
    assert dao.upsert_bars(changed, "mock") == 20
    np.testing.assert_array_equal(dao.read_bars("EURUSD", "1m").close, changed.close)
    assert dao.bar_count("EURUSD", "1m") == 20


def test_bars_refuse_nan_and_store_nothing(dao: PersistDAO) -> None:
    bars = make_bars(n=5)
    bars.close[3] = np.nan
    with pytest.raises(InvalidDataError, match="NaN"):
        dao.upsert_bars(bars, "mock")
    assert dao.bar_count("EURUSD", "1m") == 0
    b = make_bars(n=2)
    odd = Bars(b.symbol, "2m", b.ts, b.open, b.high, b.low, b.close, b.volume, b.spread)
    with pytest.raises(ValueError, match="unknown timeframe"):
        dao.upsert_bars(odd, "mock")


def _order(coid: str = "o1", status: OrderStatus = OrderStatus.NEW, filled: float = 0.0) -> Order:
    return Order(coid, "EURUSD", Side.BUY, 1.0, OrderType.MARKET, status, T0, filled_qty=filled,
                 venue="mock", strategy="trend", virtual_asset=None)


def test_orders_upsert_and_open_filter(dao: PersistDAO) -> None:
    dao.record_order(_order("o1"), "r1")
    dao.record_order(_order("o2"), "r1")
    dao.record_order(_order("o1", OrderStatus.FILLED, 1.0), "r1")
    assert [o.client_order_id for o in dao.load_orders(open_only=True)] == ["o2"]
    all_ = dao.load_orders(run_id="r1")
    assert {o.client_order_id: o.status for o in all_} == {
        "o1": OrderStatus.FILLED, "o2": OrderStatus.NEW}
    assert dao.load_orders(run_id="other") == []
    assert dao.get_run("r1") is not None  # placeholder run keeps foreign keys valid


def test_fills_once_each(dao: PersistDAO) -> None:
    f = Fill("f1", "o1", "EURUSD", Side.BUY, 1.0, 1.1, 0.01, T0, venue="mock")
    dao.record_fill(f, "r1")
    dao.record_fill(f, "r1")
    g = Fill("f2", "o1", "EURUSD", Side.BUY, 1.0, 1.2, 0.01, T0 + 10, venue="mock")
    assert dao.record_fills([f, g], "r1") == 1
    assert dao.load_fills(run_id="r1") == [f, g]
    assert dao.load_fills(since_ms=T0 + 5) == [g]


def test_positions(dao: PersistDAO) -> None:
    p = Position("EURUSD", -2.0, 1.1, T0, stop=1.12, venue="mock", strategy="mr")
    dao.upsert_position(p, "r1")
    q = Position("XAUUSD", 1.0, 2000.0, T0, venue="mock")
    dao.upsert_position(q, "r1")
    dao.upsert_position(Position("EURUSD", -1.0, 1.1, T0 + 1, venue="mock"), "r1")
    got = dao.load_positions("mock")
    assert [x.symbol for x in got] == ["EURUSD", "XAUUSD"] and got[0].qty == -1.0
    dao.delete_position("EURUSD", "mock", "r1")
    assert dao.load_positions() == [q]
    assert dao.load_positions("bingx") == []


def test_equity_series(dao: PersistDAO) -> None:
    pts = [EquityPoint(T0 + i, 10_000 + i, 10_000, -0.001 * i, float(i), "r1") for i in range(5)]
    for p in pts:
        dao.record_equity(p)
    dao.record_equity(EquityPoint(T0, 5.0, 5.0, 0.0, 0.0, "r2"))
    assert dao.equity_series(run_id="r1") == pts
    assert dao.equity_series(run_id="r1", since_ms=T0 + 3) == pts[3:]
    assert len(dao.equity_series()) == 6


def test_signals(dao: PersistDAO) -> None:
    s = StrategySignal("trend", "EURUSD", "1h", Side.SELL, 1.1, 1.12, 0.7, "ema cross", T0,
                       meta={"atr": 0.001})
    dao.record_signal(s, "r1", accepted=False, reason="daily lock", shadow=True)
    rows = dao.load_signals(run_id="r1")
    assert len(rows) == 1
    assert rows[0]["decision"] == "daily lock" and rows[0]["shadow"] is True
    assert rows[0]["accepted"] is False and rows[0]["side"] == "sell"


def test_journal_and_tail(dao: PersistDAO) -> None:
    ids = [dao.journal("cycle", {"i": i}, ts=T0 + i, run_id="r1", text=f"cycle {i}")
           for i in range(5)]
    eid = dao.journal("lock", {"why": "dd"}, ts=T0 + 10, run_id="r2", text="kill switch on")
    rec = dao.journal_get(ids[2])
    assert rec is not None and rec.payload == {"i": 2} and rec.kind == "cycle"
    assert rec.run_id == "r1" and rec.ts == T0 + 2 and rec.text == "cycle 2"
    assert dao.journal_get(99_999) is None
    assert [r.id for r in dao.journal_tail(3)] == [ids[3], ids[4], eid]
    assert [r.id for r in dao.journal_tail(10, kind="lock")] == [eid]
    assert [r.id for r in dao.journal_tail(2, run_id="r1")] == ids[3:]


def test_journal_kind_query_uses_index(dao: PersistDAO) -> None:
    with dao.db.read() as conn:
        plan = " ".join(str(r) for r in conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM journal WHERE kind = ? ORDER BY id DESC",
            ("cycle",)))
    assert "journal_kind" in plan


def test_logs_and_search(dao: PersistDAO) -> None:
    dao.journal("lock", {}, ts=T0, run_id="r1", text="Kill switch engaged: drawdown -3.6%")
    dao.log("warning", "kill switch reset after 72h", ts=T0 + 5, source="risk")
    dao.log("info", "nothing to see", ts=T0 + 6)
    hits = dao.search("kill switch")
    assert [(h.source, h.ts) for h in hits] == [("log", T0 + 5), ("journal", T0)]
    assert "[switch]" in hits[0].snippet.lower() or "[kill]" in hits[0].snippet.lower()
    assert hits[1].kind == "lock" and hits[0].kind == "WARNING"
    assert dao.search("kill switch", limit=1)[0].source == "log"
    assert dao.search("absent") == []


def test_locks(dao: PersistDAO) -> None:
    assert dao.load_lock_state("daily") is None
    dao.save_lock_state("daily", {"locked": True, "until": T0}, ts=T0)
    dao.save_lock_state("daily", {"locked": False}, ts=T0 + 1)
    assert dao.load_lock_state("daily") == {"locked": False}


def test_batch_is_atomic(dao: PersistDAO) -> None:
    with pytest.raises(RuntimeError):
        with dao.batch():
            dao.upsert_bars(make_bars(n=3), "mock")
            dao.log("info", "inside", ts=T0)
            assert dao.bar_count("EURUSD", "1m") == 3  # own writes visible inside the batch
            raise RuntimeError("boom")
    assert dao.bar_count("EURUSD", "1m") == 0
    assert dao.search("inside") == []


def test_threads_share_one_dao(dao: PersistDAO) -> None:
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            for i in range(30):
                dao.log("info", f"thread {k} line {i}", ts=T0 + i)
                dao.journal_tail(5)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with dao.db.read() as conn:
        assert conn.execute("SELECT count(*) FROM logs").fetchall()[0][0] == 120


def test_second_process_style_connection_reads_while_writing(db_path: Path) -> None:
    writer = PersistDAO(db_path)
    reader = PersistDAO(db_path, readonly=True)
    try:
        writer.upsert_bars(make_bars(n=10), "mock")
        with writer.batch():
            writer.upsert_bars(make_bars(n=20), "mock")
            assert reader.bar_count("EURUSD", "1m") == 10  # not yet committed
        assert reader.bar_count("EURUSD", "1m") == 20
        with pytest.raises(StorageError, match="read-only"):
            reader.log("info", "x", ts=T0)
    finally:
        reader.close()
        writer.close()


def test_closed_dao_refuses(db_path: Path) -> None:
    d = PersistDAO(db_path)
    d.close()
    d.close()
    with pytest.raises(StorageError, match="closed"):
        d.read_bars("EURUSD", "1m")


def test_short_lived_threads_do_not_leak_reader_connections(dao: PersistDAO) -> None:
    import gc

    def read_once() -> None:
        dao.read_bars("EURUSD", "1m")

    for _ in range(20):
        t = threading.Thread(target=read_once)
        t.start()
        t.join()
    gc.collect()
    assert len(dao.db._readers) <= 2


def test_journal_tolerates_nan_numpy_enums_and_dataclasses(dao: PersistDAO) -> None:
    payload = {
        "atr": float("nan"), "adx": np.float64(21.5), "n": np.int64(3),
        "closes": np.array([1.0, np.inf]), "side": Side.BUY, "nested": [{"x": float("-inf")}],
        "tags": {"b", "a"}, "pos": Position("EURUSD", 1.0, 1.1, T0),
    }
    rid = dao.journal("cycle", payload, ts=T0, run_id="r", text="warm-up cycle")
    rec = dao.journal_get(rid)
    assert rec is not None
    p = rec.payload
    assert p["atr"] is None and p["adx"] == 21.5 and p["n"] == 3
    assert p["closes"] == [1.0, None] and p["side"] == "buy" and p["nested"] == [{"x": None}]
    assert p["tags"] == ["a", "b"] and p["pos"]["symbol"] == "EURUSD"
    dao.save_lock_state("kill_switch", {"dd": float("nan"), "on": True}, ts=T0)
    assert dao.load_lock_state("kill_switch") == {"dd": None, "on": True}
    dao.open_run("r9", mode="paper", adapter="mock", ts=T0, meta={"seed": np.int64(4)})
    assert dao.get_run("r9")["meta"] == {"seed": 4}  # type: ignore[index]


def test_recent_signals_query_uses_an_index(dao: PersistDAO) -> None:
    with dao.db.read() as conn:
        plan = " ".join(str(r) for r in conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM signals WHERE run_id = ? ORDER BY id DESC "
            "LIMIT 5", ("r",)))
    assert "signals_run_id" in plan and "TEMP B-TREE" not in plan
