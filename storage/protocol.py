"""The persistence contract the brain, portfolio, TUI and research lab depend on.

``storage.dao.PersistDAO`` implements it over SQLite (apsw); tests of upper layers may use
any object with these methods. Timestamps are ms UTC. Every write is durable when the call
returns (one transaction per call unless ``batch()`` groups several).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ats.domain import Bars, Fill, InstrumentSpec, Order, Position, StrategySignal

if TYPE_CHECKING:
    from storage.accounts import AccountInfo, Holder


@dataclass(frozen=True, slots=True)
class JournalRecord:
    id: int
    ts: int
    run_id: str
    kind: str  # "cycle" | "event" | "lock" | "unlock" | "research" | "llm" | ...
    payload: dict[str, Any]
    text: str  # the human-readable summary that FTS5 indexes


@dataclass(frozen=True, slots=True)
class SearchHit:
    source: str  # "journal" | "log"
    ref_id: int
    ts: int
    kind: str
    snippet: str
    rank: float


@dataclass(frozen=True, slots=True)
class EquityPoint:
    ts: int
    equity: float
    balance: float
    drawdown_pct: float  # <= 0, e.g. -0.012 for -1.2 %
    daily_pnl: float
    run_id: str


class SearchQueryError(ValueError):
    """A user's search text could not be understood; the message says how to fix it."""


class Persistence(Protocol):
    # runs
    def open_run(self, run_id: str, *, mode: str, adapter: str, ts: int,
                 meta: dict[str, Any] | None = None) -> None: ...
    def close_run(self, run_id: str, *, ts: int, summary: dict[str, Any]) -> None: ...
    def get_run(self, run_id: str) -> dict[str, Any] | None: ...

    # market data
    def upsert_instruments(self, venue: str, specs: Sequence[InstrumentSpec]) -> int: ...
    def upsert_bars(self, bars: Bars, source: str) -> int: ...
    def read_bars(self, symbol: str, timeframe: str, *, start_ms: int | None = None,
                  end_ms: int | None = None, limit: int | None = None) -> Bars: ...

    # trading
    def record_order(self, order: Order, run_id: str) -> None: ...
    def record_fill(self, fill: Fill, run_id: str) -> None: ...
    def upsert_position(self, position: Position, run_id: str) -> None: ...
    def delete_position(self, symbol: str, venue: str, run_id: str) -> None: ...
    def load_positions(self, venue: str | None = None) -> list[Position]: ...
    def load_orders(self, *, run_id: str | None = None,
                    open_only: bool = False) -> list[Order]: ...
    def load_fills(self, *, run_id: str | None = None,
                   since_ms: int | None = None) -> list[Fill]: ...
    def record_equity(self, point: EquityPoint) -> None: ...
    def equity_series(self, *, run_id: str | None = None,
                      since_ms: int | None = None) -> list[EquityPoint]: ...
    def record_signal(self, signal: StrategySignal, run_id: str, *, accepted: bool,
                      reason: str, shadow: bool = False) -> None: ...

    # journal, logs, search
    def journal(self, kind: str, payload: dict[str, Any], *, ts: int, run_id: str,
                text: str) -> int: ...
    def journal_get(self, record_id: int) -> JournalRecord | None: ...
    def journal_tail(self, n: int = 50, *, kind: str | None = None,
                     run_id: str | None = None) -> list[JournalRecord]: ...
    def log(self, level: str, message: str, *, ts: int, source: str = "ats",
            run_id: str = "") -> None: ...
    def search(self, query: str, limit: int = 50) -> list[SearchHit]:
        """FTS5 over journal text and logs; bad user syntax raises ``SearchQueryError``."""
        ...

    # locks (daily lock, kill switch, governance lock) survive restarts
    def save_lock_state(self, name: str, state: dict[str, Any], *, ts: int) -> None: ...
    def load_lock_state(self, name: str) -> dict[str, Any] | None: ...

    def batch(self) -> AbstractContextManager[None]:
        """Group several writes into one transaction."""
        ...

    def close(self) -> None: ...


def iter_chunks(seq: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


class Ledger(Persistence, Protocol):
    """What the brain keeps through storage: ``Persistence`` plus the durable account.

    The brain's orchestrator and its cycle stages are typed by this, not by ``PersistDAO``,
    so a test may hand them any object with these methods.
    """

    account: str

    def ensure_account(self, name: str, *, currency: str, starting_equity: float,
                       ts: int) -> tuple[AccountInfo, bool]: ...
    def get_account(self, name: str) -> AccountInfo | None: ...
    def save_state(self, key: str, state: dict[str, Any], *, ts: int,
                   account: str | None = None) -> None: ...
    def load_state(self, key: str, *, account: str | None = None) -> dict[str, Any] | None: ...
    def acquire_account(self, run_id: str, *, since_ms: int, pid: int | None = None,
                        account: str | None = None) -> Holder | None: ...
    def release_account(self, run_id: str, account: str | None = None) -> None: ...
    def store_funding(self, venue: str, symbol: str,
                      rows: Sequence[tuple[int, float]]) -> int: ...
    def load_funding(self, venue: str, symbol: str,
                     limit: int = 500) -> list[tuple[int, float]]: ...
