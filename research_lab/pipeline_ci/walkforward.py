"""Walk-forward: choose on a training window, trade the next unseen window, roll.

For every fold the candidate and a few seeded mutations of it (its "variants") are
backtested on the training window; the one with the best training Sharpe trades the test
window that follows. Only test windows are stitched into the result, so every reported
number is out of sample. Signals are evaluated once per variant over the whole history
(indicators are causal — the lookahead check guarantees it) and sliced per window, so a
window still gets a warmed-up indicator on its first bar.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from ats.domain import Bars
from research_lab.backtest.engine import BacktestConfig, BacktestResult, run_backtest
from research_lab.backtest.metrics import Metrics, compute_metrics
from research_lab.dsl.evaluate import SignalArrays, evaluate
from research_lab.dsl.models import StrategySpec
from research_lab.generators.deterministic import mutate


@dataclass(frozen=True, slots=True)
class Fold:
    train: tuple[int, int]
    test: tuple[int, int]
    chosen: str
    train_sharpe: float
    test_return: float
    test_trades: int


@dataclass(frozen=True, slots=True)
class WalkForwardResult:
    folds: tuple[Fold, ...]
    equity: np.ndarray  # stitched out-of-sample equity
    returns: np.ndarray  # per-bar out-of-sample returns
    pnl: np.ndarray  # out-of-sample trade pnl
    metrics: Metrics
    variants: int
    start_bar: int  # first out-of-sample bar in the history

    def to_dict(self) -> dict[str, object]:
        return {"metrics": self.metrics.to_dict(), "variants": self.variants,
                "start_bar": self.start_bar,
                "folds": [{"train": list(f.train), "test": list(f.test), "chosen": f.chosen,
                           "train_sharpe": f.train_sharpe, "test_return": f.test_return,
                           "test_trades": f.test_trades} for f in self.folds]}


def slice_signals(sig: SignalArrays, a: int, b: int) -> SignalArrays:
    return SignalArrays(sig.long_entry[a:b].copy(), sig.long_exit[a:b], sig.short_entry[a:b],
                        sig.short_exit[a:b], sig.stop_dist[a:b], sig.take_dist[a:b])


def window_backtest(bars: Bars, sig: SignalArrays, a: int, b: int, cfg: BacktestConfig
                    ) -> BacktestResult:
    return run_backtest(bars.slice(a, b), slice_signals(sig, a, b), cfg)


def variants_of(spec: StrategySpec, count: int, seed: int) -> list[StrategySpec]:
    out = [spec]
    r = random.Random(seed)
    tries = 0
    while len(out) < count and tries < count * 10:
        tries += 1
        m = mutate(spec, r, f"w{tries}")
        if m is not None and m.model_dump(exclude={"name", "description"}) not in [
                o.model_dump(exclude={"name", "description"}) for o in out]:
            out.append(m)
    return out


def folds_for(n: int, train: int, test: int) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    out = []
    start = 0
    while start + train + test <= n:
        out.append(((start, start + train), (start + train, start + train + test)))
        start += test
    return out


def walk_forward(spec: StrategySpec, bars: Bars, cfg: BacktestConfig, *, train: int,
                 test: int, variants: int = 3, seed: int = 0,
                 chosen: Sequence[tuple[int, float]] | None = None) -> WalkForwardResult:
    """Rolling train/test walk-forward of ``spec``; raises ``ValueError`` if too few bars.

    ``chosen`` is the training result of every fold (variant index, training Sharpe),
    computed elsewhere by ``sweep.train_fold`` (a process pool or a Dask cluster); without
    it the folds are trained here. Either way the numbers are the same.
    """
    plan = folds_for(len(bars), train, test)
    if not plan:
        raise ValueError(f"walk-forward needs at least train+test = {train + test} bars, "
                         f"history has {len(bars)}; use more history or shorter windows")
    if chosen is not None and len(chosen) != len(plan):
        raise ValueError(f"{len(chosen)} trained folds for a plan of {len(plan)}")
    cands = variants_of(spec, variants, seed)
    sigs: list[SignalArrays | None] = [None] * len(cands)

    def sig(i: int) -> SignalArrays:
        s = sigs[i]
        if s is None:
            s = sigs[i] = evaluate(cands[i], bars)
        return s

    folds: list[Fold] = []
    equity_parts: list[np.ndarray] = []
    pos_parts: list[np.ndarray] = []
    pnl_parts: list[np.ndarray] = []
    ret_parts: list[np.ndarray] = []
    part_sum, caps = 0.0, []
    equity = cfg.initial_equity
    for k, ((ta, tb), (sa, sb)) in enumerate(plan):
        if chosen is None:
            scores = [window_backtest(bars, sig(i), ta, tb, cfg).metrics.sharpe
                      for i in range(len(cands))]
            best = int(np.argmax(scores))
            best_score = float(scores[best])
        else:
            best, best_score = int(chosen[k][0]), float(chosen[k][1])
        run_cfg = BacktestConfig(**{**_fields(cfg), "initial_equity": equity})
        res = window_backtest(bars, sig(best), sa, sb, run_cfg)
        folds.append(Fold((ta, tb), (sa, sb), cands[best].name, best_score,
                          float(res.equity[-1] / equity - 1.0), len(res.trades)))
        equity = float(res.equity[-1])
        equity_parts.append(res.equity)
        pos_parts.append(res.position)
        pnl_parts.append(res.trades.pnl)
        ret_parts.append(res.trades.ret)
        part_sum += res.metrics.participation * len(res.trades)
        if len(res.trades):
            caps.append(res.metrics.capacity_notional)
    eq = np.concatenate(equity_parts)
    pnl = np.concatenate(pnl_parts)
    metrics = compute_metrics(pnl, np.concatenate(ret_parts), eq, np.concatenate(pos_parts),
                              cfg.bars_per_year, initial_equity=cfg.initial_equity)
    metrics = replace(metrics, participation=part_sum / len(pnl) if len(pnl) else 0.0,
                      capacity_notional=float(np.median(caps)) if caps else 0.0)
    rets = np.diff(np.concatenate([[cfg.initial_equity], eq])) / np.concatenate(
        [[cfg.initial_equity], eq[:-1]])
    return WalkForwardResult(tuple(folds), eq, rets, pnl, metrics, len(cands), plan[0][1][0])


def _fields(cfg: BacktestConfig) -> dict[str, object]:
    return {k: getattr(cfg, k) for k in cfg.__dataclass_fields__}
