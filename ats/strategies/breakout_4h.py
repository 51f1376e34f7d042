"""Donchian 55/20 breakout on 4h bars with an ADX filter and partial takes at 1R and 2R.

Entry (flat only): the close breaks the highest high (lowest low) of the previous
``entry_period`` bars, the trend is strong (ADX >= ``adx_min``) and the directional
indicators agree (+DI > -DI for a long). The initial stop is ``stop_atr`` x ATR from the
entry; that distance is the trade's R.

Exits of an open position, in this order:

1. the close crosses the initial stop (full exit) — in case no stop order sits at the venue;
2. the close breaks the opposite ``exit_period`` channel (full exit; Turtle "System 2");
3. partial takes: on the first bar whose high (low for shorts) reaches entry + 1R, an exit
   with ``qty_fraction`` = ``partial_fraction`` (half of what is open); on the first bar
   reaching 2R, another ``partial_fraction`` of what is then open. The rest rides until the
   channel exit. R is recomputed from the ATR of the bar before the entry bar, so the levels
   do not depend on where the risk layer has since moved the stop. A position entered
   before the ``bars_needed`` window gets no partials (they fell due long ago).
"""

from __future__ import annotations

import numpy as np

from ats.domain import Regime, Side, StrategySignal
from ats.i18n.said import Said
from ats.indicators import atr, dmi
from ats.strategies.base import (
    StrategyContext,
    TradingStrategy,
    entry_index,
    open_position,
)
from ats.strategies.registry import register


@register
class Breakout4HStrategy(TradingStrategy):
    name = "breakout_4h"
    kind = "trend"
    regimes = (Regime.TREND_UP, Regime.TREND_DOWN)

    def __init__(
        self,
        timeframe: str = "4h",
        entry_period: int = 55,
        exit_period: int = 20,
        adx_period: int = 14,
        adx_min: float = 20.0,
        atr_period: int = 14,
        stop_atr: float = 2.0,
        partial_fraction: float = 0.5,
    ) -> None:
        self.timeframe = timeframe
        self._set_params(
            entry_period=entry_period,
            exit_period=exit_period,
            adx_period=adx_period,
            adx_min=adx_min,
            atr_period=atr_period,
            stop_atr=stop_atr,
            partial_fraction=partial_fraction,
        )
        if partial_fraction > 1:
            raise ValueError(f"{self.name}: partial_fraction must be in (0, 1]")
        # Wilder smoothing forgets its seed geometrically; ~8 periods make it negligible.
        self.bars_needed = max(entry_period, exit_period) + 1 + 8 * max(adx_period, atr_period)
        self._min_bars = max(entry_period, exit_period) + 1 + 2 * adx_period

    def generate(self, ctx: StrategyContext) -> list[StrategySignal]:
        bars = self.window(ctx)
        if len(bars) < self._min_bars:
            return []
        h, lo, c = bars.high, bars.low, bars.close
        a = atr(h, lo, c, self.atr_period)
        pos = open_position(ctx)
        if pos is not None:
            return self._exits(ctx, bars, a, pos)
        if not self.allows_entry_in(ctx.regime):
            return []
        pdi, mdi, adx = (v[-1] for v in dmi(h, lo, c, self.adx_period))
        if not adx >= self.adx_min:
            return []
        hi_prev = float(np.max(h[-self.entry_period - 1 : -1]))
        lo_prev = float(np.min(lo[-self.entry_period - 1 : -1]))
        close, risk = float(c[-1]), self.stop_atr * float(a[-1])
        strength = min(1.0, (adx - self.adx_min) / 25.0)
        if close > hi_prev and pdi > mdi:
            side, stop, level, word = Side.BUY, close - risk, hi_prev, "above"
        elif close < lo_prev and mdi > pdi:
            side, stop, level, word = Side.SELL, close + risk, lo_prev, "below"
        else:
            return []
        sign = side.sign
        takes = [
            {"r": r, "price": close + sign * r * risk, "qty_fraction": self.partial_fraction}
            for r in (1.0, 2.0)
        ]
        return [
            self.signal(
                ctx,
                bars,
                side,
                confidence=0.5 + 0.5 * strength,
                reason=Said(f"reason.breakout.entry_{word}", close=close,
                            period=int(self.entry_period), level=level, adx=float(adx),
                            adx_min=float(self.adx_min), pdi=float(pdi), mdi=float(mdi)),
                stop=stop,
                r=risk,
                partial_takes=takes,
                exit_channel=self.exit_period,
            )
        ]

    def _exits(self, ctx, bars, a, pos) -> list[StrategySignal]:  # type: ignore[no-untyped-def]
        h, lo, c = bars.high, bars.low, bars.close
        close, entry = float(c[-1]), pos.entry_price
        long = pos.qty > 0
        exit_side = Side.SELL if long else Side.BUY
        start = entry_index(bars, pos)
        ref = a[start - 1] if 0 < start <= len(a) and np.isfinite(a[start - 1]) else a[-1]
        risk = self.stop_atr * float(ref)
        stop = entry - risk if long else entry + risk
        if (long and close <= stop) or (not long and close >= stop):
            return [
                self.signal(
                    ctx,
                    bars,
                    exit_side,
                    confidence=1.0,
                    is_exit=True,
                    reason=Said("reason.breakout.initial_stop", close=close, stop=stop),
                )  # fmt: skip
            ]
        channel = h[-self.exit_period - 1 : -1] if not long else lo[-self.exit_period - 1 : -1]
        level = float(np.max(channel)) if not long else float(np.min(channel))
        if (long and close < level) or (not long and close > level):
            word = "below" if long else "above"
            return [
                self.signal(
                    ctx,
                    bars,
                    exit_side,
                    confidence=0.9,
                    is_exit=True,
                    reason=Said(f"reason.breakout.channel_exit_{word}", close=close,
                                period=int(self.exit_period), level=level),
                )  # fmt: skip
            ]
        out: list[StrategySignal] = []
        if start == 0:
            return out  # entered before the window: its partial takes fell due long ago
        extreme = h if long else -lo
        since = extreme[start:]
        for r in (1.0, 2.0):
            target = entry + r * risk if long else entry - r * risk
            t = target if long else -target
            if len(since) and since[-1] >= t and not np.any(since[:-1] >= t):
                out.append(
                    self.signal(
                        ctx,
                        bars,
                        exit_side,
                        confidence=0.8,
                        is_exit=True,
                        reason=Said("reason.breakout.partial_take", r=r, target=target,
                                    fraction=float(self.partial_fraction)),
                        qty_fraction=float(self.partial_fraction),
                        r_multiple=r,
                    )  # fmt: skip
                )
        return out
