"""Bars and signals for ``ats backtest``: a shipped strategy by name or a DSL document by
path, over the mock market (deterministic per seed) or bars stored in the database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ats.domain import Bars, FixedClock
from ats.domain.types import timeframe_ms
from research_lab.dsl.evaluate import SignalArrays, evaluate

SignalsOf = Callable[[Bars], SignalArrays]


def strategy_signals(name_or_path: str) -> tuple[Any, SignalsOf]:
    """The strategy object and a function from bars to its signal arrays.

    A ``.json`` path is a DSL document (vectorized evaluation); anything else is a registry
    name, replayed bar by bar through the live ``generate`` code.
    """
    if name_or_path.endswith(".json") or Path(name_or_path).is_file():
        from research_lab.dsl.compile import load_strategy

        strat = load_strategy(name_or_path)
        return strat, lambda b: evaluate(strat.spec, b)
    from ats.strategies import registry
    from research_lab.backtest.replay import strategy_arrays

    strat = registry.create(name_or_path)
    return strat, lambda b: strategy_arrays(strat, b)


def bars_for(symbol: str, timeframe: str, start_ms: int, end_ms: int, *, seed: int = 42,
             db: str | Path | None = None) -> Bars:
    """Closed bars with open time in ``[start_ms, end_ms)``."""
    if db is not None:
        from storage.dao import PersistDAO

        dao = PersistDAO(db, readonly=True)
        try:
            bars = dao.read_bars(symbol, timeframe, start_ms=start_ms, end_ms=end_ms - 1)
        finally:
            dao.close()
        if len(bars) == 0:
            raise ValueError(f"{db} holds no {symbol} {timeframe} bars in that range; run "
                             "`ats sync` first or drop --db to use the mock market")
        return bars
    from broker_adapters.mock import MockMarket

    mkt = MockMarket(clock=FixedClock(end_ms), seed=seed, symbols=(symbol,),
                     start=end_ms, history_days=max(1, (end_ms - start_ms) // 86_400_000 + 2))
    tf = timeframe_ms(timeframe)
    k0 = -(-(start_ms - mkt.origin_ms) // tf)
    k1 = (end_ms - mkt.origin_ms) // tf
    return mkt.bars_between(symbol, timeframe, max(0, k0), k1)
