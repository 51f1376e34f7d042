"""Volatility expansion on 15m bars: ATR % jumps above its recent baseline on heavy volume.

Entry (flat only): ATR% now is at least ``expansion`` x its mean over the previous
``baseline`` bars, the bar's volume ranks at or above the ``volume_quantile`` percentile of
the last ``volume_window`` bars (0.8 = its 80th percentile), and the bar is directional: a
close above its open *and* above the EMA(``ema_period``) goes long; the mirror goes short.

Exits: a trailing stop ``trail_atr`` x ATR behind the best price since entry (highest high
for a long), checked on the close; and a time stop after ``max_bars`` bars — an expansion
that has not paid by then has usually faded.
"""

from __future__ import annotations

import numpy as np

from ats.domain import Regime, Side, StrategySignal
from ats.i18n.said import Said
from ats.indicators import atr, ema
from ats.strategies.base import (
    StrategyContext,
    TradingStrategy,
    entry_index,
    open_position,
)
from ats.strategies.registry import register


def last_rank(x: np.ndarray) -> float:
    """Mid-rank of the last value among all of ``x``, 0..1 (``vol_quantile``'s definition)."""
    last = x[-1]
    below = np.count_nonzero(x < last)
    equal = np.count_nonzero(x == last)
    return float((below + (equal - 1) * 0.5) / (len(x) - 1))


@register
class VolatilityExpansion15MStrategy(TradingStrategy):
    name = "volatility_expansion_15m"
    kind = "trend"
    regimes = (Regime.TREND_UP, Regime.TREND_DOWN, Regime.RANGE_HIGHVOL)

    def __init__(
        self,
        timeframe: str = "15m",
        atr_period: int = 14,
        baseline: int = 48,
        expansion: float = 1.25,
        volume_window: int = 96,
        volume_quantile: float = 0.8,
        ema_period: int = 20,
        stop_atr: float = 1.5,
        trail_atr: float = 1.5,
        max_bars: int = 16,
    ) -> None:
        self.timeframe = timeframe
        self._set_params(
            atr_period=atr_period,
            baseline=baseline,
            expansion=expansion,
            volume_window=volume_window,
            volume_quantile=volume_quantile,
            ema_period=ema_period,
            stop_atr=stop_atr,
            trail_atr=trail_atr,
            max_bars=max_bars,
        )
        if volume_quantile > 1:
            raise ValueError(f"{self.name}: volume_quantile must be in (0, 1]")
        self.bars_needed = max(volume_window, baseline + 1, ema_period) + 8 * atr_period
        self._min_bars = max(volume_window, ema_period, atr_period + baseline + 1)

    def generate(self, ctx: StrategyContext) -> list[StrategySignal]:
        bars = self.window(ctx)
        if len(bars) < self._min_bars:
            return []
        h, lo, c = bars.high, bars.low, bars.close
        a = atr(h, lo, c, self.atr_period)
        pos = open_position(ctx)
        if pos is not None:
            return self._exits(ctx, bars, float(a[-1]), pos)
        if not self.allows_entry_in(ctx.regime):
            return []
        with np.errstate(divide="ignore", invalid="ignore"):
            ap = a / c * 100.0
        base = ap[-self.baseline - 1 : -1]
        if np.isnan(base).any() or not np.mean(base) > 0:
            return []
        ratio = float(ap[-1] / np.mean(base))
        vol_rank = last_rank(bars.volume[-self.volume_window :])
        if ratio < self.expansion or vol_rank < self.volume_quantile:
            return []
        close, open_ = float(c[-1]), float(bars.open[-1])
        trend = float(ema(c, self.ema_period)[-1])
        if close > open_ and close > trend:
            side = Side.BUY
        elif close < open_ and close < trend:
            side = Side.SELL
        else:
            return []
        risk = self.stop_atr * float(a[-1])
        return [
            self.signal(
                ctx,
                bars,
                side,
                confidence=min(1.0, 0.4 + 0.3 * (ratio - self.expansion) + 0.3 * vol_rank),
                reason=Said(
                    f"reason.vol_expansion.entry_{'above' if side is Side.BUY else 'below'}",
                    atr_pct=float(ap[-1]), ratio=ratio, baseline=int(self.baseline),
                    expansion=float(self.expansion), rank=vol_rank, window=int(self.volume_window),
                    close=close, ema_period=int(self.ema_period)),
                stop=close - side.sign * risk,
                trail_atr=float(self.trail_atr),
                max_bars=int(self.max_bars),
            )
        ]

    def _exits(self, ctx, bars, atr_now: float, pos) -> list[StrategySignal]:  # type: ignore[no-untyped-def]
        long = pos.qty > 0
        exit_side = Side.SELL if long else Side.BUY
        start = entry_index(bars, pos)
        held = len(bars) - start
        close = float(bars.close[-1])
        if held >= self.max_bars:
            return [
                self.signal(
                    ctx,
                    bars,
                    exit_side,
                    confidence=0.7,
                    is_exit=True,
                    reason=Said("reason.time_stop", held=held, max_bars=int(self.max_bars)),
                )  # fmt: skip
            ]
        if held <= 0:
            return []
        if long:
            best = float(np.max(bars.high[start:]))
            trail = best - self.trail_atr * atr_now
            hit = close < trail
        else:
            best = float(np.min(bars.low[start:]))
            trail = best + self.trail_atr * atr_now
            hit = close > trail
        if not hit:
            return []
        return [
            self.signal(
                ctx,
                bars,
                exit_side,
                confidence=0.9,
                is_exit=True,
                reason=Said("reason.vol_expansion.trailing_stop", close=close,
                            trail_atr=float(self.trail_atr), trail=trail, best=best),
            )  # fmt: skip
        ]
