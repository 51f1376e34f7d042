"""Automatic anti-lookahead check: a past signal must not change when the future is cut off.

A strategy is run on the full history and on several truncated copies; every signal the
truncated run produced must be identical in the full run, and the full run must have no
signal at an early bar that the truncated run (which saw that same bar) did not have. A
strategy that reads a later bar — a centred window, a negative shift, ``np.roll``, a
normalization by the whole series' max — changes its past signals when the end moves, and
fails with the first differing bar named.

Signals are compared as hashable keys ``(bar index, kind, rounded price fields)``; both a
vectorized DSL evaluation and a registry strategy replayed bar by bar fit that shape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ats.domain import Bars
from ats.domain.types import StrategySignal
from research_lab.dsl.evaluate import SignalArrays, evaluate
from research_lab.dsl.models import StrategySpec

SignalKey = tuple[int, str, float, float]
SignalFn = Callable[[Bars], Iterable[SignalKey]]


@dataclass(frozen=True, slots=True)
class LookaheadReport:
    name: str
    cuts: tuple[int, ...]
    signals_checked: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def default_cuts(n: int, count: int = 4, start_frac: float = 0.4) -> tuple[int, ...]:
    """Evenly spaced truncation points in the second part of the history."""
    if n < 10:
        return ()
    return tuple(sorted({int(x) for x in np.linspace(n * start_frac, n - 1, count)}))


def check_lookahead(name: str, fn: SignalFn, bars: Bars,
                    cuts: Sequence[int] | None = None) -> LookaheadReport:
    full = sorted(set(fn(bars)))
    cuts = tuple(cuts) if cuts is not None else default_cuts(len(bars))
    problems: list[str] = []
    for k in cuts:
        part = set(fn(bars.slice(0, k)))
        before = {s for s in full if s[0] < k}
        missing = sorted(before - part)
        extra = sorted(part - before)
        if missing or extra:
            first = (missing + extra)[0]
            problems.append(
                f"{name}: history cut at bar {k} changes the signal at bar {first[0]} "
                f"({first[1]}): {len(missing)} signal(s) only with the future, {len(extra)} "
                "only without it — the strategy reads bars after the one it signals on")
    return LookaheadReport(name, cuts, len(full), problems)


def arrays_keys(sig: SignalArrays) -> list[SignalKey]:
    out: list[SignalKey] = []
    for kind in ("long_entry", "long_exit", "short_entry", "short_exit"):
        arr: np.ndarray = getattr(sig, kind)
        for i in np.flatnonzero(arr):
            out.append((int(i), kind, _r(sig.stop_dist[i]), _r(sig.take_dist[i])))
    return out


def _r(x: float) -> float:
    x = float(x)
    return round(x, 9) if np.isfinite(x) else -1.0


def spec_signal_fn(spec: StrategySpec) -> SignalFn:
    return lambda b: arrays_keys(evaluate(spec, b))


def strategy_keys(signals: Iterable[StrategySignal], bars: Bars) -> list[SignalKey]:
    """Keys of emitted signals; the bar is found from the signal's close-time ``ts``."""
    index = {int(t): i for i, t in enumerate(bars.ts)}
    tf_ms = int(bars.ts[1] - bars.ts[0]) if len(bars) > 1 else 0
    out: list[SignalKey] = []
    for s in signals:
        i = index.get(int(s.ts) - tf_ms, index.get(int(s.ts), -1))
        kind = f"{'exit' if s.is_exit else 'entry'}_{s.side.value}"
        out.append((i, kind, _r(s.entry), _r(s.stop_hint if s.stop_hint is not None else -1)))
    return out
