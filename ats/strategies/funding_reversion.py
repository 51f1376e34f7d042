"""Funding reversion on perpetual swaps: fade a crowded side when funding is extreme.

When the latest funding rate is ``entry_z`` standard deviations above its recent history
(``lookback`` observations before it) and the perp trades at a premium to the index
(``basis >= basis_min``), longs are paying heavily to stay long: go short and wait for the
crowd to unwind. The mirror (deeply negative funding, perp at a discount) goes long.
Without a basis reading the z-score alone decides, at a lower confidence.

Exit when the funding z-score has reverted to within ``exit_z`` of normal (on the
position's side). Stop hint: ``stop_atr`` x ATR.

Silent — no signal, the reason logged at INFO — on instruments without funding (not a
perpetual), without a funding history, or with too little of it.
"""

from __future__ import annotations

import logging

import numpy as np

from ats.domain import Regime, Side, StrategySignal
from ats.i18n.said import Said
from ats.indicators import atr
from ats.strategies.base import StrategyContext, TradingStrategy, open_position
from ats.strategies.registry import register

logger = logging.getLogger(__name__)


@register
class FundingReversionStrategy(TradingStrategy):
    name = "funding_reversion"
    kind = "mean_reversion"
    regimes = (Regime.TREND_UP, Regime.TREND_DOWN, Regime.RANGE_LOWVOL, Regime.RANGE_HIGHVOL)

    def __init__(
        self,
        timeframe: str = "1h",
        lookback: int = 90,
        min_history: int = 30,
        entry_z: float = 2.0,
        exit_z: float = 0.5,
        basis_min: float = 0.0005,
        atr_period: int = 14,
        stop_atr: float = 3.0,
    ) -> None:
        self.timeframe = timeframe
        self._set_params(
            lookback=lookback,
            min_history=min_history,
            entry_z=entry_z,
            exit_z=exit_z,
            basis_min=basis_min,
            atr_period=atr_period,
            stop_atr=stop_atr,
        )
        if exit_z >= entry_z:
            raise ValueError(f"{self.name}: exit_z must be below entry_z")
        if min_history < 3:
            raise ValueError(f"{self.name}: min_history must be >= 3")
        self.bars_needed = 8 * atr_period
        self._min_bars = atr_period + 1

    def _silent(self, ctx: StrategyContext, why: str) -> list[StrategySignal]:
        logger.info("%s on %s: no signal, %s", self.name, ctx.symbol, why)
        return []

    def zscore(self, funding: np.ndarray) -> float | None:
        """z of the latest rate against the ``lookback`` rates before it (None: flat history)."""
        hist = funding[-self.lookback - 1 : -1]
        if np.ptp(hist) == 0.0:  # np.std of equal values may be a rounding residue, not 0
            return None
        sd = float(np.std(hist))
        return float((funding[-1] - np.mean(hist)) / sd)

    def generate(self, ctx: StrategyContext) -> list[StrategySignal]:
        if ctx.instrument is not None and not ctx.instrument.has_funding:
            return self._silent(ctx, f"{ctx.instrument.symbol} is not a perpetual (no funding)")
        if ctx.funding_rates is None:
            return self._silent(ctx, "no funding-rate history in the context")
        funding = np.asarray(ctx.funding_rates, dtype=np.float64)
        funding = funding[~np.isnan(funding)]
        if len(funding) < self.min_history + 1:
            return self._silent(ctx, f"{len(funding)} funding rates, need {self.min_history + 1}")
        bars = self.window(ctx)
        if len(bars) < self._min_bars:
            return []
        z = self.zscore(funding)
        if z is None:
            return self._silent(ctx, "funding history is flat (zero deviation)")
        rate = float(funding[-1])
        pos = open_position(ctx)
        if pos is not None:
            long = pos.qty > 0
            if (long and z >= -self.exit_z) or (not long and z <= self.exit_z):
                return [
                    self.signal(
                        ctx,
                        bars,
                        Side.SELL if long else Side.BUY,
                        confidence=0.8,
                        is_exit=True,
                        funding_z=z,
                        reason=Said("reason.funding.exit", z=z, exit_z=float(self.exit_z),
                                    rate=rate),
                    )  # fmt: skip
                ]
            return []
        if not self.allows_entry_in(ctx.regime) or abs(z) < self.entry_z:
            return []
        side = Side.SELL if z > 0 else Side.BUY
        basis = ctx.basis
        if basis is not None and -side.sign * basis < self.basis_min:
            return []  # the perp's premium/discount does not confirm the crowding
        confirm = 1.0 if basis is not None else 0.7
        c = bars.close
        risk = self.stop_atr * float(atr(bars.high, bars.low, c, self.atr_period)[-1])
        close = float(c[-1])
        basis_txt = Said("reason.funding.basis", basis=float(basis)) if basis is not None \
            else Said("reason.funding.basis_unknown")
        return [
            self.signal(
                ctx,
                bars,
                side,
                confidence=confirm * min(1.0, abs(z) / (2.0 * self.entry_z)),
                reason=Said(f"reason.funding.entry_fade_{'longs' if z > 0 else 'shorts'}",
                            rate=rate, z=z, lookback=int(self.lookback), basis=basis_txt,
                            close=close),
                stop=close - side.sign * risk,
                funding_z=z,
                basis=basis,
            )
        ]
