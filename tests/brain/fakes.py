"""Small fakes for brain unit tests: an in-memory ``Persistence`` and scriptable strategies.

Integration tests use the real ``storage.dao.PersistDAO`` on a temporary file; these fakes
keep the unit tests of single tools and agents free of SQLite.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ats.domain import Bars, Fill, InstrumentSpec, Order, Position, Regime, Side, StrategySignal
from storage.protocol import EquityPoint, JournalRecord, SearchHit


@dataclass
class MemoryDAO:
    """Implements ``storage.protocol.Persistence`` in memory (no search ranking)."""

    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    order_log: list[Order] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    positions: dict[tuple[str, str], Position] = field(default_factory=dict)
    equity: list[EquityPoint] = field(default_factory=list)
    signals: list[tuple[StrategySignal, bool, str, bool]] = field(default_factory=list)
    records: list[JournalRecord] = field(default_factory=list)
    logs: list[tuple[str, str]] = field(default_factory=list)
    locks: dict[str, dict[str, Any]] = field(default_factory=dict)
    instruments: dict[str, InstrumentSpec] = field(default_factory=dict)
    closed: bool = False

    def open_run(self, run_id: str, *, mode: str, adapter: str, ts: int,
                 meta: dict[str, Any] | None = None) -> None:
        self.runs[run_id] = {"run_id": run_id, "mode": mode, "adapter": adapter, "ts": ts,
                             "meta": meta or {}}

    def close_run(self, run_id: str, *, ts: int, summary: dict[str, Any]) -> None:
        self.runs.setdefault(run_id, {})["summary"] = summary

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        return self.runs.get(run_id)

    def upsert_instruments(self, venue: str, specs: Any) -> int:
        for s in specs:
            self.instruments[s.symbol] = s
        return len(specs)

    def upsert_bars(self, bars: Bars, source: str) -> int:
        return len(bars)

    def read_bars(self, symbol: str, timeframe: str, **_: Any) -> Bars:
        return Bars.empty(symbol, timeframe)

    def record_order(self, order: Order, run_id: str) -> None:
        self.orders[order.client_order_id] = order
        self.order_log.append(order)

    def record_fill(self, fill: Fill, run_id: str) -> None:
        self.fills.append(fill)

    def upsert_position(self, position: Position, run_id: str) -> None:
        self.positions[(position.symbol, position.venue)] = position

    def delete_position(self, symbol: str, venue: str, run_id: str) -> None:
        self.positions.pop((symbol, venue), None)

    def load_positions(self, venue: str | None = None) -> list[Position]:
        return [p for (s, v), p in self.positions.items() if venue is None or v == venue]

    def load_orders(self, *, run_id: str | None = None, open_only: bool = False) -> list[Order]:
        return [o for o in self.orders.values() if not open_only or not o.status.is_terminal]

    def load_fills(self, *, run_id: str | None = None, since_ms: int | None = None) -> list[Fill]:
        return [f for f in self.fills if since_ms is None or f.ts >= since_ms]

    def record_equity(self, point: EquityPoint) -> None:
        self.equity.append(point)

    def equity_series(self, *, run_id: str | None = None,
                      since_ms: int | None = None) -> list[EquityPoint]:
        return [p for p in self.equity if since_ms is None or p.ts >= since_ms]

    def record_signal(self, signal: StrategySignal, run_id: str, *, accepted: bool,
                      reason: str, shadow: bool = False) -> None:
        self.signals.append((signal, accepted, reason, shadow))

    def journal(self, kind: str, payload: dict[str, Any], *, ts: int, run_id: str,
                text: str) -> int:
        rid = len(self.records) + 1
        self.records.append(JournalRecord(rid, ts, run_id, kind, payload, text))
        return rid

    def journal_get(self, record_id: int) -> JournalRecord | None:
        return self.records[record_id - 1] if 0 < record_id <= len(self.records) else None

    def journal_tail(self, n: int = 50, *, kind: str | None = None,
                     run_id: str | None = None) -> list[JournalRecord]:
        rows = [r for r in self.records if kind is None or r.kind == kind]
        return rows[-n:]

    def log(self, level: str, message: str, *, ts: int, source: str = "ats",
            run_id: str = "") -> None:
        self.logs.append((level, message))

    def search(self, query: str, limit: int = 50) -> list[SearchHit]:
        q = query.lower()
        return [SearchHit("journal", r.id, r.ts, r.kind, r.text[:80], 0.0)
                for r in self.records if q in r.text.lower()][:limit]

    def save_lock_state(self, name: str, state: dict[str, Any], *, ts: int) -> None:
        self.locks[name] = dict(state)

    def load_lock_state(self, name: str) -> dict[str, Any] | None:
        return self.locks.get(name)

    @contextmanager
    def batch(self) -> Iterator[None]:
        yield

    def close(self) -> None:
        self.closed = True


SignalFn = Callable[[Any], list[StrategySignal]]


class ScriptedStrategy:
    """A ``TradingStrategy`` whose signals come from a function of the context."""

    def __init__(self, name: str, fn: SignalFn, *, timeframe: str = "1m",
                 kind: str = "trend", bars_needed: int = 20,
                 regimes: tuple[Regime, ...] = tuple(Regime)) -> None:
        self.name, self.fn, self.timeframe = name, fn, timeframe
        self.kind, self.bars_needed, self.regimes = kind, bars_needed, regimes
        self.calls = 0

    def generate(self, ctx: Any) -> list[StrategySignal]:
        self.calls += 1
        return self.fn(ctx)


def always_long(name: str, *, confidence: float = 0.7) -> SignalFn:
    """Enter long on every bar while flat; never exits (stops/takes do that)."""

    def fn(ctx: Any) -> list[StrategySignal]:
        if ctx.position is not None and ctx.position.qty:
            return []
        b = ctx.bars
        close = float(b.close[-1])
        from ats.domain import timeframe_ms

        return [StrategySignal(name, ctx.symbol, b.timeframe, Side.BUY, close, None,
                               confidence, "scripted entry",
                               int(b.ts[-1]) + timeframe_ms(b.timeframe))]

    return fn


def raising(exc: Exception) -> SignalFn:
    def fn(ctx: Any) -> list[StrategySignal]:
        raise exc

    return fn
