"""MonitorAgent: marks positions to market, records equity, watches correlation, publishes.

It runs every cycle, new bar or not, so open positions are revalued and the trader's
screens move even while no strategy has anything to say.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ats.brain.state import BrainSnapshot
from ats.brain.tools import ToolContext, ToolRegistry
from storage.protocol import EquityPoint


@dataclass(frozen=True, slots=True)
class MonitorInput:
    ts: int
    prices: Mapping[str, float]
    returns: Mapping[str, np.ndarray] | None = None  # None: correlation not due this cycle
    record_equity: bool = True


@dataclass(frozen=True, slots=True)
class MonitorResult:
    equity: float
    balance: float
    daily_pnl_pct: float
    trailing_dd_pct: float
    max_correlation: float
    safe_mode: bool


class MonitorAgent:
    name = "monitor"

    def __init__(self, registry: ToolRegistry, ctx: ToolContext) -> None:
        self.registry = registry
        self.ctx = ctx
        self.export_errors: tuple[str, ...] = ()

    def observe(self, inp: MonitorInput) -> MonitorResult:
        pf: Any = self.ctx.portfolio
        snap = pf.mark_to_market(inp.prices, inp.ts)
        if inp.returns is not None and len(inp.returns) >= 2:
            pf.update_correlation(inp.returns)
        if inp.record_equity and self.ctx.dao is not None:
            self.ctx.dao.record_equity(EquityPoint(
                ts=inp.ts, equity=snap.equity, balance=snap.balance,
                drawdown_pct=snap.drawdown_pct, daily_pnl=snap.daily_pnl_pct,
                run_id=self.ctx.run_id))
        return MonitorResult(snap.equity, snap.balance, snap.daily_pnl_pct, snap.drawdown_pct,
                             pf.max_correlation, pf.safe_mode)

    def publish(self, snapshot: BrainSnapshot) -> None:
        res = self.registry.call("export_metrics", self.ctx, snapshot=snapshot)
        self.export_errors = res.errors
