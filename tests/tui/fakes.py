"""A scripted brain over a real ``PersistDAO``: for desk mechanics the real orchestrator
cannot be made to do on cue (a cycle that raises, a connection that drops)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from rich.console import Console, RenderableType

from ats.brain.state import (
    GRAPH_EDGES,
    AgentView,
    BrainSnapshot,
    EdgeView,
    EquityPoint,
    RegimeView,
    RiskView,
    StrategyView,
)
from ats.domain import FixedClock, Position, Regime
from storage.dao import PersistDAO

T0 = 1_767_571_200_000  # 2026-01-05 00:00:00 UTC


def text_of(renderable: RenderableType, width: int = 40) -> str:
    """Plain text of a Rich renderable at ``width`` columns."""
    console = Console(width=width, record=True, color_system=None, legacy_windows=False)
    console.print(renderable)
    return console.export_text()


def sample_snapshot(cycle: int = 3, **changes: Any) -> BrainSnapshot:
    """A hand-made, fully populated snapshot for pure view tests."""
    base = BrainSnapshot(
        cycle=cycle, ts=T0 + cycle * 60_000, run_id="test-run", venue="mock", connected=True,
        feed_age_ms={"BTC/USDT:USDT": 1_200, "EURUSD": 800}, focus_symbol="BTC/USDT:USDT",
        regimes=(RegimeView("BTC/USDT:USDT", Regime.TREND_UP, 12, T0),
                 RegimeView("EURUSD", Regime.RANGE_LOWVOL, 4, T0)),
        strategies=(StrategyView("ema_cross", "active", last_signal="BUY BTC @ 43120.5"),
                    StrategyView("mean_revert", "cooldown"),
                    StrategyView("breakout", "disabled"),
                    StrategyView("challenger_1", "enabled", shadow=True)),
        risk=RiskView(risk_per_trade=0.006, daily_pnl=-0.012, trailing_dd=-0.01,
                      portfolio_risk=0.01, safe_mode=True, max_correlation=0.7),
        agents=(AgentView("brain"), AgentView("regime"), AgentView("strategy"),
                AgentView("risk", "warn"), AgentView("exec"), AgentView("monitor")),
        edges=tuple(EdgeView(s, d, True) for s, d in GRAPH_EDGES),
        positions=(Position("BTC/USDT:USDT", 0.01, 43000.0, T0, stop=42000.0, take=45000.0,
                            unrealized_pnl=12.5),),
        equity=10_012.5, balance=10_000.0, pnl_total=12.5, drawdown=-0.004,
        equity_history=tuple(EquityPoint(T0 + i * 60_000, 10_000 + i * 3.0, -0.001 * (i % 3))
                             for i in range(20)),
        last_journal_id=None,
    )
    return replace(base, **changes)


class FakeBrain:
    """Each cycle journals a record and returns ``script(cycle)`` (or raises it)."""

    def __init__(self, dao: PersistDAO, clock: FixedClock, run_id: str = "test-run",
                 script: Callable[[int], BrainSnapshot | Exception] | None = None) -> None:
        self.dao = dao
        self.clock = clock
        self.run_id = run_id
        self.script = script or (lambda n: sample_snapshot(n))
        self.snapshot = BrainSnapshot(run_id=run_id)
        self.paused = False
        self.sinks: list[Callable[[BrainSnapshot], Any]] = []
        self.cycles = 0
        self.kill_reasons: list[str] = []
        self.focus: str | None = None
        self.started = self.stopped = False

    def add_sink(self, callback: Callable[[BrainSnapshot], Any]) -> None:
        self.sinks.append(callback)

    async def start(self) -> None:
        self.dao.open_run(self.run_id, mode="paper", adapter="mock", ts=self.clock.now_ms())
        self.started = True

    async def run_cycle(self) -> BrainSnapshot:
        self.cycles += 1
        self.clock.advance(60_000)
        outcome = self.script(self.cycles)
        if isinstance(outcome, Exception):
            raise outcome
        jid = self.dao.journal("cycle", {"cycle": self.cycles}, ts=self.clock.now_ms(),
                               run_id=self.run_id, text=f"cycle {self.cycles} regime trend_up")
        self.snapshot = replace(outcome, last_journal_id=jid, ts=self.clock.now_ms())
        for sink in self.sinks:
            sink(self.snapshot)
        return self.snapshot

    async def stop(self) -> None:
        self.dao.close_run(self.run_id, ts=self.clock.now_ms(), summary={"cycles": self.cycles})
        self.stopped = True

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False

    async def engage_kill_switch(self, reason: str) -> None:
        self.kill_reasons.append(reason)
        self.dao.journal("lock", {"lock": "kill_switch", "reason": reason},
                         ts=self.clock.now_ms(), run_id=self.run_id,
                         text=f"kill switch engaged: {reason}")
        self.snapshot = replace(self.snapshot, risk=replace(self.snapshot.risk, kill_switch=True))

    def set_focus(self, symbol: str | None) -> None:
        self.focus = symbol
        self.snapshot = replace(self.snapshot, focus_symbol=symbol)
