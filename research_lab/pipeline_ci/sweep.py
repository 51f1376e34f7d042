"""A walk-forward sweep cut into independent tasks: candidate × symbol × fold.

The expensive part of a walk-forward is training: every variant of a candidate backtested
on every fold's training window. Those are independent of each other, so each
``(candidate, market/symbol, fold)`` becomes one ``FoldTask`` that any executor (this
process, a process pool, a Dask cluster) can run; it returns the chosen variant and its
training Sharpe. The parent then stitches the out-of-sample test windows in fold order
(each fold starts from the previous fold's equity, so that part is sequential and cheap).
A task is a pure function of its fields, so results are bit-identical on every executor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ats.domain import Bars
from research_lab.backtest.engine import BacktestConfig
from research_lab.dsl.evaluate import SignalArrays, evaluate
from research_lab.dsl.models import StrategySpec
from research_lab.pipeline_ci import market as mk
from research_lab.pipeline_ci.executor import Executor, SerialExecutor
from research_lab.pipeline_ci.walkforward import (
    WalkForwardResult,
    folds_for,
    variants_of,
    walk_forward,
    window_backtest,
)


@dataclass(frozen=True, slots=True)
class FoldTask:
    """Train one candidate's variants on one fold of one market's history."""

    spec_json: str  # the candidate, as its DSL JSON (small, picklable, a cache key)
    market: mk.MarketSpec  # the symbol's history is rebuilt (deterministically) by the worker
    cfg: BacktestConfig
    train: tuple[int, int]
    variants: int
    seed: int


@lru_cache(maxsize=8)
def _history(market: mk.MarketSpec) -> Bars:
    return mk.history(market)


@lru_cache(maxsize=16)
def _signals(spec_json: str, market: mk.MarketSpec, variants: int, seed: int
             ) -> tuple[SignalArrays, ...]:
    """Every variant's signals over the whole history, kept for the candidate's other folds
    that land on the same worker."""
    spec = StrategySpec.model_validate_json(spec_json)
    bars = _history(market)
    return tuple(evaluate(c, bars) for c in variants_of(spec, variants, seed))


def train_fold(task: FoldTask) -> tuple[int, float]:
    """The variant with the best training Sharpe on ``task.train`` and that Sharpe."""
    bars = _history(task.market)
    sigs = _signals(task.spec_json, task.market, task.variants, task.seed)
    ta, tb = task.train
    scores = [window_backtest(bars, s, ta, tb, task.cfg).metrics.sharpe for s in sigs]
    best = int(np.argmax(scores))
    return best, float(scores[best])


def sweep(
    specs: Sequence[StrategySpec], markets: Sequence[mk.MarketSpec], cfg: BacktestConfig, *,
    train: int, test: int, variants: int, seed: int, executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
    bars: dict[mk.MarketSpec, Bars] | None = None,
) -> list[list[WalkForwardResult]]:
    """Walk-forward of every spec on every market (symbol): ``out[i][j]`` is ``specs[i]`` on
    ``markets[j]``, equal to ``walk_forward(specs[i], history(markets[j]), ...)``.

    All candidate × symbol × fold training tasks go to ``executor`` in one batch (so a
    cluster sees the whole sweep at once); the stitching happens here, in a fixed order.
    """
    if not specs or not markets:
        return [[] for _ in specs]
    given = bars or {}
    hist = {m: given[m] if m in given else _history(m) for m in markets}
    plans = {m: folds_for(len(hist[m]), train, test) for m in markets}
    for m in markets:
        if not plans[m]:  # walk_forward raises the one clear message for it
            walk_forward(specs[0], hist[m], cfg, train=train, test=test, variants=variants,
                         seed=seed)
    tasks = [FoldTask(s.model_dump_json(), m, cfg, fold, variants, seed)
             for s in specs for m in markets for fold, _ in plans[m]]
    run = executor or SerialExecutor()
    res = iter(run.map(train_fold, tasks, progress or (lambda done, total: None)))
    out: list[list[WalkForwardResult]] = []
    for s in specs:
        row = []
        for m in markets:
            chosen = [next(res) for _ in plans[m]]
            row.append(walk_forward(s, hist[m], cfg, train=train, test=test,
                                    variants=variants, seed=seed, chosen=chosen))
        out.append(row)
    return out


def walk_forward_many(
    specs: Sequence[StrategySpec], market: mk.MarketSpec, cfg: BacktestConfig, *,
    train: int, test: int, variants: int, seed: int, executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None, bars: Bars | None = None,
) -> list[WalkForwardResult]:
    """``sweep`` over one market (the research pipeline's run has one symbol)."""
    rows = sweep(specs, [market], cfg, train=train, test=test, variants=variants, seed=seed,
                 executor=executor, progress=progress,
                 bars=None if bars is None else {market: bars})
    return [r[0] for r in rows]
