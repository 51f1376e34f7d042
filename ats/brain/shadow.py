"""Shadow book: challenger strategies trade virtually, scored as if their plans had filled.

A promoted challenger must show it can make money on the live feed before it earns real
orders. Its plans are sized like live plans, "filled" at the plan's entry, and closed at the
stop or take the first bar touches them (stop first when a bar touches both — the
pessimistic reading of a bar whose path we cannot see) or at the close of an exit signal's
bar. Nothing here ever reaches the venue.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ats.domain import Bars, StrategySignal
from ats.risk import TradePlan


@dataclass(slots=True)
class _VPos:
    plan: TradePlan
    opened_ts: int


@dataclass(slots=True)
class ShadowScore:
    name: str
    trades: int = 0
    wins: int = 0
    pnl: float = 0.0
    open_positions: int = 0
    plans: int = 0
    last_signal: str = ""

    @property
    def win_rate(self) -> float:
        return self.wins / self.trades if self.trades else 0.0


@dataclass(slots=True)
class ShadowBook:
    scores: dict[str, ShadowScore] = field(default_factory=dict)
    _open: dict[tuple[str, str], _VPos] = field(default_factory=dict)

    def score(self, name: str) -> ShadowScore:
        sc = self.scores.get(name)
        if sc is None:
            sc = self.scores[name] = ShadowScore(name)
        return sc

    def open(self, plan: TradePlan) -> bool:
        """Take a virtual entry; False if the challenger already holds that symbol."""
        key = (plan.strategy, plan.symbol)
        sc = self.score(plan.strategy)
        sc.plans += 1
        if key in self._open:
            return False
        self._open[key] = _VPos(plan, plan.ts)
        sc.open_positions += 1
        return True

    def exit_signal(self, sig: StrategySignal) -> float | None:
        vp = self._open.get((sig.strategy, sig.symbol))
        if vp is None or sig.side is vp.plan.side:
            return None  # an exit carries the closing side; one on the entry side closes nothing
        return self._close((sig.strategy, sig.symbol), sig.entry)

    def on_bar(self, symbol: str, bars: Bars) -> list[tuple[str, float]]:
        """Close virtual positions on ``symbol`` whose stop/take the newest bar touched."""
        if not self._open or len(bars) == 0:
            return []
        ts, hi, lo = int(bars.ts[-1]), float(bars.high[-1]), float(bars.low[-1])
        closed: list[tuple[str, float]] = []
        for key, vp in list(self._open.items()):
            if key[1] != symbol or ts < vp.opened_ts or vp.plan.timeframe != bars.timeframe:
                continue
            p = vp.plan
            long = p.side.sign > 0
            px = None
            if p.stop is not None and ((long and lo <= p.stop) or (not long and hi >= p.stop)):
                px = p.stop
            elif p.take is not None and ((long and hi >= p.take) or (not long
                                                                     and lo <= p.take)):
                px = p.take
            if px is not None:
                closed.append((key[0], self._close(key, px)))
        return closed

    def _close(self, key: tuple[str, str], price: float) -> float:
        vp = self._open.pop(key)
        p = vp.plan
        per_unit = p.notional / (p.qty * p.entry) if p.qty and p.entry else 1.0
        pnl = (price - p.entry) * p.side.sign * p.qty * per_unit
        sc = self.score(key[0])
        sc.trades += 1
        sc.wins += pnl > 0
        sc.pnl += pnl
        sc.open_positions -= 1
        return pnl
