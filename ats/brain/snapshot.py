"""Build the immutable ``BrainSnapshot`` from the orchestrator's state after a cycle.

Every field is filled from real state (agent health from what the stages reported, edges
from what actually ran), because the TUI and Grafana show exactly this and nothing else.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ats.brain.state import (
    GRAPH_EDGES,
    GRAPH_NODES,
    AgentView,
    BrainSnapshot,
    EdgeView,
    EquityPoint,
    RegimeView,
    RiskView,
    StrategyStatus,
    StrategyView,
)
from ats.domain import StrategySignal, timeframe_ms
from ats.i18n import t
from ats.i18n.said import render

if TYPE_CHECKING:
    from ats.brain.cycle import CycleWork
    from ats.brain.ports import CycleHost


def _openable(o: CycleHost, ts: int) -> set[str]:
    """Strategies that may open a position now: listed by the enable map for the current
    regime of at least one symbol, accepted by their own regime filter, not cooling down,
    not disabled after errors, with no lock or pause blocking new entries."""
    if o.locks.blocked or o.paused:
        return set()
    from ats.brain.agents.selection import _allows

    sel = o.selection
    cooldown = o.registry.get("manage_cooldown")
    out: set[str] = set()
    for sym in o.symbols:
        h = o.regime_agent.current(sym)
        if h is None:
            continue
        for name in o.enable_map.strategies_for(h.regime):
            strat = sel.strategies.get(name)
            if strat is None or name in sel.disabled or name in out:
                continue
            if hasattr(cooldown, "in_cooldown") and cooldown.in_cooldown(name, ts):
                continue
            if _allows(strat, h.regime):
                out.add(name)
    return out


def signal_line(sig: StrategySignal) -> str:
    """A strategy's last signal for the desk, in the reader's language (the journal keeps
    the English ``signal_text``)."""
    verb = t("said.signal.exit") if sig.is_exit else t(f"desk2.side.{sig.side.value}")
    return t("said.signal.line", verb=verb, symbol=sig.symbol, entry=sig.entry,
             conf=sig.confidence, tf=sig.timeframe, reason=render(sig.reason))


def _waiting(strat: Any, ts: int) -> str | None:
    """What an enabled strategy without a signal yet waits for: its setup, checked at the
    next close of its own timeframe (the desk's answer to "why no order yet?")."""
    tf = getattr(strat, "timeframe", None)
    if not isinstance(tf, str):
        return None
    step = timeframe_ms(tf)
    at = datetime.fromtimestamp((ts // step + 1) * step / 1000, tz=UTC).strftime("%H:%M")
    return t("said.strategy.waiting", tf=tf, at=at)


def _strategies(o: CycleHost, ts: int) -> tuple[StrategyView, ...]:
    sel = o.selection
    cooldown = o.registry.get("manage_cooldown")
    held = {p.strategy for p in o.portfolio.positions.values() if p.qty}
    openable = _openable(o, ts)
    names = list(dict.fromkeys(
        [n for names in o.enable_map.regimes.values() for n in names] + list(sel.strategies)))
    out: list[StrategyView] = []
    for name in names:
        if name not in sel.strategies:
            out.append(StrategyView(name, "disabled", last_signal=t("said.strategy.not_loaded")))
            continue
        last = sel.last_signal.get(name)
        text = signal_line(last) if last else None
        may_open = name in openable
        status: StrategyStatus
        if name in sel.disabled:
            status = "disabled"
            text = t("said.strategy.disabled", reason=render(sel.disabled[name]))
        elif hasattr(cooldown, "in_cooldown") and cooldown.in_cooldown(name, ts):
            status = "cooldown"
        elif name in sel.active or name in held:
            status = "active"
        else:
            status = "enabled" if may_open else "standby"
        if text is None and status == "enabled":
            text = _waiting(sel.strategies[name], ts)
        refused = o.refusals.get(name)
        if refused and name not in sel.disabled:
            text = (f"{text}; " if text else "") + t("sizing.refused", reason=render(refused))
        out.append(StrategyView(name, status, False, text, sel.error_counts.get(name, 0),
                                may_open))
    for name in sel.challengers:
        sc = o.shadow.scores.get(name)
        last = sel.last_signal.get(name)
        text = signal_line(last) if last else None
        if sc is not None:
            text = (t("said.strategy.shadow_pnl", pnl=sc.pnl, trades=sc.trades)
                    + (f"; {text}" if text else ""))
        status = "disabled" if name in sel.disabled else "shadow"
        out.append(StrategyView(name, status, True, text, sel.error_counts.get(name, 0)))
    return tuple(out)


def _risk_view(o: CycleHost) -> RiskView:
    g = o.governance
    pf = o.portfolio
    code, reason = o.locks.status()
    # "Risk per trade now": the engine's budget from the live portfolio state (bonus, drawdown
    # cut, open risk, loss streak); the focused symbol's volatility applies when one is focused.
    vq = o.vol_quantiles.get(o.focus) if o.focus else None
    engine = o.ctx.risk_engine  # always set by the orchestrator; optional for tool tests
    now = engine.risk_budget_pct(pf.risk_state(vol_quantile=vq)) if engine is not None else 0.0
    if o.locks.blocked:
        now = 0.0
    return RiskView(
        risk_per_trade=now, base_risk=g.risk.base_risk_per_trade,
        max_risk=g.risk.max_risk_per_trade,
        daily_pnl=pf.daily_pnl_pct, daily_lock_limit=-g.locks.daily_max_loss,
        trailing_dd=pf.trailing_dd_pct, kill_switch_limit=-g.locks.trailing_dd_kill_switch,
        portfolio_risk=pf.current_risk, portfolio_cap=g.risk.max_portfolio_risk,
        risk_cap=pf.risk_cap_pct, safe_mode=bool(pf.safe_mode),
        max_correlation=float(pf.max_correlation), daily_lock=o.locks.daily_lock,
        kill_switch=o.locks.kill_switch, governance_locked=o.locks.governance_locked,
        lock_reason=reason, kill_reason=o.locks.kill_reason if o.locks.kill_switch else "",
    )


def _agents(o: CycleHost, w: CycleWork) -> tuple[AgentView, ...]:
    states = dict(w.states)
    if not o.connected:
        states["brain"] = "error"
        states.setdefault("exec", "error")
        if states["exec"] == "ok":
            states["exec"] = "error"
    elif o.paused and states.get("brain", "ok") == "ok":
        states["brain"] = "warn"
    if o.locks.blocked and states.get("risk", "ok") == "ok":
        states["risk"] = "warn"
    out = []
    for node in GRAPH_NODES:
        st = states.get(node, "ok")
        if node == "strategy" and o.selection.strategies and \
                len(o.selection.disabled) >= len(o.selection.strategies):
            st = "disabled"
        err = w.errors.get(node, "") or w.warnings.get(node, "")
        if not err and node == "strategy":
            err = next((v for k, v in w.errors.items() if k.startswith("strategy ")), "")
        out.append(AgentView(node, st, w.stage_ms.get(node, 0.0),  # type: ignore[arg-type]
                             render(err)))  # a Said warning in the reader's language
    return tuple(out)


def _edges(w: CycleWork) -> tuple[EdgeView, ...]:
    used = {
        ("brain", "regime"): bool(w.new_bars),
        ("regime", "strategy"): w.regimes_run > 0 or bool(w.new_bars),
        ("strategy", "risk"): bool(w.signals or w.shadow_signals),
        ("risk", "exec"): bool(w.risk.plans or w.exits),
        ("exec", "monitor"): bool(w.execd.orders or w.execd.fills),
        ("monitor", "brain"): not w.monitor_only,
    }
    return tuple(EdgeView(s, t, used.get((s, t), False)) for s, t in GRAPH_EDGES)


def _regime_inputs(o: CycleHost, sym: str) -> Any:
    """The classifier's last inputs for ``sym``; computed once from the window at start."""
    agent = o.regime_agent
    last = getattr(agent, "last_features", None)
    if last is None:
        return None
    f = last.get(sym)
    if f is None:
        win = o.windows.get((sym, o.regime_tf))
        if win is not None and len(win) >= agent.MIN_BARS:
            try:
                f = last[sym] = agent.features(win.view())
            except Exception:  # inputs are for display; the regime itself came from assess
                return None
    return f


def build_snapshot(o: CycleHost, w: CycleWork) -> BrainSnapshot:
    pf = o.portfolio
    eq = float(pf.equity)
    dd = float(pf.trailing_dd_pct)
    if not w.monitor_only and (not o.equity_history or o.equity_history[-1].ts != w.ts):
        o.equity_history.append(EquityPoint(w.ts, eq, dd))
    regimes = []
    for sym in o.symbols:
        h = o.regime_agent.current(sym)
        if h is not None:
            f = _regime_inputs(o, sym)
            regimes.append(RegimeView(
                sym, h.regime, h.held, h.since, o.regime_tf,
                *((f.adx, f.atr_pct, f.ema_slope, f.vol_quantile) if f is not None else ())))
    step = timeframe_ms(o.fine_tf)
    ages = {}
    for sym in o.symbols:
        last = o.windows[(sym, o.fine_tf)].last_ts
        if last is not None:
            ages[sym] = max(0, w.ts - (last + step))
    c = o.counters
    stage = dict(w.stage_ms)
    return BrainSnapshot(
        cycle=c.cycles, ts=w.ts, run_id=o.run_id, mode=o.mode, venue=o.venue,
        connected=o.connected, paused=o.paused, feed_age_ms=ages, focus_symbol=o.focus,
        regimes=tuple(regimes), strategies=_strategies(o, w.ts), risk=_risk_view(o),
        agents=_agents(o, w), edges=_edges(w), positions=tuple(pf.positions.values()),
        open_orders=tuple(o.exec_agent.open_orders.values()), equity=eq,
        balance=float(pf.balance), pnl_total=eq - float(pf.starting_equity), drawdown=dd,
        equity_history=tuple(o.equity_history), stage_latency_ms=stage,
        cycle_latency_ms=w.latency_ms, tool_stats=o.registry.stats(),
        stage_latency=o.stage_latency.views(), venue_latency=o.venue_latency.views(),
        spread_bps={k: v * 10_000.0 for k, v in o.spreads.items()},
        rejections=dict(c.rejections), orders_total=c.orders, fills_total=c.fills,
        slippage_bps=c.slippage_sum / c.slippage_n if c.slippage_n else 0.0,
        last_journal_id=o.last_journal_id,
        last_error=o.last_error or next(iter(w.errors.values()), ""),
    )
