"""Compare the vectorized backtester's trade list with the brain replay's, naming every
difference (shared by the parity test and ``scripts/real_data_report.py``).

Named differences, each checked precisely rather than tolerated loosely:

* ``first fill`` — the brain trades only from its first cycle after the warm-up window;
  the vectorized run gets the same start (entries before ``start_bar`` are masked), so both
  begin flat on the same bar.
* ``stop tick`` — both engines rest the stop at signal close ± distance on the tick grid;
  the brain computes the distance on its rolling window, the vectorized engine on the
  whole history, and when the level sits on a tick boundary float rounding can put them
  one tick apart. A stop exit on the same bar within one tick counts as identical.
* ``stop timing`` — where the paper engine cannot match a stop intrabar (no bars as fine
  as the trade's), the brain sees the touch on the bar's close and exits at the next
  open. Such a trade must have the same entry, the brain's exit one bar later, at the
  next open priced by the same cost model.
* ``after a shifted exit`` — a signal on the bar the vectorized engine stopped out on finds
  the brain still in the position: refused (``position_open``, in the brain's rejections
  at that bar) or, for the side it already holds, not emitted at all. Such a vector-only
  trade must start right after a stop the brain took one bar later.
* ``sizing, guards and locks`` — quantities and money come from the risk engine in the
  brain (caps, lot steps, the strategy's own Kelly record); an entry it refuses
  (``below_min_qty``, ``negative_edge``), the execution guard refuses (``slippage``,
  ``liquidity``: expected slippage or spread above ``max_slippage_bps``) or a lock blocks
  (``daily_lock``, ``kill_switch``) must be in its rejections at the signal bar. Prices,
  bars, sides and exit reasons are compared, not quantities.
* ``close at end`` — both close an open position when the data ends; the brain pays the
  spread and slippage of that market close, the vectorized engine books the last close.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ats.domain.costs import CostModel
from ats.domain.types import Side
from research_lab.backtest.engine import BacktestResult, for_timeframe, run_backtest
from research_lab.dsl.evaluate import evaluate

# the brain's own refusals, each a named difference: a position still open (after a stop
# it took a bar later), the risk engine's sizing (minimum lot; no edge on the strategy's own
# Kelly record), the execution guards (expected slippage or spread above governance
# max_slippage_bps) and the governance locks — none of which the vectorized engine models
EXCUSES = ("position_open", "one_per_symbol", "below_min_qty", "negative_edge",
           "slippage", "liquidity", "daily_lock", "kill_switch")


@dataclass(slots=True)
class Parity:
    same: int = 0  # identical trades (bars, side, prices, reason)
    same_stops: int = 0  # of which closed by a stop filled intrabar in both engines
    stop_shifted: int = 0  # the named stop-timing difference, checked exactly
    end: int = 0  # both closed at the end of the data
    excused: list[tuple[int, str]] = field(default_factory=list)  # vector-only, with reason
    mismatches: list[str] = field(default_factory=list)  # unexplained: the test fails
    vector_trades: int = 0
    brain_trades: int = 0

    def row(self) -> dict[str, Any]:
        return {"vector_trades": self.vector_trades, "brain_trades": self.brain_trades,
                "identical": self.same, "identical_stop_exits": self.same_stops,
                "stop_one_bar_later": self.stop_shifted,
                "closed_at_end": self.end, "vector_only_refused_by_brain": len(self.excused),
                "unexplained": len(self.mismatches)}


def vector_run(spec: Any, bars: Any, start_bar: int, cost: CostModel,
               tick_size: float) -> BacktestResult:
    """The vectorized engine on the same bars, starting flat at the brain's first cycle,
    its stops on the instrument's tick grid like the brain's."""
    sig = evaluate(spec, bars)
    sig.long_entry[:start_bar] = False
    sig.short_entry[:start_bar] = False
    cfg = for_timeframe(bars.timeframe, cost=cost, tick_size=tick_size)
    return run_backtest(bars, sig, cfg, allow_fast=False)


def parity_cost(cost: CostModel) -> CostModel:
    """Costs on recorded bars (``research_lab.pipeline_ci.market.recorded_costs``): no order
    book, so no depth term — in the replay venue and in the vectorized engine alike."""
    return dataclasses.replace(cost, depth_impact_bps=0.0)


def compare(bt: Any, vr: BacktestResult, cost: CostModel, rel: float = 1e-9) -> Parity:
    tick = float(bt.instrument.tick_size) if bt.instrument is not None else 0.0
    bars = bt.bars
    b, v = bt.result.trades, vr.trades
    out = Parity(vector_trades=len(v), brain_trades=len(b))
    brain = {(int(b.entry_bar[i]), int(b.side[i])): i for i in range(len(b))}
    refused: dict[int, list[str]] = {}
    for bar, code, _ in bt.rejections:
        refused.setdefault(bar, []).append(code)
    rng = np.where(bars.close > 0, (bars.high - bars.low) / bars.close * 1e4, 0.0)
    shifted: set[int] = set()  # vector exit bars of stops the brain took one bar later
    for k in range(len(v)):
        key = (int(v.entry_bar[k]), int(v.side[k]))
        i = brain.pop(key, None)
        where = f"vector trade {k} ({'long' if key[1] > 0 else 'short'} at bar {key[0]})"
        if i is None:
            codes = [c for c in refused.get(int(v.signal_bar[k]), []) if c in EXCUSES]
            if int(v.signal_bar[k]) in shifted:
                codes.append("after_shifted_stop")
            if codes:
                out.excused.append((key[0], codes[0]))
            else:
                out.mismatches.append(f"{where}: not in the brain and not refused by it")
            continue
        if not np.isclose(b.entry_price[i], v.entry_price[k], rtol=rel, atol=0):
            out.mismatches.append(f"{where}: entry {b.entry_price[i]} vs {v.entry_price[k]}")
            continue
        vr_, br_ = str(v.reason[k]), str(b.reason[i])
        if vr_ == "end" and br_ == "end":
            out.end += 1
        elif vr_ == br_ and int(b.exit_bar[i]) == int(v.exit_bar[k]) and np.isclose(
                b.exit_price[i], v.exit_price[k], rtol=rel,
                atol=tick * (1 + 1e-6) if vr_ == "stop" else 0):
            out.same += 1
            out.same_stops += vr_ == "stop"
        elif vr_ == "stop" and br_ == "stop" and int(b.exit_bar[i]) == int(v.exit_bar[k]) + 1:
            x = int(b.exit_bar[i])
            side = Side.SELL if key[1] > 0 else Side.BUY
            half = float(bars.spread[x]) / 2.0
            o = float(bars.open[x])
            want = cost.taker_price(side, o - half, o + half,
                                    cost.slippage_bps(1.0, np.inf, float(rng[x - 1])))
            if np.isclose(b.exit_price[i], want, rtol=rel, atol=0):
                out.stop_shifted += 1
                shifted.add(int(v.exit_bar[k]))
            else:
                out.mismatches.append(f"{where}: brain stop exit {b.exit_price[i]} is not the "
                                      f"next open's market price {want}")
        else:
            out.mismatches.append(
                f"{where}: exit {br_} bar {int(b.exit_bar[i])} @ {b.exit_price[i]} vs "
                f"{vr_} bar {int(v.exit_bar[k])} @ {v.exit_price[k]}")
    for (bar, side), _i in brain.items():
        out.mismatches.append(f"brain trade {'long' if side > 0 else 'short'} at bar {bar} "
                              "has no vectorized counterpart")
    return out
