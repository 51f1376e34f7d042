"""MarketRegimeAgent: which of five regimes a symbol is in, with hysteresis.

Features of the symbol's closed bars (ATR % of price, ADX, the slope of EMA200, the quantile
of today's ATR % among the window's, a panic flag) map to trend_up / trend_down /
range_lowvol / range_highvol / panic. A new regime must repeat for ``min_bars_hold`` bars
before it replaces the current one, so one odd bar does not flip every strategy on and off;
panic is the exception — it takes over at once, because waiting is the costly mistake there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ats import indicators as ind
from ats.brain.tools import ToolContext
from ats.domain import Bars, Regime


@dataclass(frozen=True, slots=True)
class RegimeFeatures:
    atr: float
    atr_pct: float
    adx: float
    ema_slope: float  # fractional change of EMA(200) over the lookback
    vol_quantile: float
    panic: bool


@dataclass(frozen=True, slots=True)
class RegimeResult:
    symbol: str
    regime: Regime
    raw: Regime  # this bar's classification before hysteresis
    held_bars: int
    since_ts: int
    changed: bool
    features: RegimeFeatures


@dataclass(slots=True)
class _Hold:
    regime: Regime
    held: int
    since: int
    cand: Regime | None = None
    cand_n: int = 0


@dataclass(frozen=True, slots=True)
class RegimeThresholds:
    adx_trend: float = 25.0
    slope_min: float = 0.0005  # EMA200 must move at least 0.05 % over the lookback
    high_vol_quantile: float = 0.7
    panic_sigma: float = 4.0
    panic_vol_quantile: float = 0.97
    atr_period: int = 14
    adx_period: int = 14
    ema_period: int = 200
    slope_lookback: int = 10
    vol_window: int = 100


class MarketRegimeAgent:
    """One entry point: ``assess(symbol, bars)`` on each newly closed bar of the symbol."""

    name = "regime"
    MIN_BARS = 30

    def __init__(self, ctx: ToolContext, thresholds: RegimeThresholds | None = None) -> None:
        self.ctx = ctx
        self.th = thresholds or RegimeThresholds()
        self._holds: dict[str, _Hold] = {}

    @property
    def bars_needed(self) -> int:
        th = self.th
        return max(th.ema_period + th.slope_lookback + 1, th.vol_window + th.atr_period + 1)

    def current(self, symbol: str) -> _Hold | None:
        return self._holds.get(symbol)

    def restore(self, symbol: str, regime: Regime, held: int, since: int) -> None:
        self._holds[symbol] = _Hold(regime, held, since)

    def features(self, bars: Bars) -> RegimeFeatures:
        th = self.th
        high, low, close = bars.high, bars.low, bars.close
        n = len(close)
        if n < self.MIN_BARS:
            raise ValueError(f"{bars.symbol} {bars.timeframe}: {n} bars, regime needs "
                             f">= {self.MIN_BARS}")
        atr_s = ind.atr(high, low, close, th.atr_period)
        atr = float(atr_s[-1])
        atr_pct_s = atr_s / close
        atr_pct = float(atr_pct_s[-1])
        adx = float(ind.adx(high, low, close, th.adx_period)[-1])
        period = min(th.ema_period, n - th.slope_lookback - 1)
        slope = float(ind.ema_slope(close, period=period, lookback=th.slope_lookback)[-1])
        valid = atr_pct_s[np.isfinite(atr_pct_s)]
        window = min(th.vol_window, len(valid))
        vq = float(ind.vol_quantile(valid[-window:], window)[-1]) if window >= 2 else 0.5
        rets = np.diff(np.log(close[-(th.vol_window + 1):]))
        sigma = float(rets[:-1].std()) if len(rets) > 2 else 0.0
        last = float(rets[-1]) if len(rets) else 0.0
        panic = sigma > 0 and (last <= -th.panic_sigma * sigma
                               or (vq >= th.panic_vol_quantile
                                   and float(rets[-5:].sum()) <= -3.0 * sigma * math.sqrt(5)))
        return RegimeFeatures(atr, atr_pct, _finite(adx), _finite(slope), _finite(vq, 0.5),
                              bool(panic))

    def classify(self, f: RegimeFeatures) -> Regime:
        th = self.th
        if f.panic:
            return Regime.PANIC
        if f.adx >= th.adx_trend and abs(f.ema_slope) >= th.slope_min:
            return Regime.TREND_UP if f.ema_slope > 0 else Regime.TREND_DOWN
        if f.vol_quantile >= th.high_vol_quantile:
            return Regime.RANGE_HIGHVOL
        return Regime.RANGE_LOWVOL

    def assess(self, symbol: str, bars: Bars) -> RegimeResult:
        f = self.features(bars)
        raw = self.classify(f)
        ts = int(bars.ts[-1])
        em = self.ctx.enable_map
        hold_for = em.min_bars_hold if em is not None else 3
        h = self._holds.get(symbol)
        changed = False
        if h is None:
            h = self._holds[symbol] = _Hold(raw, 1, ts)
            changed = True
        elif raw is h.regime:
            h.held += 1
            h.cand, h.cand_n = None, 0
        else:
            if raw is h.cand:
                h.cand_n += 1
            else:
                h.cand, h.cand_n = raw, 1
            if raw is Regime.PANIC or h.cand_n >= hold_for:
                h.regime, h.held, h.since = raw, h.cand_n, ts
                h.cand, h.cand_n = None, 0
                changed = True
            else:
                h.held += 1
        return RegimeResult(symbol, h.regime, raw, h.held, h.since, changed, f)


def _finite(x: float, default: float = 0.0) -> float:
    return x if math.isfinite(x) else default
