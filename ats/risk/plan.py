"""A sized trade waiting for the portfolio's permission and then the execution agent.

Lives in ``ats.risk`` because the risk engine produces it; ``ats.portfolio`` re-exports it
because the portfolio controller is what accepts or refuses it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ats.domain.types import Side, StrategySignal
from ats.risk.sizing import SizingResult


@dataclass(frozen=True, slots=True)
class TradePlan:
    """One entry, fully specified: what, how much, where it is wrong, what it risks."""

    symbol: str
    side: Side
    qty: float
    entry: float
    stop: float | None
    take: float | None
    risk_amount: float  # account currency lost at the stop
    risk_pct: float  # risk_amount / equity at planning time
    notional: float  # qty * entry * contract size
    strategy: str = ""
    confidence: float = 0.0
    reason: str = ""
    timeframe: str = ""
    ts: int = 0

    @classmethod
    def from_sizing(
        cls,
        signal: StrategySignal,
        sizing: SizingResult,
        entry: float,
        *,
        reason: str | None = None,
    ) -> TradePlan:
        """Combine a signal and an accepted size; refuses a rejected size loudly."""
        if not sizing.ok:
            raise ValueError(f"cannot plan {signal.symbol}: sizing was rejected "
                             f"({sizing.rejected})")
        return cls(
            symbol=signal.symbol,
            side=signal.side,
            qty=sizing.qty,
            entry=entry,
            stop=sizing.stop_price,
            take=sizing.take_price,
            risk_amount=sizing.risk_amount,
            risk_pct=sizing.risk_pct,
            notional=sizing.notional,
            strategy=signal.strategy,
            confidence=signal.confidence,
            reason=signal.reason if reason is None else reason,
            timeframe=signal.timeframe,
            ts=signal.ts,
        )

    def scaled(self, qty: float) -> TradePlan:
        """The same plan at a smaller size (risk and notional scale linearly with qty)."""
        if not (qty > 0 and qty <= self.qty):
            raise ValueError(f"scaled qty {qty!r} must be in (0, {self.qty}]")
        k = qty / self.qty
        return TradePlan(
            symbol=self.symbol, side=self.side, qty=qty, entry=self.entry, stop=self.stop,
            take=self.take, risk_amount=self.risk_amount * k, risk_pct=self.risk_pct * k,
            notional=self.notional * k, strategy=self.strategy, confidence=self.confidence,
            reason=self.reason, timeframe=self.timeframe, ts=self.ts,
        )
