"""Vectorized backtester, metrics and the anti-lookahead check."""

from research_lab.backtest.engine import (
    BacktestConfig,
    BacktestResult,
    Trades,
    for_timeframe,
    run_backtest,
)
from research_lab.backtest.metrics import Metrics, compute_metrics, max_drawdown

__all__ = [
    "BacktestConfig",
    "BacktestResult",
    "Metrics",
    "Trades",
    "compute_metrics",
    "for_timeframe",
    "max_drawdown",
    "run_backtest",
]
