"""The strategy contract: a ``StrategyContext`` in, ``StrategySignal``s out, nothing else.

Strategies know nothing of risk, sizing or brokers. They are *stateless*: everything a
decision needs (including where an open position was entered) is derived from the context,
so replaying history bar by bar (``signals_over_history``) reproduces what the live brain
saw, and no hidden state can leak the future into the past.

Signal conventions (shared with the brain, the risk engine and the research lab):

* ``side`` is the side of the *order* the signal asks for: an entry long is ``BUY``; an exit
  of a long is ``SELL`` (``is_exit=True``). ``meta["position_side"]`` names the position.
* ``meta["qty_fraction"]`` on an exit is the fraction of the quantity *open when the exit is
  acted on* (0.5 = close half of what is left; 1.0 = close everything).
* ``ts`` is the close time of the bar the signal was computed on (open time + timeframe).
* ``stop_hint`` / ``take_hint`` are price levels; ``take_hint`` is None when the strategy
  manages the exit itself (partial takes, trailing stops, channel exits).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np

from ats.domain import Bars, InstrumentSpec, Position, Regime, Side, StrategySignal, timeframe_ms

Kind = Literal["trend", "mean_reversion"]


@dataclass(frozen=True)
class StrategyContext:
    """What a strategy may look at for one symbol on one closed bar."""

    symbol: str
    bars: Bars  # closed bars of strategy.timeframe, oldest first
    regime: Regime | None = None
    position: Position | None = None  # this strategy's open position on symbol, if any
    funding_rates: np.ndarray | None = None  # funding-rate history, oldest first (perps only)
    basis: float | None = None  # (mark - index) / index where known
    instrument: InstrumentSpec | None = None


class TradingStrategy(ABC):
    """Base of every strategy; subclasses set the class attributes and ``generate``."""

    name: ClassVar[str]
    kind: ClassVar[Kind]
    timeframe: str
    bars_needed: int
    regimes: tuple[Regime, ...] | None = None

    @abstractmethod
    def generate(self, ctx: StrategyContext) -> list[StrategySignal]:
        """Entries and exits (is_exit=True) for the LAST closed bar only; never looks ahead."""

    # -- helpers shared by the shipped strategies -------------------------------------------

    def params(self) -> dict[str, Any]:
        """The constructor parameters (journaled with signals; used by the research lab)."""
        return dict(getattr(self, "_params", {}))

    _params: dict[str, Any]

    def _set_params(self, **params: Any) -> None:
        for key, value in params.items():
            if isinstance(value, bool):
                continue
            if isinstance(value, int | float) and (not math.isfinite(value) or value <= 0):
                raise ValueError(f"{self.name}: parameter {key} must be > 0, got {value!r}")
        self._params = params
        for key, value in params.items():
            setattr(self, key, value)

    def allows_entry_in(self, regime: Regime | None) -> bool:
        """Unknown regime (None) does not block; a known one must be in ``regimes``."""
        return regime is None or self.regimes is None or regime in self.regimes

    def window(self, ctx: StrategyContext) -> Bars:
        """The last ``bars_needed`` bars; refuses bars of another timeframe or symbol."""
        bars = ctx.bars
        if bars.timeframe != self.timeframe:
            raise ValueError(
                f"strategy {self.name} runs on {self.timeframe} bars, got {bars.timeframe} bars "
                f"for {ctx.symbol}; pass the bars of the strategy's timeframe"
            )
        return bars.tail(self.bars_needed)

    def signal(
        self,
        ctx: StrategyContext,
        bars: Bars,
        side: Side,
        *,
        confidence: float,
        reason: str,
        stop: float | None = None,
        take: float | None = None,
        is_exit: bool = False,
        **meta: Any,
    ) -> StrategySignal:
        entry = float(bars.close[-1])
        if is_exit:
            meta.setdefault("qty_fraction", 1.0)
            meta.setdefault("position_side", side.opposite.value)
        return StrategySignal(
            strategy=self.name,
            symbol=ctx.symbol,
            timeframe=self.timeframe,
            side=side,
            entry=entry,
            stop_hint=stop,
            confidence=float(min(1.0, max(0.0, confidence))),
            reason=reason,
            ts=int(bars.ts[-1]) + timeframe_ms(self.timeframe),
            take_hint=take,
            is_exit=is_exit,
            meta=meta,
        )


def open_position(ctx: StrategyContext) -> Position | None:
    """The context's position if it is really open (non-zero quantity)."""
    pos = ctx.position
    return pos if pos is not None and pos.qty != 0 else None


def entry_index(bars: Bars, position: Position) -> int:
    """Index of the first bar that opened at or after the fill (bars since entry start
    there); 0 when the entry predates the window, ``len(bars)`` when it is later than all."""
    return int(np.searchsorted(bars.ts, position.ts, side="left"))


def fmt(x: float) -> str:
    """Compact price formatting for reasons (journal text is searched by people)."""
    return f"{x:.6g}"
