"""The immutable picture of the brain after a cycle.

The orchestrator builds one ``BrainSnapshot`` per cycle; the TUI, the Prometheus exporter,
``/graph`` and run reports only *read* it. Replacing a whole frozen object (instead of
mutating shared state) is what lets a UI thread and a metrics thread look at it safely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ats.domain import Mode, Order, Position, Regime

NodeState = Literal["ok", "warn", "error", "disabled"]
# "enabled": may open a position now; "standby": loaded, but no current regime enables it
# (or a lock or pause blocks new entries); "active": signalled this cycle or holds a position.
StrategyStatus = Literal["enabled", "active", "cooldown", "disabled", "shadow", "standby"]

# The agent graph: nodes and the edges of one cycle, in cycle order.
GRAPH_NODES: tuple[str, ...] = ("brain", "regime", "strategy", "risk", "exec", "monitor")
GRAPH_EDGES: tuple[tuple[str, str], ...] = (
    ("brain", "regime"),
    ("regime", "strategy"),
    ("strategy", "risk"),
    ("risk", "exec"),
    ("exec", "monitor"),
    ("monitor", "brain"),
)


@dataclass(frozen=True, slots=True)
class RegimeView:
    symbol: str
    regime: Regime
    held_bars: int
    since_ts: int
    # the classifier's inputs on the last regime bar (None until one was assessed)
    timeframe: str = ""
    adx: float | None = None
    atr_pct: float | None = None
    ema_slope: float | None = None
    vol_quantile: float | None = None


@dataclass(frozen=True, slots=True)
class StrategyView:
    name: str
    status: StrategyStatus
    shadow: bool = False
    last_signal: str | None = None  # e.g. "BUY BTC/USDT:USDT @ 43120.5 (conf 0.72)"
    errors: int = 0
    # May it open a position now: the enable map lists it for a symbol's current regime,
    # its own regime filter agrees, and no cooldown, lock, pause or error-disable stops it.
    # The desk's "enabled" and the exporter's ats_strategy_active both mean exactly this.
    may_open: bool = False


@dataclass(frozen=True, slots=True)
class RiskView:
    """Risk budget figures as fractions of equity (0.008 = 0.8 %); losses are negative."""

    risk_per_trade: float = 0.008
    base_risk: float = 0.008
    max_risk: float = 0.010  # governance cap per trade (base + bonus never exceeds it)
    daily_pnl: float = 0.0
    daily_lock_limit: float = -0.018
    trailing_dd: float = 0.0
    kill_switch_limit: float = -0.035
    portfolio_risk: float = 0.0
    portfolio_cap: float = 0.03
    risk_cap: float = 0.03  # after safe-mode reduction
    safe_mode: bool = False
    max_correlation: float = 0.0
    daily_lock: bool = False
    kill_switch: bool = False
    governance_locked: bool = False
    lock_reason: str = ""  # the strongest lock's reason
    kill_reason: str = ""  # the kill switch's own reason (manual or drawdown), when engaged


@dataclass(frozen=True, slots=True)
class AgentView:
    id: str
    state: NodeState = "ok"
    last_latency_ms: float = 0.0
    last_error: str = ""


@dataclass(frozen=True, slots=True)
class EdgeView:
    source: str
    target: str
    active: bool


@dataclass(frozen=True, slots=True)
class EquityPoint:
    ts: int
    equity: float
    drawdown: float  # <= 0


@dataclass(frozen=True, slots=True)
class LatencyView:
    """Cumulative latency counts: per bucket of ``ats.brain.latency.LATENCY_BUCKETS_S``
    (not cumulative over buckets; the last slot is +Inf) and the sum in seconds."""

    counts: tuple[int, ...] = ()
    sum_s: float = 0.0

    @property
    def count(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True, slots=True)
class ToolStat:
    calls: int = 0
    errors: int = 0
    total_ms: float = 0.0
    last_ms: float = 0.0
    latency: LatencyView = LatencyView()


@dataclass(frozen=True, slots=True)
class BrainSnapshot:
    cycle: int = 0
    ts: int = 0
    run_id: str = ""
    mode: Mode = Mode.PAPER
    venue: str = "mock"
    connected: bool = False
    paused: bool = False
    feed_age_ms: dict[str, int] = field(default_factory=dict)
    focus_symbol: str | None = None
    regimes: tuple[RegimeView, ...] = ()
    strategies: tuple[StrategyView, ...] = ()
    risk: RiskView = RiskView()
    agents: tuple[AgentView, ...] = tuple(AgentView(n) for n in GRAPH_NODES)
    edges: tuple[EdgeView, ...] = tuple(EdgeView(s, t, False) for s, t in GRAPH_EDGES)
    positions: tuple[Position, ...] = ()
    open_orders: tuple[Order, ...] = ()
    equity: float = 0.0
    balance: float = 0.0
    pnl_total: float = 0.0
    drawdown: float = 0.0
    equity_history: tuple[EquityPoint, ...] = ()  # bounded (last ~500 points)
    stage_latency_ms: dict[str, float] = field(default_factory=dict)
    stage_latency: dict[str, LatencyView] = field(default_factory=dict)  # cumulative
    venue_latency: dict[str, LatencyView] = field(default_factory=dict)  # by adapter method
    spread_bps: dict[str, float] = field(default_factory=dict)  # last quote per symbol
    cycle_latency_ms: float = 0.0
    tool_stats: dict[str, ToolStat] = field(default_factory=dict)
    rejections: dict[str, int] = field(default_factory=dict)  # reason -> count (cumulative)
    orders_total: int = 0
    fills_total: int = 0
    slippage_bps: float = 0.0
    last_journal_id: int | None = None
    last_error: str = ""

    def graph(self) -> dict[str, list[dict[str, object]]]:
        """The ``/graph`` document: nodes with state, edges lit if the last cycle used them.

        Edge ids are ``source->target``, the same ``id`` label ``ats_agent_edge_active``
        carries, because Grafana's node graph needs an ``id`` on every edge."""
        return {
            "nodes": [{"id": a.id, "state": a.state} for a in self.agents],
            "edges": [
                {"id": f"{e.source}->{e.target}", "source": e.source, "target": e.target,
                 "active": e.active} for e in self.edges
            ],
        }
