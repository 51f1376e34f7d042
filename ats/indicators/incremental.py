"""The whole indicator set, one bar at a time (``IncrementalIndicators``), and its batch twin.

The brain sees one new closed bar per symbol and timeframe; recomputing every indicator over
the history on each bar would cost milliseconds, an update of the running state costs
microseconds. ``compute_batch`` returns the same set from whole arrays with the batch
functions, so the two forms are provably the same numbers (the tests replay random bars
through both).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from ats.indicators.channels import donchian
from ats.indicators.directional import dmi
from ats.indicators.moving import ema, ema_slope, sma
from ats.indicators.oscillators import rsi
from ats.indicators.rank import vol_quantile
from ats.indicators.streaming import (
    StreamATR,
    StreamBollinger,
    StreamDMI,
    StreamDonchian,
    StreamEMA,
    StreamEMASlope,
    StreamHistVol,
    StreamRank,
    StreamRSI,
    StreamSMA,
)
from ats.indicators.volatility import atr, bollinger, hist_volatility


@dataclass(frozen=True, slots=True)
class IndicatorParams:
    """Periods of the standard set (the regime agent's and the shipped strategies' needs)."""

    sma_period: int = 20
    ema_period: int = 50
    atr_period: int = 14
    dmi_period: int = 14
    rsi_period: int = 14
    bb_period: int = 20
    bb_k: float = 2.0
    donchian_period: int = 20
    hv_period: int = 20
    hv_annualization: float = 1.0
    vq_window: int = 100  # window of the ATR% percentile rank ("volatility quantile")
    slope_period: int = 200
    slope_lookback: int = 10


@dataclass(frozen=True, slots=True)
class IndicatorValues:
    """Every indicator of the set at one bar; NaN where still warming up.

    ``vol_quantile`` is the percentile rank of ``atr_pct`` within its last ``vq_window``
    values.
    """

    sma: float
    ema: float
    atr: float
    atr_pct: float
    plus_di: float
    minus_di: float
    adx: float
    rsi: float
    bb_upper: float
    bb_middle: float
    bb_lower: float
    donchian_upper: float
    donchian_lower: float
    hist_vol: float
    vol_quantile: float
    ema_slope: float


FIELDS: tuple[str, ...] = tuple(f.name for f in fields(IndicatorValues))


class IncrementalIndicators:
    """Updates the whole set with one bar in O(1) (O(log w) for the percentile rank)."""

    __slots__ = (
        "params", "bars", "_sma", "_ema", "_atr", "_dmi", "_rsi", "_bb", "_don", "_hv",
        "_rank", "_slope", "last",
    )  # fmt: skip

    def __init__(self, params: IndicatorParams | None = None) -> None:
        p = params or IndicatorParams()
        self.params = p
        self.bars = 0
        self._sma = StreamSMA(p.sma_period)
        self._ema = StreamEMA(p.ema_period)
        self._atr = StreamATR(p.atr_period)
        self._dmi = StreamDMI(p.dmi_period)
        self._rsi = StreamRSI(p.rsi_period)
        self._bb = StreamBollinger(p.bb_period, p.bb_k)
        self._don = StreamDonchian(p.donchian_period)
        self._hv = StreamHistVol(p.hv_period, p.hv_annualization)
        self._rank = StreamRank(p.vq_window)
        self._slope = StreamEMASlope(p.slope_period, p.slope_lookback)
        self.last: IndicatorValues | None = None

    def update(self, high: float, low: float, close: float) -> IndicatorValues:
        """Fold in one closed bar; bars must arrive oldest first, each exactly once."""
        if not (math.isfinite(high) and math.isfinite(low) and math.isfinite(close) and close > 0):
            raise ValueError(
                f"bar {self.bars}: high/low/close must be finite and the close positive, got "
                f"{high!r}/{low!r}/{close!r}; drop or repair the bar before updating"
            )
        self.bars += 1
        a = self._atr.update(high, low, close)
        atr_pct = (a / close) * 100.0
        pdi, mdi, adx = self._dmi.update(high, low, close)
        up, mid, lo = self._bb.update(close)
        dh, dl = self._don.update(high, low)
        self.last = IndicatorValues(
            sma=self._sma.update(close),
            ema=self._ema.update(close),
            atr=a,
            atr_pct=atr_pct,
            plus_di=pdi,
            minus_di=mdi,
            adx=adx,
            rsi=self._rsi.update(close),
            bb_upper=up,
            bb_middle=mid,
            bb_lower=lo,
            donchian_upper=dh,
            donchian_lower=dl,
            hist_vol=self._hv.update(close),
            vol_quantile=self._rank.update(atr_pct),
            ema_slope=self._slope.update(close),
        )
        return self.last

    def update_many(self, high: np.ndarray, low: np.ndarray, close: np.ndarray) -> IndicatorValues:
        """Warm up from history (oldest first); returns the values at the last bar."""
        if not len(close):
            raise ValueError("update_many needs at least one bar")
        out = None
        for h, lo, c in zip(high.tolist(), low.tolist(), close.tolist(), strict=True):
            out = self.update(h, lo, c)
        assert out is not None
        return out


def compute_batch(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, params: IndicatorParams | None = None
) -> dict[str, np.ndarray]:
    """The same set as ``IncrementalIndicators`` over whole arrays: name -> array."""
    p = params or IndicatorParams()
    a = atr(high, low, close, p.atr_period)
    with np.errstate(divide="ignore", invalid="ignore"):
        atr_pct = (a / close) * 100.0
    atr_pct[(np.asarray(close) == 0.0) & ~np.isnan(a)] = 0.0
    pdi, mdi, adx = dmi(high, low, close, p.dmi_period)
    up, mid, lo = bollinger(close, p.bb_period, p.bb_k)
    dh, dl = donchian(high, low, p.donchian_period)
    return {
        "sma": sma(close, p.sma_period),
        "ema": ema(close, p.ema_period),
        "atr": a,
        "atr_pct": atr_pct,
        "plus_di": pdi,
        "minus_di": mdi,
        "adx": adx,
        "rsi": rsi(close, p.rsi_period),
        "bb_upper": up,
        "bb_middle": mid,
        "bb_lower": lo,
        "donchian_upper": dh,
        "donchian_lower": dl,
        "hist_vol": hist_volatility(close, p.hv_period, p.hv_annualization),
        "vol_quantile": vol_quantile(atr_pct, p.vq_window),
        "ema_slope": ema_slope(close, p.slope_period, p.slope_lookback),
    }
