"""Prometheus metrics fed from ``BrainSnapshot``s.

Metric names are a contract shared with the TUI, the shipped Grafana dashboards and the
alert rules (``dashboards/``); renaming one breaks a dashboard, so they live in one place.
They follow Prometheus' conventions: one ``ats_`` namespace, base units (seconds, ratios
instead of percent or basis points), histograms for latencies, ``_total`` only on counters
(``promtool check metrics`` stays clean; a test runs it on a live ``/metrics``).

Numbers that only grow in the snapshot (tool calls, orders, rejections, latency buckets)
are exported by adding the *difference* since the previous snapshot, so a new brain object
in the same process never makes a counter go backwards and no observation is lost between
two snapshots.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from ats.brain.latency import LATENCY_BUCKETS_S
from ats.brain.state import GRAPH_NODES, BrainSnapshot, LatencyView
from ats.domain import Regime
from ats.monitor.audit_status import read_audit_breaches

# ats_agent_state values, as the seed's contract defines them: 1 = OK, 0 = ERR, 2 = WARN.
# A disabled agent (every strategy disabled after errors) cannot do its job but is not
# failing this cycle: it reads WARN.
AGENT_OK, AGENT_ERR, AGENT_WARN = 1.0, 0.0, 2.0
STATE_VALUE = {"ok": AGENT_OK, "error": AGENT_ERR, "warn": AGENT_WARN, "disabled": AGENT_WARN}
REGIME_VALUE = {r.value: float(i) for i, r in enumerate(Regime)}
# Why the kill switch is engaged: a bounded label (the free-text reason stays in the journal).
KILL_CAUSES = ("drawdown", "manual")


def kill_cause(reason: str) -> str:
    """``manual`` when the trader engaged it (LockManager.engage_kill), else ``drawdown``."""
    return "manual" if "manual" in reason.lower() else "drawdown"


class SnapshotHistograms(Collector):
    """Histograms rebuilt from the brain's cumulative bucket counts (``LatencyView``).

    prometheus_client's ``Histogram`` wants single observations; the brain already counted
    them into the shared buckets, so this collector adds the per-snapshot differences to its
    own running totals and exposes them as a standard histogram family.
    """

    def __init__(self, name: str, doc: str, label: str) -> None:
        self.name, self.doc, self.label = name, doc, label
        self._counts: dict[str, list[float]] = {}
        self._sums: dict[str, float] = {}
        self._prev: dict[str, LatencyView] = {}
        self._lock = threading.Lock()

    def ensure(self, keys: Iterable[str]) -> None:
        with self._lock:
            for key in keys:
                self._counts.setdefault(key, [0.0] * (len(LATENCY_BUCKETS_S) + 1))
                self._sums.setdefault(key, 0.0)

    def apply(self, views: Mapping[str, LatencyView]) -> None:
        with self._lock:
            for key, view in views.items():
                if not view.counts:
                    continue
                counts = self._counts.setdefault(key, [0.0] * (len(LATENCY_BUCKETS_S) + 1))
                prev = self._prev.get(key)
                self._prev[key] = view
                if prev is None or view.count < prev.count or len(prev.counts) != len(
                        view.counts):  # first sight, or a new brain object: all of it is new
                    before: tuple[int, ...] = (0,) * len(view.counts)
                    before_sum = 0.0
                elif view.count == prev.count:
                    continue  # nothing observed since the last snapshot
                else:
                    before, before_sum = prev.counts, prev.sum_s
                for i, (n, b) in enumerate(zip(view.counts, before, strict=True)):
                    if n > b:
                        counts[i] += n - b
                self._sums[key] = self._sums.get(key, 0.0) + max(0.0, view.sum_s - before_sum)

    def collect(self) -> Iterator[Metric]:
        fam = HistogramMetricFamily(self.name, self.doc, labels=[self.label])
        with self._lock:
            for key in sorted(self._counts):
                running, cumulative = [], 0.0
                for le, n in zip((*LATENCY_BUCKETS_S, float("inf")), self._counts[key],
                                 strict=True):
                    cumulative += n
                    running.append(("+Inf" if le == float("inf") else repr(le), cumulative))
                fam.add_metric([key], running, self._sums.get(key, 0.0))
        yield fam

    def describe(self) -> Iterator[Metric]:
        yield HistogramMetricFamily(self.name, self.doc, labels=[self.label])


class BrainMetrics:
    """One registry per process holding every metric the dashboards and alerts query."""

    def __init__(self, registry: CollectorRegistry | None = None, *,
                 db_path: Path | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.db_path = db_path  # where `ats audit` leaves its result (audit_status.py)
        r = self.registry
        self._lock = threading.Lock()
        g = self._gauge
        self.agent_state = g("ats_agent_state", "Agent health: 1 OK, 0 ERR, 2 WARN", ["agent"])
        self.edge_active = g("ats_agent_edge_active",
                             "1 when the agent graph edge was used in the last cycle",
                             ["id", "source", "target"])
        self.strategy_active = g(
            "ats_strategy_active",
            "1 when the strategy may open a position now under the current regime "
            "(enable map, current regimes, cooldowns, locks)", ["strategy"])
        self.active_strategies = g("ats_active_strategies",
                                   "Number of strategies that may open a position now")
        self.regime_label = g("ats_regime_label", "1 for the current regime of a symbol",
                              ["symbol", "regime"])
        self.regime_code = g("ats_regime_code",
                             "Current regime as a number (trend_up=0 ... panic=4)", ["symbol"])
        self.pnl = g("ats_pnl", "PnL since the run started, account currency")
        self.equity = g("ats_equity", "Account equity, account currency")
        self.balance = g("ats_balance", "Account balance, account currency")
        self.drawdown = g("ats_drawdown_ratio", "72 h trailing drawdown as a ratio (<= 0)")
        self.daily_pnl = g("ats_daily_pnl_ratio", "PnL since the UTC day start as a ratio")
        self.daily_lock_limit = g("ats_daily_lock_limit_ratio",
                                  "Daily loss that engages the daily lock (ratio, < 0)")
        self.kill_switch_limit = g("ats_kill_switch_limit_ratio",
                                   "Trailing drawdown that engages the kill switch (ratio, < 0)")
        self.risk_cap = g("ats_risk_cap_ratio", "Portfolio risk cap after safe-mode (ratio)")
        self.risk_per_trade = g("ats_risk_per_trade_ratio", "Risk per trade now (ratio)")
        self.portfolio_risk = g("ats_portfolio_risk_ratio", "Open portfolio risk (ratio)")
        self.max_correlation = g("ats_max_correlation",
                                 "Largest |correlation| between traded symbols")
        self.slippage = g("ats_slippage_ratio", "Average slippage of the fills so far (ratio)")
        self.spread = g("ats_spread_ratio", "Spread / mid of the last quote seen per symbol",
                        ["symbol"])
        self.safe_mode = g("ats_safe_mode_engaged", "1 when correlation safe-mode is on")
        self.daily_lock = g("ats_daily_lock_engaged", "1 when the daily loss lock is engaged")
        self.kill_switch = g("ats_kill_switch_engaged",
                             "1 when the kill switch is engaged, by cause", ["cause"])
        self.governance_locked = g("ats_governance_lock_engaged",
                                   "1 when governance.yaml changed on disk while running")
        self.paused = g("ats_trading_paused", "1 when the trader paused new entries")
        self.open_positions = g("ats_open_positions", "Open positions")
        self.venue_connected = g("ats_venue_connected", "1 when the venue answers")
        self.feed_age = g("ats_feed_age_seconds", "Age of the newest closed bar per symbol",
                          ["symbol"])
        self.audit_breaches = g(
            "ats_audit_breaches", "Breaches found by the last `ats audit` (0 = clean)")
        self.tool_calls = Counter("ats_tool_calls_total", "Tool calls through the registry",
                                  ["tool"], registry=r)
        self.tool_errors = Counter("ats_tool_errors_total", "Tool calls that raised", ["tool"],
                                   registry=r)
        self.orders = Counter("ats_orders_total", "Orders sent", registry=r)
        self.fills = Counter("ats_fills_total", "Fills received", registry=r)
        self.rejections = Counter("ats_rejections_total", "Trade plans rejected, by reason",
                                  ["reason"], registry=r)
        self.cycles = Counter("ats_cycles_total", "Brain cycles run", registry=r)
        self.cycle_latency = Histogram("ats_cycle_latency_seconds", "Brain cycle latency",
                                       buckets=LATENCY_BUCKETS_S, registry=r)
        self.stage_latency = SnapshotHistograms(
            "ats_stage_latency_seconds", "Latency of each cycle stage (agent)", "stage")
        self.tool_latency = SnapshotHistograms(
            "ats_tool_latency_seconds", "Latency of each tool call", "tool")
        self.venue_latency = SnapshotHistograms(
            "ats_venue_latency_seconds", "Venue round trip per adapter method", "method")
        for coll in (self.stage_latency, self.tool_latency, self.venue_latency):
            r.register(coll)
        self._prev: BrainSnapshot | None = None
        self._regimes: dict[str, Regime] = {}
        ensure_series(self)

    def _gauge(self, name: str, doc: str, labels: list[str] | None = None) -> Gauge:
        return Gauge(name, doc, labels or [], registry=self.registry)

    def set_audit_breaches(self, breaches: int) -> None:
        """What ``ats audit`` found (0 = clean); the ``AuditBreach`` alert fires above 0."""
        self.audit_breaches.set(float(breaches))

    def update(self, snap: BrainSnapshot) -> None:
        """Publish one snapshot; safe to call from any thread (a sink of the orchestrator)."""
        with self._lock:
            self._update(snap)

    def _update(self, s: BrainSnapshot) -> None:
        if self.db_path is not None:
            found = read_audit_breaches(self.db_path)
            if found is not None:
                self.audit_breaches.set(float(found))
        for a in s.agents:
            self.agent_state.labels(a.id).set(STATE_VALUE.get(a.state, AGENT_WARN))
        for e in s.edges:
            self.edge_active.labels(f"{e.source}->{e.target}", e.source, e.target).set(
                1.0 if e.active else 0.0)
        for v in s.strategies:
            self.strategy_active.labels(v.name).set(1.0 if v.may_open and not v.shadow else 0.0)
        self.active_strategies.set(sum(1 for v in s.strategies if v.may_open and not v.shadow))
        for rv in s.regimes:
            if self._regimes.get(rv.symbol) is rv.regime:
                continue  # regimes hold for bars: only a change touches the 6 series
            self._regimes[rv.symbol] = rv.regime
            for reg in Regime:
                self.regime_label.labels(rv.symbol, reg.value).set(
                    1.0 if reg is rv.regime else 0.0)
            self.regime_code.labels(rv.symbol).set(REGIME_VALUE[rv.regime.value])
        risk = s.risk
        self.pnl.set(s.pnl_total)
        self.equity.set(s.equity)
        self.balance.set(s.balance)
        self.drawdown.set(risk.trailing_dd)
        self.daily_pnl.set(risk.daily_pnl)
        self.daily_lock_limit.set(risk.daily_lock_limit)
        self.kill_switch_limit.set(risk.kill_switch_limit)
        self.risk_cap.set(risk.risk_cap)
        self.risk_per_trade.set(risk.risk_per_trade)
        self.portfolio_risk.set(risk.portfolio_risk)
        self.max_correlation.set(risk.max_correlation)
        self.safe_mode.set(1.0 if risk.safe_mode else 0.0)
        self.daily_lock.set(1.0 if risk.daily_lock else 0.0)
        cause = kill_cause(risk.kill_reason or risk.lock_reason) if risk.kill_switch else ""
        for c in KILL_CAUSES:
            self.kill_switch.labels(c).set(1.0 if c == cause else 0.0)
        self.governance_locked.set(1.0 if risk.governance_locked else 0.0)
        self.paused.set(1.0 if s.paused else 0.0)
        self.slippage.set(s.slippage_bps / 10_000.0)
        for sym, bps in s.spread_bps.items():
            self.spread.labels(sym).set(bps / 10_000.0)
        self.open_positions.set(len(s.positions))
        self.venue_connected.set(1.0 if s.connected else 0.0)
        for sym, age in s.feed_age_ms.items():
            self.feed_age.labels(sym).set(age / 1000.0)
        self.stage_latency.apply(s.stage_latency)
        self.venue_latency.apply(s.venue_latency)
        self.tool_latency.apply({tool: st.latency for tool, st in s.tool_stats.items()})
        prev = self._prev
        for tool, st in s.tool_stats.items():
            before = prev.tool_stats.get(tool) if prev else None
            self.tool_calls.labels(tool).inc(max(0, st.calls - (before.calls if before else 0)))
            self.tool_errors.labels(tool).inc(
                max(0, st.errors - (before.errors if before else 0)))
        self.orders.inc(max(0, s.orders_total - (prev.orders_total if prev else 0)))
        self.fills.inc(max(0, s.fills_total - (prev.fills_total if prev else 0)))
        for reason, n in s.rejections.items():
            before_n = prev.rejections.get(reason, 0) if prev else 0
            self.rejections.labels(reason).inc(max(0, n - before_n))
        prev_cycle = prev.cycle if prev else 0
        if s.cycle > prev_cycle:
            self.cycles.inc(s.cycle - prev_cycle)
            self.cycle_latency.observe(s.cycle_latency_ms / 1000.0)
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
    """Create the labelled series known in advance with zeros, so dashboards start at 0.

    Agents start at WARN: nothing has run yet, which is not OK and not an error.
    """
    for node in GRAPH_NODES:
        metrics.agent_state.labels(node).set(AGENT_WARN)
    for code in KNOWN_REJECTION_CODES:
        metrics.rejections.labels(code)
    for cause in KILL_CAUSES:
        metrics.kill_switch.labels(cause).set(0.0)
    metrics.stage_latency.ensure(GRAPH_NODES)
