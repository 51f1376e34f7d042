"""What the risk layer may believe about a strategy's odds: its own record, nothing else.

A strategy's "confidence" is a heuristic score, not a probability; feeding it to Kelly as a
win rate sized trades on numbers nobody measured. The Kelly cap now takes the win rate and
the payoff ratio (average win over average loss, in R) of the strategy's own closed trades,
and only once there are ``MIN_TRADES`` of them. Costs of a round trip (fees, spread,
expected slippage) are part of the loss planned at the stop.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

MIN_TRADES = 20
WINDOW = 100
MAX_AGE_MS = 30 * 86_400_000  # a record older than a month no longer speaks for the market


class _Trade(Protocol):
    strategy: str
    r_multiple: float | None
    closed_ts: int


def strategy_edge(trades: Iterable[_Trade], strategy: str, *, now_ms: int | None = None,
                  min_trades: int = MIN_TRADES, window: int = WINDOW,
                  max_age_ms: int = MAX_AGE_MS) -> tuple[float, float, int] | None:
    """(win rate, payoff ratio, n) over the strategy's last ``window`` trades with an R.

    None below ``min_trades`` (no calibration yet). Trades closed more than ``max_age_ms``
    before ``now_ms`` do not count: a strategy Kelly stopped is not stopped for ever, its
    old record ages out and it trades again at the plain budget. A record with no loss yet
    gives a payoff from the wins alone over a 1R loss, the stop the trade was planned with.
    """
    cutoff = None if now_ms is None else now_ms - max_age_ms
    rs = [t.r_multiple for t in trades if t.strategy == strategy and t.r_multiple is not None
          and (cutoff is None or t.closed_ts >= cutoff)]
    rs = rs[-window:]
    n = len(rs)
    if n < min_trades:
        return None
    wins = [r for r in rs if r > 0]
    losses = [-r for r in rs if r <= 0]
    p = len(wins) / n
    avg_win = sum(wins) / len(wins) if wins else 0.0
    avg_loss = sum(losses) / len(losses) if losses and sum(losses) > 0 else 1.0
    if avg_win <= 0:
        return p, 1e-9, n
    return p, avg_win / avg_loss, n


def round_trip_cost(entry: float, stop: float, spread: float, taker_fee: float,
                    slippage_bps: float) -> float:
    """Price units lost per unit, on top of the stop distance, by a stopped-out trade.

    Crossing the spread once (entry at the ask, exit at the bid), a taker fee on both
    fills, and the expected slippage on both (market entry, stop exit).
    """
    per_side = taker_fee + max(0.0, slippage_bps) / 10_000.0
    return max(0.0, spread) + (abs(entry) + abs(stop)) * per_side
