"""Compile a DSL document into a ``TradingStrategy`` the brain runs unchanged.

``generate`` evaluates the document over the bars it is given with the same vectorized code
the backtester uses and reads the last element — so "what the brain would have done" and
"what the backtest did" cannot drift apart (tested bar by bar). The brain passes a rolling
window of ``bars_needed`` (+ margin) bars; ``bars_needed`` leaves recursive indicators ten
periods to settle, which makes the window's last values equal to a full-history run's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ats.domain import Side, StrategySignal
from ats.i18n.said import Said
from ats.i18n.said_join import said_join
from ats.strategies.base import StrategyContext, TradingStrategy, open_position
from research_lab.dsl.errors import read_spec
from research_lab.dsl.evaluate import describe_rule, evaluate
from research_lab.dsl.models import RuleBlock, StrategySpec

CONFIDENCE = 0.6  # DSL documents carry no conviction model; a neutral mid value


def _reason(what: str, block: RuleBlock | None) -> Said:
    """``what`` (exit_long, reverse, long_entry...) and the rules that fired; the rules are
    the document's own formulas and stay as written, the words around them are Said."""
    prefix = Said(f"reason.dsl.{what}")
    if block is None or not block.rules:
        return prefix
    join = "reason.list.and" if block.logic == "all" else "reason.list.or"
    return Said("reason.dsl.with_rules", what=prefix,
                rules=said_join([describe_rule(r) for r in block.rules], join))


class DslStrategy(TradingStrategy):
    """A strategy defined by a DSL document (a research-lab challenger)."""

    def __init__(self, spec: StrategySpec) -> None:
        self.spec = spec
        self.name = spec.name  # type: ignore[misc]  # per-instance name: one class, many docs
        self.timeframe = spec.timeframe
        self.kind = spec.kind
        self.bars_needed = spec.bars_needed()
        self.regimes = tuple(spec.regimes)

    def generate(self, ctx: StrategyContext) -> list[StrategySignal]:
        bars = self.window(ctx)
        if len(bars) < 2:
            return []
        sig = evaluate(self.spec, bars)
        i = len(bars) - 1
        close = float(bars.close[i])
        pos = open_position(ctx)
        held = 0 if pos is None else (1 if pos.qty > 0 else -1)
        out: list[StrategySignal] = []
        spec = self.spec
        # exits first (the brain frees risk before it sizes entries); an exit whose side's
        # entry fires on the same bar is dropped: the entry keeps the position
        if sig.long_exit[i] and not sig.long_entry[i] and held >= 0:
            out.append(self.signal(ctx, bars, Side.SELL, confidence=1.0, is_exit=True,
                                   reason=_reason("exit_long", spec.exit.long)))
        if sig.short_exit[i] and not sig.short_entry[i] and held <= 0:
            out.append(self.signal(ctx, bars, Side.BUY, confidence=1.0, is_exit=True,
                                   reason=_reason("exit_short", spec.exit.short)))
        long_in = bool(sig.long_entry[i]) and not sig.short_entry[i]
        short_in = bool(sig.short_entry[i]) and not sig.long_entry[i]
        if self.allows_entry_in(ctx.regime) and (long_in or short_in):
            side = Side.BUY if long_in else Side.SELL
            if held == -side.sign and not out:
                # a reversal: close the held side first (the backtester's reversal exits and
                # enters at the same open; the brain runs the exit, then the new entry)
                block = spec.entry.long if long_in else spec.entry.short
                out.append(self.signal(ctx, bars, side, confidence=1.0, is_exit=True,
                                       reason=_reason("reverse", block)))
            if held != side.sign:
                sd, td = float(sig.stop_dist[i]), float(sig.take_dist[i])
                take = close + side.sign * td if np.isfinite(td) else None
                block = spec.entry.long if long_in else spec.entry.short
                out.append(self.signal(
                    ctx, bars, side, confidence=CONFIDENCE, stop=close - side.sign * sd,
                    take=take, reason=_reason(f"{'long' if long_in else 'short'}_entry", block),
                    dsl=spec.name))
        return out


def compile_spec(spec: StrategySpec) -> DslStrategy:
    return DslStrategy(spec)


def load_strategy(path: Path | str) -> DslStrategy:
    """The strategy of a DSL JSON file; ``DslError`` names the file and every bad field."""
    return DslStrategy(read_spec(path))
