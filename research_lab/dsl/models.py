"""The strategy DSL: a small, closed pydantic language an LLM or a grid can write safely.

A document names indicators (from ``ats.indicators``) inline as operands of rules, so every
document is self-contained and its JSON schema can constrain an LLM's structured output.
Nothing in it is executable code: the worst a bad document can do is fail validation with
the path of the bad field.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ats.domain.types import Regime

PriceField = Literal["open", "high", "low", "close", "volume"]
Timeframe = Literal["1m", "5m", "15m", "30m", "1h", "4h", "1d"]

# Indicators whose value depends on one price column (``source``).
SOURCE_INDICATORS = ("sma", "ema", "rsi", "bb_upper", "bb_middle", "bb_lower", "ema_slope")
# Indicators computed from high/low/close.
HLC_INDICATORS = ("atr", "atr_pct", "adx", "plus_di", "minus_di", "donchian_upper",
                  "donchian_lower")
IndicatorName = Literal[
    "sma", "ema", "rsi", "bb_upper", "bb_middle", "bb_lower", "ema_slope",
    "atr", "atr_pct", "adx", "plus_di", "minus_di", "donchian_upper", "donchian_lower",
]
# Recursive smoothing forgets its seed like (1 - alpha)^bars: EMAs (alpha = 2/(p+1)) need 10
# periods, Wilder averages (alpha = 1/p) 20 periods to reach ~e^-20 of the seed's influence.
WARMUP_FACTOR = {"ema": 10, "ema_slope": 10, "rsi": 20, "atr": 20, "atr_pct": 20, "adx": 20,
                 "plus_di": 20, "minus_di": 20}

Comparison = Literal[">", "<", ">=", "<=", "crosses_above", "crosses_below"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IndicatorParams(Strict):
    period: int = Field(14, ge=2, le=400, description="Look-back length in bars.")
    std: float = Field(2.0, gt=0, le=5.0, description="Band width in standard deviations "
                       "(Bollinger bands only).")


class IndicatorOperand(Strict):
    kind: Literal["indicator"] = "indicator"
    name: IndicatorName
    params: IndicatorParams = IndicatorParams()
    source: PriceField = Field("close", description="Price column for single-input indicators.")
    shift: int = Field(0, ge=0, le=50, description="Bars back: 1 means the previous bar.")


class PriceOperand(Strict):
    kind: Literal["price"] = "price"
    field: PriceField = "close"
    shift: int = Field(0, ge=0, le=50)


class ConstOperand(Strict):
    kind: Literal["const"] = "const"
    value: float = Field(ge=-1e9, le=1e9)


Operand = Annotated[IndicatorOperand | PriceOperand | ConstOperand, Field(discriminator="kind")]


class Rule(Strict):
    left: Operand
    op: Comparison
    right: Operand

    @model_validator(mode="after")
    def _not_two_constants(self) -> Rule:
        if self.left.kind == "const" and self.right.kind == "const":
            raise ValueError("a rule comparing two constants is always true or always false")
        if self.op.startswith("crosses") and "const" == self.left.kind:
            raise ValueError("crosses_* needs a series on the left, not a constant")
        return self


class RuleBlock(Strict):
    logic: Literal["all", "any"] = "all"
    rules: list[Rule] = Field(min_length=1, max_length=8)


class SideRules(Strict):
    """Conditions per side; a missing side never trades."""

    long: RuleBlock | None = None
    short: RuleBlock | None = None


class StopSpec(Strict):
    """Distance of a protective level from the entry: ``value`` ATRs or ``value`` percent."""

    kind: Literal["atr", "pct"] = "atr"
    value: float = Field(gt=0, le=20)
    atr_period: int = Field(14, ge=2, le=200)


class StrategySpec(Strict):
    """One DSL strategy document (see ``strategy.schema.json``)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{2,48}$")
    description: str = Field("", max_length=500)
    kind: Literal["trend", "mean_reversion"] = "trend"
    timeframe: Timeframe = "1h"
    symbols: list[str] = Field(default_factory=list, max_length=50,
                               description="Symbols it is meant for; empty means any.")
    regimes: list[Regime] = Field(
        default_factory=lambda: [r for r in Regime if r is not Regime.PANIC],
        description="Regime filter: no new entries outside these regimes.",
    )
    entry: SideRules
    exit: SideRules = SideRules()
    stop: StopSpec
    take: StopSpec | None = None
    max_hold_bars: int | None = Field(None, ge=1, le=10_000)

    @model_validator(mode="after")
    def _has_a_side(self) -> StrategySpec:
        if self.entry.long is None and self.entry.short is None:
            raise ValueError("entry needs rules for at least one side (long or short)")
        return self

    @property
    def sides(self) -> tuple[str, ...]:
        return tuple(s for s in ("long", "short") if getattr(self.entry, s) is not None)

    def operands(self) -> list[IndicatorOperand | PriceOperand | ConstOperand]:
        """Every operand of every rule (for warm-up and lookahead bookkeeping)."""
        out: list[IndicatorOperand | PriceOperand | ConstOperand] = []
        for block in (self.entry.long, self.entry.short, self.exit.long, self.exit.short):
            if block is not None:
                for r in block.rules:
                    out += [r.left, r.right]
        return out

    def bars_needed(self) -> int:
        """History a bar-by-bar evaluation needs for values equal to a full-history run.

        Recursive indicators (EMA, Wilder) converge geometrically; the warm-up factors leave an
        error far below any price tick, so crossovers agree with the vectorized evaluation.
        """
        need = 2
        periods: list[tuple[str, int, int]] = []
        for o in self.operands():
            if isinstance(o, IndicatorOperand):
                periods.append((o.name, o.params.period, o.shift))
            elif isinstance(o, PriceOperand):
                need = max(need, o.shift + 2)
        for stop in (self.stop, self.take):
            if stop is not None and stop.kind == "atr":
                periods.append(("atr", stop.atr_period, 0))
        for name, period, shift in periods:
            extra = 10 if name == "ema_slope" else 0  # its look-back over the EMA
            need = max(need, WARMUP_FACTOR.get(name, 1) * period + extra + shift + 2)
        return need
