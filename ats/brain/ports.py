"""What the cycle's stages need of the brain, as Protocols: the stages depend on this, not on
``BrainOrchestrator``.

``cycle``, ``cycle_support``, ``recovery``, ``snapshot``, ``day_boundary``, ``funding``,
``account`` and ``actions`` used to take the whole orchestrator and import it back (a circle
of modules). They now take a ``CycleHost`` (``ActionHost`` for the trader's actions):
exactly the state and the few methods they read and write, with the collaborators typed by
the adapters' (``broker_adapters.base.BrokerAdapter``) and storage's
(``storage.protocol.Ledger``) Protocols. ``BrainOrchestrator`` satisfies it structurally
(checked in tests/brain/test_ports.py), and a test may hand the stages any other host.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from ats.brain.account import AccountKeeper
    from ats.brain.actions import ActionQueue, ActionResult
    from ats.brain.agents import (
        ExecutionAgent,
        LockStatus,
        MarketRegimeAgent,
        MonitorAgent,
        RiskManagerAgent,
        StrategySelectionAgent,
    )
    from ats.brain.funding import FundingBook
    from ats.brain.latency import LatencyBook
    from ats.brain.locks import LockEvent, LockManager
    from ats.brain.market import BarWindow
    from ats.brain.shadow import ShadowBook
    from ats.brain.state import EquityPoint
    from ats.brain.tools import ToolContext, ToolRegistry
    from ats.config.loader import LockedGovernance
    from ats.config.models import EnableMap, Governance
    from ats.domain import Clock, FxRates, InstrumentSpec, Mode
    from ats.portfolio.controller import PortfolioController
    from broker_adapters.base import BrokerAdapter
    from storage.protocol import Ledger


@dataclass(slots=True)
class BrainCounters:
    """Cumulative figures for the snapshot and the end-of-run summary."""

    cycles: int = 0
    orders: int = 0
    fills: int = 0
    rejections: dict[str, int] = field(default_factory=dict)
    locks: deque[str] = field(default_factory=lambda: deque(maxlen=200))
    latencies_ms: deque[float] = field(default_factory=lambda: deque(maxlen=20_000))
    slippage_sum: float = 0.0
    slippage_n: int = 0
    errors: int = 0


@runtime_checkable
class CycleHost(Protocol):
    """The brain as its cycle stages see it (read and written by them, nothing more)."""

    # collaborators
    adapter: BrokerAdapter
    dao: Ledger
    clock: Clock
    ctx: ToolContext
    registry: ToolRegistry
    portfolio: PortfolioController
    governance: Governance
    locked_governance: LockedGovernance
    enable_map: EnableMap
    keeper: AccountKeeper
    # agents and books
    regime_agent: MarketRegimeAgent
    selection: StrategySelectionAgent
    risk_agent: RiskManagerAgent
    exec_agent: ExecutionAgent
    monitor: MonitorAgent
    locks: LockManager
    shadow: ShadowBook
    counters: BrainCounters
    funding: FundingBook
    funding_next: dict[str, int]
    venue_latency: LatencyBook
    stage_latency: LatencyBook
    # the run
    run_id: str
    mode: Mode
    venue: str
    symbols: tuple[str, ...]
    instruments: dict[str, InstrumentSpec]
    windows: dict[tuple[str, str], BarWindow]
    window_size: int
    regime_tf: str
    fine_tf: str
    max_corr_symbols: int
    funding_tfs: set[str]
    # state the stages update
    paused: bool
    connected: bool
    focus: str | None
    warm_start: bool
    vol_quantiles: dict[str, float]
    basis: dict[str, float]
    spreads: dict[str, float]
    fx: FxRates
    refusals: dict[str, str]
    equity_history: deque[EquityPoint]
    last_error: str
    last_journal_id: int | None
    reconcile_block: str

    @property
    def book_venue(self) -> str: ...

    def journal_event(self, kind: str, text: str, payload: dict[str, Any] | None = None,
                      level: str = "info") -> int | None: ...

    def lock_events(self, events: list[LockEvent | None]) -> None: ...

    def lock_status(self) -> LockStatus: ...

    def rebase_drawdown(self, ts: int) -> None: ...

    async def update_fx(self, *, account_currency: bool = False) -> str: ...


@runtime_checkable
class ActionHost(CycleHost, Protocol):
    """The brain as the trader's action queue sees it (``ats.brain.actions.drain``)."""

    actions: ActionQueue
    action_results: deque[ActionResult]
