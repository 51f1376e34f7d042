"""StrategySelectionAgent: which strategies may act on a new bar, and what they say.

For one (symbol, timeframe) bar: the enable map's strategies for the symbol's regime
(``load_enable_map``), minus those still cooling down (``manage_cooldown``), ranked by how
well the market suits their kind (``score_strategy``); each candidate's ``generate`` runs in
isolation — a strategy that raises is reported and, after ``max_errors`` failures, disabled
until restart, while the others go on. The strategy holding a position on the symbol always
runs (its exit signals must get through whatever the regime says). Challengers run the same
way but their signals are marked shadow.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

from ats.brain.tools import ToolContext, ToolRegistry
from ats.domain import Bars, InstrumentSpec, Position, Regime, StrategySignal, timeframe_ms
from ats.i18n.said import Said

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SelectionInput:
    symbol: str
    timeframe: str
    bars: Bars
    regime: Regime
    ts: int
    position: Position | None = None
    instrument: InstrumentSpec | None = None
    funding_rates: Any = None
    basis: float | None = None


@dataclass(frozen=True, slots=True)
class Candidate:
    strategy: str
    score: float
    shadow: bool = False


@dataclass(slots=True)
class SelectionResult:
    symbol: str
    timeframe: str
    candidates: list[Candidate] = field(default_factory=list)
    signals: list[StrategySignal] = field(default_factory=list)  # live entries and exits
    shadow_signals: list[StrategySignal] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # strategy -> why not run
    errors: dict[str, str] = field(default_factory=dict)  # strategy -> exception text


class StrategySelectionAgent:
    name = "strategy"

    def __init__(self, registry: ToolRegistry, ctx: ToolContext, strategies: dict[str, Any],
                 challengers: dict[str, Any] | None = None, *, max_errors: int = 3) -> None:
        self.registry = registry
        self.ctx = ctx
        self.strategies = strategies
        self.challengers = challengers or {}
        self.max_errors = max_errors
        self.error_counts: dict[str, int] = {}
        self.disabled: dict[str, str] = {}  # name -> last error that disabled it
        self.last_signal: dict[str, StrategySignal] = {}
        self.active: set[str] = set()  # strategies that produced a signal this cycle

    def strategy(self, name: str) -> Any:
        return self.strategies.get(name) or self.challengers.get(name)

    def select(self, inp: SelectionInput) -> SelectionResult:
        res = SelectionResult(inp.symbol, inp.timeframe)
        enabled = self.registry.call("load_enable_map", self.ctx, regime=inp.regime)
        plan: list[tuple[str, Any, bool, bool]] = []  # name, strategy, shadow, exits_only
        owner = inp.position.strategy if inp.position is not None and inp.position.qty else ""
        names = list(enabled.strategies)
        if owner and owner in self.strategies and owner not in names:
            names.append(owner)
        for name in names:
            strat = self.strategies.get(name)
            if strat is None:
                res.skipped[name] = Said("reason.unknown_strategy")
                continue
            plan.append((name, strat, False, name not in enabled.strategies))
        for ch in enabled.challengers:
            strat = self.challengers.get(ch.name)
            if strat is not None:
                plan.append((ch.name, strat, True, False))
        bar_ms = timeframe_ms(inp.timeframe)
        close = inp.bars.close
        for name, strat, shadow, exits_only in plan:
            if strat.timeframe != inp.timeframe:
                continue
            if name in self.disabled:
                res.skipped[name] = Said("reason.disabled_errors", n=self.max_errors)
                continue
            if not exits_only and name != owner and not _allows(strat, inp.regime):
                res.skipped[name] = Said("reason.not_for_regime",
                                         regime=Said(f"tui.regime.{inp.regime.value}"))
                continue
            if len(inp.bars) < strat.bars_needed:
                res.skipped[name] = Said("reason.warming_up", have=len(inp.bars),
                                         need=int(strat.bars_needed))
                continue
            entries_ok = not exits_only
            if entries_ok and not shadow:
                cd = self.registry.call("manage_cooldown", self.ctx, action="check",
                                        strategy=name, symbol=inp.symbol, ts=inp.ts,
                                        bar_ms=bar_ms)
                if not cd.ok:
                    res.skipped[name] = cd.reason
                    entries_ok = False
                    if name != owner:
                        continue
            score = self.registry.call("score_strategy", self.ctx, close=close, kind=strat.kind)
            res.candidates.append(Candidate(name, score, shadow))
            own = inp.position if name == owner else None
            signals = self._generate(name, strat, inp, own, res)
            for sig in signals:
                if not sig.is_exit and not entries_ok:
                    continue
                if sig.is_exit and (name != owner or shadow):
                    if not shadow:
                        continue
                if not sig.is_exit:  # the market fit feeds the sizing multiplier
                    sig = replace(sig, meta={**(sig.meta or {}), "fit_score": score})
                self.last_signal[name] = sig
                self.active.add(name)
                (res.shadow_signals if shadow else res.signals).append(sig)
        res.candidates.sort(key=lambda c: -c.score)
        return res

    def _generate(self, name: str, strat: Any, inp: SelectionInput, position: Position | None,
                  res: SelectionResult) -> list[StrategySignal]:
        from ats.strategies import StrategyContext

        sctx = StrategyContext(inp.symbol, inp.bars, regime=inp.regime, position=position,
                               funding_rates=inp.funding_rates, basis=inp.basis,
                               instrument=inp.instrument)
        try:
            out = strat.generate(sctx)
            return [s for s in out if isinstance(s, StrategySignal)]
        except Exception as exc:  # isolate: one broken strategy never stops the cycle
            n = self.error_counts.get(name, 0) + 1
            self.error_counts[name] = n
            text = f"{type(exc).__name__}: {exc}"
            res.errors[name] = text
            log.warning("strategy %s failed on %s (%d/%d): %s", name, inp.symbol, n,
                        self.max_errors, text)
            if n >= self.max_errors:
                self.disabled[name] = text
            return []


def _allows(strat: Any, regime: Regime) -> bool:
    """The strategy's own regime filter (``None`` = every regime)."""
    check = getattr(strat, "allows_entry_in", None)
    if check is not None:
        return bool(check(regime))
    regimes = getattr(strat, "regimes", None)
    return regimes is None or regime in regimes
