"""Range reversion on 5m bars: fade a Bollinger band touch confirmed by RSI, back to the
middle band — only in a quiet range (``range_lowvol``).

Entry (flat, regime exactly ``range_lowvol``; an unknown regime does not qualify, since
fading moves outside a quiet range is how reversion strategies blow up): the close is below
the lower band with RSI below ``rsi_low`` (long), or above the upper band with RSI above
``rsi_high`` (short). Take at the middle band; stop ``stop_atr`` x ATR beyond the entry.

Exits: the close reaches the middle band; the regime is known and no longer
``range_lowvol``; or ``max_bars`` bars have passed.
"""

from __future__ import annotations

from ats.domain import Regime, Side, StrategySignal
from ats.i18n.said import Said
from ats.indicators import atr, bollinger, rsi
from ats.strategies.base import (
    StrategyContext,
    TradingStrategy,
    entry_index,
    open_position,
)
from ats.strategies.registry import register


@register
class RangeReversion5MStrategy(TradingStrategy):
    name = "range_reversion_5m"
    kind = "mean_reversion"
    regimes = (Regime.RANGE_LOWVOL,)

    def __init__(
        self,
        timeframe: str = "5m",
        bb_period: int = 20,
        bb_k: float = 2.0,
        rsi_period: int = 14,
        rsi_low: float = 30.0,
        rsi_high: float = 70.0,
        atr_period: int = 14,
        stop_atr: float = 1.5,
        max_bars: int = 36,
    ) -> None:
        self.timeframe = timeframe
        self._set_params(
            bb_period=bb_period,
            bb_k=bb_k,
            rsi_period=rsi_period,
            rsi_low=rsi_low,
            rsi_high=rsi_high,
            atr_period=atr_period,
            stop_atr=stop_atr,
            max_bars=max_bars,
        )
        if not rsi_low < rsi_high <= 100:
            raise ValueError(f"{self.name}: need 0 < rsi_low < rsi_high <= 100")
        self.bars_needed = bb_period + 8 * max(rsi_period, atr_period)
        self._min_bars = max(bb_period, rsi_period + 1, atr_period + 1)

    def generate(self, ctx: StrategyContext) -> list[StrategySignal]:
        bars = self.window(ctx)
        if len(bars) < self._min_bars:
            return []
        c = bars.close
        _, middle, _ = bands = bollinger(c, self.bb_period, self.bb_k)
        mid = float(middle[-1])
        close = float(c[-1])
        pos = open_position(ctx)
        if pos is not None:
            return self._exits(ctx, bars, pos, mid)
        if ctx.regime != Regime.RANGE_LOWVOL:
            return []
        upper, lower = float(bands[0][-1]), float(bands[2][-1])
        r = float(rsi(c, self.rsi_period)[-1])
        risk = self.stop_atr * float(atr(bars.high, bars.low, c, self.atr_period)[-1])
        if close < lower and r < self.rsi_low:
            side, depth, band, word = Side.BUY, (self.rsi_low - r) / self.rsi_low, lower, "below"
        elif close > upper and r > self.rsi_high:
            side, depth = Side.SELL, (r - self.rsi_high) / (100.0 - self.rsi_high)
            band, word = upper, "above"
        else:
            return []
        return [
            self.signal(
                ctx,
                bars,
                side,
                confidence=0.5 + 0.5 * min(1.0, depth),
                reason=Said(f"reason.range_reversion.entry_{word}", close=close,
                            bb_period=int(self.bb_period), bb_k=float(self.bb_k), band=band,
                            rsi=r, mid=mid),
                stop=close - side.sign * risk,
                take=mid,
            )
        ]

    def _exits(self, ctx, bars, pos, mid: float) -> list[StrategySignal]:  # type: ignore[no-untyped-def]
        long = pos.qty > 0
        exit_side = Side.SELL if long else Side.BUY
        close = float(bars.close[-1])
        held = len(bars) - entry_index(bars, pos)
        if (long and close >= mid) or (not long and close <= mid):
            reason, conf = Said("reason.range_reversion.middle_band", close=close, mid=mid), 0.9
        elif ctx.regime is not None and ctx.regime != Regime.RANGE_LOWVOL:
            regime = Said(f"reason.regime.{Regime(ctx.regime).value}")
            reason, conf = Said("reason.range_reversion.regime_left", regime=regime), 0.8
        elif held >= self.max_bars:
            reason, conf = Said("reason.time_stop", held=held, max_bars=int(self.max_bars)), 0.6
        else:
            return []
        return [self.signal(ctx, bars, exit_side, confidence=conf, is_exit=True, reason=reason)]
