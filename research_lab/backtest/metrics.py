"""Performance metrics of one backtest, plain floats so they serialize to JSON reports.

Sharpe and Sortino are annualized from per-bar returns of the marked-to-market equity (bars
flat included: idle capital is part of the result). MAR is CAGR over max drawdown. Capacity
answers "how much could this trade before its own market impact ate its edge" using the
CostModel's depth-impact term with bar volume as the visible depth.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from ats.domain.costs import CostModel

if TYPE_CHECKING:
    from ats.domain import Bars


@dataclass(frozen=True, slots=True)
class Metrics:
    trades: int
    net_pnl: float
    total_return: float
    profit_factor: float
    max_drawdown: float  # fraction, >= 0
    sharpe: float  # annualized
    sortino: float
    mar: float
    expectancy: float  # mean net pnl per trade (account currency)
    expectancy_pct: float  # mean return per trade (fraction of equity)
    win_rate: float
    exposure: float  # share of bars with a position
    avg_bars_held: float
    participation: float  # mean entry qty / fill bar volume
    capacity_notional: float  # notional at which impact would eat half the average edge
    bars: int
    per_bar_sharpe: float  # not annualized; the deflated Sharpe ratio works on this
    skew: float
    kurtosis: float  # non-excess (normal = 3)

    def to_dict(self) -> dict[str, float]:
        return {k: (float(v) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def _finite(x: float, cap: float = 1e6) -> float:
    if math.isnan(x):
        return 0.0
    return max(-cap, min(cap, x))


def max_drawdown(equity: np.ndarray) -> float:
    if len(equity) == 0:
        return 0.0
    peak = np.maximum.accumulate(equity)
    if peak.min() > 0:
        return float(np.max(1.0 - equity / peak))
    return float(np.max((peak - equity) / np.where(peak > 0, peak, 1.0)))


def bar_returns(equity: np.ndarray) -> np.ndarray:
    if len(equity) < 2:
        return np.zeros(0)
    prev = equity[:-1]
    if (prev != 0).all():
        return np.diff(equity) / prev
    return np.diff(equity) / np.where(prev != 0, prev, 1.0)


def compute_metrics(
    pnl: np.ndarray, ret: np.ndarray, equity: np.ndarray, position: np.ndarray,
    bars_per_year: float, *, bars: Bars | None = None, entry_bar: np.ndarray | None = None,
    qty: np.ndarray | None = None, entry_price: np.ndarray | None = None,
    cost: CostModel | None = None, exit_bar: np.ndarray | None = None,
    initial_equity: float | None = None,
) -> Metrics:
    n = len(equity)
    r = bar_returns(equity)
    k = len(r)
    mean = float(r.mean()) if k else 0.0
    # raw moments in three passes; central moments follow algebraically
    r2 = r * r
    m2 = float(r2.mean()) if k else 0.0
    var = max(0.0, m2 - mean * mean)
    sd = math.sqrt(var * k / (k - 1)) if k > 1 else 0.0
    per_bar_sharpe = mean / sd if sd > 0 else 0.0
    neg = np.minimum(r, 0.0)
    dsd = math.sqrt(float((neg * neg).sum()) / k) if k else 0.0  # downside deviation, all bars
    ann = math.sqrt(bars_per_year)
    sharpe = per_bar_sharpe * ann
    sortino = mean / dsd * ann if dsd > 0 else 0.0
    skew = kurt = 0.0
    if var > 0 and k > 3:
        m3, m4 = float((r2 * r).mean()), float((r2 * r2).mean())
        c3 = m3 - 3 * mean * m2 + 2 * mean**3
        c4 = m4 - 4 * mean * m3 + 6 * mean * mean * m2 - 3 * mean**4
        skew, kurt = c3 / var**1.5, c4 / (var * var)
    gains, losses = float(pnl[pnl > 0].sum()), float(-pnl[pnl < 0].sum())
    pf = gains / losses if losses > 0 else (float("inf") if gains > 0 else 0.0)
    dd = max_drawdown(equity)
    end = float(equity[-1]) if n else 1.0
    first = initial_equity if initial_equity is not None else (float(equity[0]) if n else 1.0)
    total = end / first - 1.0 if first else 0.0
    years = n / bars_per_year if bars_per_year > 0 else 0.0
    cagr = (end / first) ** (1.0 / years) - 1.0 if years > 0 and end > 0 and first > 0 else -1.0
    mar = cagr / dd if dd > 0 else 0.0
    participation, capacity = 0.0, 0.0
    if bars is not None and entry_bar is not None and qty is not None and len(qty):
        vol = bars.volume[entry_bar]
        share = np.where(vol > 0, qty / np.where(vol > 0, vol, 1.0), 1.0)
        participation = float(share.mean())
        if cost is not None and entry_price is not None and cost.depth_impact_bps > 0:
            edge_bps = float(np.mean(ret)) * 1e4 if len(ret) else 0.0
            dollar_vol = float(np.median(bars.volume[entry_bar] * entry_price))
            # round trip impact = 2 * depth_impact * N / dollar_vol; set it to half the edge
            capacity = max(0.0, edge_bps / 2.0 * dollar_vol / (2.0 * cost.depth_impact_bps))
    held = float(np.count_nonzero(position)) / n if n else 0.0
    return Metrics(
        trades=int(len(pnl)),
        net_pnl=float(pnl.sum()),
        total_return=_finite(total),
        profit_factor=_finite(pf, 1e3),
        max_drawdown=dd,
        sharpe=_finite(sharpe),
        sortino=_finite(sortino),
        mar=_finite(mar),
        expectancy=float(pnl.mean()) if len(pnl) else 0.0,
        expectancy_pct=float(ret.mean()) if len(ret) else 0.0,
        win_rate=float((pnl > 0).mean()) if len(pnl) else 0.0,
        exposure=held,
        avg_bars_held=(float(np.mean(exit_bar - entry_bar)) if exit_bar is not None
                       and entry_bar is not None and len(pnl) else 0.0),
        participation=participation,
        capacity_notional=capacity,
        bars=n,
        per_bar_sharpe=per_bar_sharpe,
        skew=skew,
        kurtosis=kurt,
    )
