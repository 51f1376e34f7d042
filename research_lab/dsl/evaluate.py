"""Whole-array evaluation of a DSL strategy: one boolean array per signal kind.

Every value at index ``t`` uses only bars ``0..t`` (indicators are causal, ``shift`` looks
back, crossovers compare ``t`` with ``t-1``), so ``signals[t]`` is what the strategy would
have said at the close of bar ``t``. The compiled bar-by-bar strategy reads the last element
of these same arrays, which is why the two agree (tested).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ats.domain import Bars
from ats.indicators.channels import donchian
from ats.indicators.directional import adx, minus_di, plus_di
from ats.indicators.moving import ema, ema_slope, sma
from ats.indicators.oscillators import rsi
from ats.indicators.volatility import atr, atr_pct, bollinger
from research_lab.dsl.models import (
    ConstOperand,
    IndicatorOperand,
    PriceOperand,
    Rule,
    RuleBlock,
    StopSpec,
    StrategySpec,
)


@dataclass(frozen=True, slots=True)
class SignalArrays:
    """Per-bar conditions at the bar's close, plus protective distances in price units."""

    long_entry: np.ndarray
    long_exit: np.ndarray
    short_entry: np.ndarray
    short_exit: np.ndarray
    stop_dist: np.ndarray  # NaN where unknown (warm-up): no entry is taken there
    take_dist: np.ndarray  # NaN when the strategy has no take


def _shift(x: np.ndarray, k: int) -> np.ndarray:
    if k == 0:
        return x
    out = np.full_like(x, np.nan, dtype=np.float64)
    if k < len(x):
        out[k:] = x[:-k]
    return out


def _price(bars: Bars, field: str) -> np.ndarray:
    return np.asarray(getattr(bars, field), dtype=np.float64)


def _indicator(bars: Bars, o: IndicatorOperand) -> np.ndarray:
    p = o.params.period
    h, lo, c = bars.high, bars.low, bars.close
    src = _price(bars, o.source)
    fns: dict[str, Callable[[], np.ndarray]] = {
        "sma": lambda: sma(src, p),
        "ema": lambda: ema(src, p),
        "rsi": lambda: rsi(src, p),
        "bb_upper": lambda: bollinger(src, p, o.params.std)[0],
        "bb_middle": lambda: bollinger(src, p, o.params.std)[1],
        "bb_lower": lambda: bollinger(src, p, o.params.std)[2],
        "ema_slope": lambda: ema_slope(src, p),
        "atr": lambda: atr(h, lo, c, p),
        "atr_pct": lambda: atr_pct(h, lo, c, p),
        "adx": lambda: adx(h, lo, c, p),
        "plus_di": lambda: plus_di(h, lo, c, p),
        "minus_di": lambda: minus_di(h, lo, c, p),
        "donchian_upper": lambda: donchian(h, lo, p)[0],
        "donchian_lower": lambda: donchian(h, lo, p)[1],
    }
    return np.asarray(fns[o.name](), dtype=np.float64)


class _Evaluator:
    """Computes operands once per document and bars (rules often share an indicator)."""

    def __init__(self, bars: Bars) -> None:
        self.bars = bars
        self.cache: dict[str, np.ndarray] = {}

    def operand(self, o: IndicatorOperand | PriceOperand | ConstOperand) -> np.ndarray:
        if isinstance(o, ConstOperand):
            return np.full(len(self.bars), o.value, dtype=np.float64)
        key = o.model_dump_json(exclude={"shift"})
        base = self.cache.get(key)
        if base is None:
            base = _price(self.bars, o.field) if isinstance(o, PriceOperand) else _indicator(
                self.bars, o)
            self.cache[key] = base
        return _shift(base, o.shift)

    def rule(self, r: Rule) -> np.ndarray:
        a, b = self.operand(r.left), self.operand(r.right)
        with np.errstate(invalid="ignore"):
            if r.op == ">":
                return a > b
            if r.op == "<":
                return a < b
            if r.op == ">=":
                return a >= b
            if r.op == "<=":
                return a <= b
            a1, b1 = _shift(a, 1), _shift(b, 1)
            if r.op == "crosses_above":
                return (a > b) & (a1 <= b1)
            return (a < b) & (a1 >= b1)

    def block(self, blk: RuleBlock | None) -> np.ndarray:
        n = len(self.bars)
        if blk is None:
            return np.zeros(n, dtype=bool)
        parts = [self.rule(r) for r in blk.rules]
        return np.logical_and.reduce(parts) if blk.logic == "all" else np.logical_or.reduce(parts)

    def distance(self, s: StopSpec | None) -> np.ndarray:
        n = len(self.bars)
        if s is None:
            return np.full(n, np.nan)
        if s.kind == "pct":
            return self.bars.close * (s.value / 100.0)
        atr = self.operand(IndicatorOperand(name="atr", params={"period": s.atr_period}))
        return atr * s.value


def evaluate(spec: StrategySpec, bars: Bars) -> SignalArrays:
    """All signal arrays of ``spec`` over ``bars`` (entries need a known stop distance)."""
    ev = _Evaluator(bars)
    stop = ev.distance(spec.stop)
    known = np.isfinite(stop) & (stop > 0)
    return SignalArrays(
        long_entry=ev.block(spec.entry.long) & known,
        long_exit=ev.block(spec.exit.long),
        short_entry=ev.block(spec.entry.short) & known,
        short_exit=ev.block(spec.exit.short),
        stop_dist=stop,
        take_dist=ev.distance(spec.take),
    )


def describe_rule(r: Rule) -> str:
    """Human text of a rule for signal reasons and reports (``ema(20) crosses_above sma(50)``)."""

    def text(o: IndicatorOperand | PriceOperand | ConstOperand) -> str:
        if isinstance(o, ConstOperand):
            return f"{o.value:g}"
        lag = f"[-{o.shift}]" if o.shift else ""
        if isinstance(o, PriceOperand):
            return f"{o.field}{lag}"
        arg = str(o.params.period)
        if o.name.startswith("bb_"):
            arg += f",{o.params.std:g}"
        src = f" of {o.source}" if o.source != "close" and o.name in {
            "sma", "ema", "rsi", "ema_slope"} else ""
        return f"{o.name}({arg}){src}{lag}"

    return f"{text(r.left)} {r.op} {text(r.right)}"
