"""Values the portfolio controller hands out: decisions, equity snapshots, closed trades."""

from __future__ import annotations

from dataclasses import dataclass

from ats.domain.types import Side


@dataclass(frozen=True, slots=True)
class AllocationDecision:
    """Whether a plan fits the portfolio now.

    ``max_qty`` is the largest quantity of the same plan that would fit (so the brain can
    shrink instead of dropping it); ``None`` when size is not the problem (a lock, a
    safe-mode block, a malformed plan). ``code`` is a stable key for counting refusals.
    """

    ok: bool
    reason: str
    max_qty: float | None = None
    code: str = ""


@dataclass(frozen=True, slots=True)
class EquitySnapshot:
    """Account figures after a fill or a mark; fractions of equity, losses negative."""

    ts: int
    equity: float
    balance: float
    drawdown_pct: float  # trailing-window drawdown, <= 0
    daily_pnl_pct: float
    unrealized: float
    realized: float  # gross realized PnL since start (fees are separate)
    fees: float = 0.0


@dataclass(frozen=True, slots=True)
class ClosedTrade:
    """A round trip from flat (or a flip) back to flat (or the next flip).

    ``pnl`` is net of the fees of both legs; ``r_multiple`` is ``pnl`` over the risk at the
    initial stop (None when the trade never had a stop, so R is undefined).
    """

    symbol: str
    side: Side
    qty: float  # largest absolute size held during the trade
    entry_price: float  # average entry
    exit_price: float  # average exit
    pnl: float
    gross_pnl: float
    fees: float
    initial_risk: float
    r_multiple: float | None
    opened_ts: int
    closed_ts: int
    strategy: str = ""

    @property
    def is_loss(self) -> bool:
        return self.pnl < 0
