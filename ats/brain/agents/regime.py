"""MarketRegimeAgent: which of five regimes a symbol is in, with hysteresis.

Features of the symbol's closed bars (ATR % of price, ADX, the slope of EMA200, the quantile
of today's ATR % among the window's, a panic flag) map to trend_up / trend_down /
range_lowvol / range_highvol / panic. A new regime must repeat for ``min_bars_hold`` bars
before it replaces the current one, so one odd bar does not flip every strategy on and off;
panic is the exception — it takes over at once, because waiting is the costly mistake there.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from ats import indicators as ind
from ats.brain.tools import ToolContext
from ats.domain import Bars, Regime
from ats.indicators.streaming import (
    StreamATR,
    StreamDMI,
    StreamEMASlope,
    StreamMeanVar,
    StreamRank,
)


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


@dataclass(slots=True)
class _Track:
    """Streaming indicator state of one symbol (the same numbers as the batch functions)."""

    atr: StreamATR
    dmi: StreamDMI
    slope: StreamEMASlope
    rank: StreamRank
    rets: StreamMeanVar
    last5: deque[float]
    last_close: float = 0.0
    last_ts: int | None = None
    n: int = 0
    values: tuple[float, float, float, float, float, float] | None = None


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
        self._tracks: dict[str, _Track] = {}
        self.last_features: dict[str, RegimeFeatures] = {}

    @property
    def bars_needed(self) -> int:
        th = self.th
        return max(th.ema_period + th.slope_lookback + 1, th.vol_window + th.atr_period + 1)

    def current(self, symbol: str) -> _Hold | None:
        return self._holds.get(symbol)

    def restore(self, symbol: str, regime: Regime, held: int, since: int) -> None:
        self._holds[symbol] = _Hold(regime, held, since)

    def _new_track(self) -> _Track:
        th = self.th
        return _Track(StreamATR(th.atr_period), StreamDMI(th.adx_period),
                      StreamEMASlope(th.ema_period, th.slope_lookback), StreamRank(th.vol_window),
                      StreamMeanVar(th.vol_window), deque(maxlen=5))

    def _feed(self, tr: _Track, bars: Bars) -> RegimeFeatures | None:
        """Fold the bars newer than the track's last one in; O(1) per bar."""
        ts = bars.ts
        start = 0
        if tr.last_ts is not None:
            start = int(np.searchsorted(ts, tr.last_ts, side="right"))
        th = self.th
        hi, lo, cl = bars.high, bars.low, bars.close
        for i in range(start, len(ts)):
            h, low, c = float(hi[i]), float(lo[i]), float(cl[i])
            if not (math.isfinite(h) and math.isfinite(low) and math.isfinite(c) and c > 0):
                continue
            atr = tr.atr.update(h, low, c)
            _, _, adx = tr.dmi.update(h, low, c)
            slope = tr.slope.update(c)
            vq = tr.rank.update(atr / c) if math.isfinite(atr) else math.nan
            ret = math.log(c / tr.last_close) if tr.last_close else 0.0
            sigma = math.sqrt(tr.rets.var) if tr.n > 2 and tr.rets.var > 0 else 0.0
            if tr.last_close:
                tr.rets.update(ret)
                tr.last5.append(ret)
            tr.last_close, tr.last_ts, tr.n = c, int(ts[i]), tr.n + 1
            tr.values = (atr, adx, slope, vq, ret, sigma)
        if tr.values is None or tr.n < self.MIN_BARS:
            return None
        atr, adx, slope, vq, last, sigma = tr.values
        close = tr.last_close
        if not math.isfinite(slope) and len(cl) > th.slope_lookback + 2:
            # Short history (< EMA period): fall back to a shorter EMA over the window.
            period = max(2, min(th.ema_period, len(cl) - th.slope_lookback - 1))
            slope = float(ind.ema_slope(cl, period=period, lookback=th.slope_lookback)[-1])
        if not math.isfinite(vq):
            vq = 0.5
        panic = sigma > 0 and (last <= -th.panic_sigma * sigma
                               or (vq >= th.panic_vol_quantile
                                   and sum(tr.last5) <= -3.0 * sigma * math.sqrt(5)))
        return RegimeFeatures(_finite(atr), _finite(atr / close), _finite(adx), _finite(slope),
                              vq, bool(panic))

    def features(self, bars: Bars) -> RegimeFeatures:
        """Features of a whole history (a fresh track; the same numbers ``assess`` sees)."""
        n = len(bars)
        if n < self.MIN_BARS:
            raise ValueError(f"{bars.symbol} {bars.timeframe}: {n} bars, regime needs "
                             f">= {self.MIN_BARS}")
        f = self._feed(self._new_track(), bars)
        if f is None:
            raise ValueError(f"{bars.symbol} {bars.timeframe}: too few valid bars for a regime")
        return f

    def _features_tracked(self, symbol: str, bars: Bars) -> RegimeFeatures:
        tr = self._tracks.get(symbol)
        if tr is None:
            tr = self._tracks[symbol] = self._new_track()
        f = self._feed(tr, bars)
        if f is None:
            raise ValueError(f"{bars.symbol} {bars.timeframe}: {len(bars)} bars, regime needs "
                             f">= {self.MIN_BARS}")
        return f

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
        f = self._features_tracked(symbol, bars)
        self.last_features[symbol] = f  # shown on the desk's regime panel
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
