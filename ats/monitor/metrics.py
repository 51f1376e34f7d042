"""Prometheus metrics fed from ``BrainSnapshot``s.

Metric names are a contract shared with the TUI and the shipped Grafana dashboards
(../shared/ARCHITECTURE.md); renaming one breaks a dashboard, so they live in one place.
Numbers that only grow in the snapshot (tool calls, orders, rejections) are exported as
counters by adding the *difference* since the previous snapshot, so a restart of the brain
object never makes a counter go backwards.
"""

from __future__ import annotations

import threading

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from ats.brain.state import GRAPH_NODES, BrainSnapshot
from ats.domain import Regime

NODE_STATES = ("ok", "warn", "error", "disabled")
# agent_state values: Grafana value mappings colour them green / yellow / red / grey.
STATE_VALUE = {state: float(i) for i, state in enumerate(NODE_STATES)}
REGIME_VALUE = {r.value: float(i) for i, r in enumerate(Regime)}


class BrainMetrics:
    """One registry per process holding every metric the dashboards query."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self._lock = threading.Lock()
        self.agent_state = Gauge(
            "agent_state", "Agent health: 0 ok, 1 warn, 2 error, 3 disabled", ["agent"], registry=r
        )
        self.graph_node = Gauge(
            "graph_node_state", "1 when node `id` is in `state` (node graph arcs)",
            ["id", "state"], registry=r,
        )
        self.graph_edge_active = Gauge(
            "graph_edge_active", "1 when the edge was called in the last cycle",
            ["id", "source", "target"], registry=r,
        )
        self.strategy_active = Gauge(
            "strategy_active", "1 when the strategy may trade now (shadow = 0.5)", ["strategy"],
            registry=r,
        )
        self.regime_label = Gauge(
            "regime_label", "1 for the current regime of a symbol", ["symbol", "regime"],
            registry=r,
        )
        self.regime_code = Gauge(
            "regime_code", "Current regime as a number (trend_up=0 ... panic=4)", ["symbol"],
            registry=r,
        )
        self.pnl_total = Gauge("pnl_total", "Total PnL since the run started", registry=r)
        self.equity = Gauge("equity", "Account equity", registry=r)
        self.balance = Gauge("balance", "Account balance", registry=r)
        self.drawdown_pct = Gauge("drawdown_pct", "72 h trailing drawdown, percent (<= 0)",
                                  registry=r)
        self.daily_pnl_pct = Gauge("daily_pnl_pct", "PnL since the UTC day start, percent",
                                   registry=r)
        self.daily_lock_limit_pct = Gauge("daily_lock_limit_pct", "Daily lock level, percent",
                                          registry=r)
        self.kill_switch_limit_pct = Gauge("kill_switch_limit_pct", "Kill switch level, percent",
                                           registry=r)
        self.risk_cap_pct = Gauge("risk_cap_pct", "Portfolio risk cap after safe-mode, percent",
                                  registry=r)
        self.risk_per_trade_pct = Gauge("risk_per_trade_pct", "Risk per trade now, percent",
                                        registry=r)
        self.portfolio_risk_pct = Gauge("portfolio_risk_pct", "Open portfolio risk, percent",
                                        registry=r)
        self.max_correlation = Gauge("max_correlation", "Max |rho| between symbols", registry=r)
        self.slippage_bps = Gauge("slippage_bps", "Average slippage of recent fills, bps",
                                  registry=r)
        self.safe_mode = Gauge("safe_mode", "1 when correlation safe-mode is on", registry=r)
        self.daily_lock = Gauge("daily_lock", "1 when the daily loss lock is engaged", registry=r)
        self.kill_switch = Gauge("kill_switch", "1 when the kill switch is engaged", registry=r)
        self.governance_locked = Gauge(
            "governance_locked", "1 when governance.yaml changed on disk", registry=r
        )
        self.open_positions = Gauge("open_positions", "Open positions", registry=r)
        self.venue_connected = Gauge("venue_connected", "1 when the venue answers", registry=r)
        self.feed_age_seconds = Gauge(
            "feed_age_seconds", "Age of the newest closed bar per symbol", ["symbol"], registry=r
        )
        self.stage_latency_ms = Gauge(
            "stage_latency_ms", "Latency of each cycle stage", ["stage"], registry=r
        )
        self.tool_latency_ms = Gauge(
            "tool_latency_ms", "Latency of the last call of each tool", ["tool"], registry=r
        )
        self.tool_calls_total = Counter(
            "tool_calls_total", "Tool calls through the registry", ["tool"], registry=r
        )
        self.tool_errors_total = Counter(
            "tool_errors_total", "Tool calls that raised", ["tool"], registry=r
        )
        self.orders_total = Counter("orders_total", "Orders sent", registry=r)
        self.fills_total = Counter("fills_total", "Fills received", registry=r)
        self.rejections_total = Counter(
            "rejections_total", "Trade plans rejected, by reason", ["reason"], registry=r
        )
        self.cycles_total = Counter("brain_cycles_total", "Brain cycles run", registry=r)
        self.cycle_latency_seconds = Histogram(
            "cycle_latency_seconds", "Brain cycle latency",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
            registry=r,
        )
        self._prev: BrainSnapshot | None = None
        ensure_series(self)

    def update(self, snap: BrainSnapshot) -> None:
        """Publish one snapshot; safe to call from any thread (a sink of the orchestrator)."""
        with self._lock:
            self._update(snap)

    def _update(self, s: BrainSnapshot) -> None:
        for a in s.agents:
            self.agent_state.labels(a.id).set(STATE_VALUE.get(a.state, 2.0))
            for st in NODE_STATES:
                self.graph_node.labels(a.id, st).set(1.0 if a.state == st else 0.0)
        for e in s.edges:
            self.graph_edge_active.labels(f"{e.source}->{e.target}", e.source, e.target).set(
                1.0 if e.active else 0.0
            )
        for v in s.strategies:
            value = {"active": 1.0, "enabled": 1.0, "shadow": 0.5}.get(v.status, 0.0)
            self.strategy_active.labels(v.name).set(value)
        for rv in s.regimes:
            for reg in Regime:
                self.regime_label.labels(rv.symbol, reg.value).set(
                    1.0 if reg is rv.regime else 0.0
                )
            self.regime_code.labels(rv.symbol).set(REGIME_VALUE[rv.regime.value])
        risk = s.risk
        self.pnl_total.set(s.pnl_total)
        self.equity.set(s.equity)
        self.balance.set(s.balance)
        self.drawdown_pct.set(risk.trailing_dd * 100.0)
        self.daily_pnl_pct.set(risk.daily_pnl * 100.0)
        self.daily_lock_limit_pct.set(risk.daily_lock_limit * 100.0)
        self.kill_switch_limit_pct.set(risk.kill_switch_limit * 100.0)
        self.risk_cap_pct.set(risk.risk_cap * 100.0)
        self.risk_per_trade_pct.set(risk.risk_per_trade * 100.0)
        self.portfolio_risk_pct.set(risk.portfolio_risk * 100.0)
        self.max_correlation.set(risk.max_correlation)
        self.safe_mode.set(1.0 if risk.safe_mode else 0.0)
        self.daily_lock.set(1.0 if risk.daily_lock else 0.0)
        self.kill_switch.set(1.0 if risk.kill_switch else 0.0)
        self.governance_locked.set(1.0 if risk.governance_locked else 0.0)
        self.slippage_bps.set(s.slippage_bps)
        self.open_positions.set(len(s.positions))
        self.venue_connected.set(1.0 if s.connected else 0.0)
        for sym, age in s.feed_age_ms.items():
            self.feed_age_seconds.labels(sym).set(age / 1000.0)
        for stage, ms in s.stage_latency_ms.items():
            self.stage_latency_ms.labels(stage).set(ms)
        prev = self._prev
        for tool, st in s.tool_stats.items():
            before = prev.tool_stats.get(tool) if prev else None
            self.tool_latency_ms.labels(tool).set(st.last_ms)
            self.tool_calls_total.labels(tool).inc(
                max(0, st.calls - (before.calls if before else 0))
            )
            self.tool_errors_total.labels(tool).inc(
                max(0, st.errors - (before.errors if before else 0))
            )
        self.orders_total.inc(max(0, s.orders_total - (prev.orders_total if prev else 0)))
        self.fills_total.inc(max(0, s.fills_total - (prev.fills_total if prev else 0)))
        for reason, n in s.rejections.items():
            before_n = prev.rejections.get(reason, 0) if prev else 0
            self.rejections_total.labels(reason).inc(max(0, n - before_n))
        prev_cycle = prev.cycle if prev else 0
        if s.cycle > prev_cycle:
            self.cycles_total.inc(s.cycle - prev_cycle)
            self.cycle_latency_seconds.observe(s.cycle_latency_ms / 1000.0)
        self._prev = s


# Rejection codes the brain is known to emit (risk engine, portfolio, locks, execution).
# Prometheus' advice is to initialise known label values at zero, so a rate() over a quiet
# run is 0 instead of "no data" — an unknown code still appears the first time it happens.
KNOWN_REJECTION_CODES = (
    "daily_lock", "kill_switch", "governance_lock", "no_budget", "below_min_qty",
    "leverage_cap", "portfolio_cap", "risk_cap", "safe_mode_block", "liquidity", "slippage",
    "order_rejected", "venue_error", "disconnected",
)


def ensure_series(metrics: BrainMetrics) -> None:
    """Create the labelled series known in advance with zeros, so dashboards start at 0."""
    for node in GRAPH_NODES:
        metrics.agent_state.labels(node).set(0.0)
    for code in KNOWN_REJECTION_CODES:
        metrics.rejections_total.labels(code)
