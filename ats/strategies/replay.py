"""Replay a strategy over history exactly as the brain would have run it, bar by bar.

Used by the anti-look-ahead tests (here and in the research lab) and by backtests that want
the live code path rather than a vectorized imitation. At bar ``k`` the strategy sees the
bars ``0..k`` only, and per-bar context (regime, basis, funding) as of that bar only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from ats.domain import Bars, InstrumentSpec, Position, Regime, StrategySignal, timeframe_ms
from ats.strategies.base import StrategyContext, TradingStrategy


def _aligned(name: str, value: Any, n: int) -> Any:
    if isinstance(value, np.ndarray | list | tuple) and len(value) != n:
        raise ValueError(
            f"{name} has {len(value)} values but there are {n} bars; pass one per bar "
            f"(or a single value for the whole history)"
        )
    return value


def signals_over_history(
    strategy: TradingStrategy,
    bars: Bars,
    *,
    regime: Regime | Sequence[Regime | None] | None = None,
    basis: float | Sequence[float | None] | np.ndarray | None = None,
    funding_rates: np.ndarray | None = None,
    funding_ts: np.ndarray | None = None,
    instrument: InstrumentSpec | None = None,
    position: Position | None = None,
    track_positions: bool = True,
    start: int = 1,
) -> list[StrategySignal]:
    """Call ``strategy.generate`` on every prefix ``bars[:k]`` for ``k = start..len(bars)``.

    ``regime`` and ``basis`` are either one value for the whole replay or one per bar.
    ``funding_rates`` needs ``funding_ts`` (the time each rate became known, ms UTC): at each
    bar the strategy sees the rates known by that bar's close. A history without times would
    hand the strategy tomorrow's funding, so it is refused.

    With ``track_positions`` (default) a unit position is opened on each entry signal while
    flat (at the signal's price, at its time) and reduced by each exit's ``qty_fraction``,
    so exit rules are exercised; ``position`` then seeds the replay with an open position.
    Without tracking, ``position`` is passed unchanged to every call.
    """
    n = len(bars)
    regime = _aligned("regime", regime, n)
    basis = _aligned("basis", basis, n)
    if funding_rates is not None:
        if funding_ts is None or len(funding_ts) != len(funding_rates):
            raise ValueError(
                "funding_rates needs funding_ts of the same length (when each rate became "
                "known); without it the replay would show strategies future funding"
            )
        order = np.argsort(funding_ts, kind="stable")
        funding_ts = np.asarray(funding_ts, dtype=np.int64)[order]
        funding_rates = np.asarray(funding_rates, dtype=np.float64)[order]
    tf_ms = timeframe_ms(bars.timeframe)
    need = strategy.bars_needed
    pos = position
    out: list[StrategySignal] = []
    for k in range(max(1, start), n + 1):
        window = bars.slice(max(0, k - need), k)
        close_ts = int(bars.ts[k - 1]) + tf_ms
        rates = None
        if funding_rates is not None:
            known = int(np.searchsorted(funding_ts, close_ts, side="right"))
            rates = funding_rates[:known]
        ctx = StrategyContext(
            symbol=bars.symbol,
            bars=window,
            regime=regime[k - 1] if isinstance(regime, list | tuple | np.ndarray) else regime,
            position=pos if (pos is not None and pos.qty != 0) else None,
            funding_rates=rates,
            basis=basis[k - 1] if isinstance(basis, list | tuple | np.ndarray) else basis,
            instrument=instrument,
        )
        signals = strategy.generate(ctx)
        out.extend(signals)
        if track_positions:
            pos = _apply(pos, signals, bars.symbol, strategy.name)
    return out


def _apply(
    pos: Position | None, signals: list[StrategySignal], symbol: str, name: str
) -> Position | None:
    """The unit position after acting on ``signals`` (entries only when flat)."""
    for s in signals:
        if s.is_exit:
            if pos is None:
                continue
            remaining = pos.qty * (1.0 - float(s.meta.get("qty_fraction", 1.0)))
            pos = None if abs(remaining) < 1e-12 else replace(pos, qty=remaining)
        elif pos is None:
            pos = Position(
                symbol=symbol,
                qty=float(s.side.sign),
                entry_price=s.entry,
                ts=s.ts,
                stop=s.stop_hint,
                take=s.take_hint,
                strategy=name,
            )
    return pos
