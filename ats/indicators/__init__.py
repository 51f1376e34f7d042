"""Technical indicators: numpy float64 in, numpy float64 out, NaN while warming up.

Definitions, seeding and warm-up follow TA-Lib with its default settings (no unstable
period), and the tests hold every function to TA-Lib within 1e-9 relative (most are
bit-identical). The arithmetic runs in numba kernels compiled on first use and cached on
disk (``_jit``). Leading NaNs in the input are skipped, as TA-Lib's Python wrapper does.
A NaN after the first valid bar is not: it enters the arithmetic as in TA-Lib's loops, so
a recursive indicator (EMA, ATR, DMI, RSI) is NaN from there on (a true range compares
with the previous close, so a NaN close alone does not reach DMI); the windowed ones (SMA,
Bollinger middle, Donchian, rank) are NaN while it is in their window, the deviations
(Bollinger bands, STDDEV) until TA-Lib's variance re-anchors (at most ``32 * period`` bars
later). Clean bars before computing. ``IncrementalIndicators`` gives the same numbers one
bar at a time.
"""

from ats.indicators.channels import donchian
from ats.indicators.directional import adx, dmi, minus_di, plus_di
from ats.indicators.incremental import IncrementalIndicators, IndicatorParams, IndicatorValues
from ats.indicators.moving import ema, ema_slope, sma
from ats.indicators.oscillators import rsi
from ats.indicators.rank import vol_quantile
from ats.indicators.volatility import (
    atr,
    atr_pct,
    bollinger,
    hist_volatility,
    log_returns,
    stddev,
    true_range,
)

__all__ = [
    "IncrementalIndicators",
    "IndicatorParams",
    "IndicatorValues",
    "adx",
    "atr",
    "atr_pct",
    "bollinger",
    "dmi",
    "donchian",
    "ema",
    "ema_slope",
    "hist_volatility",
    "log_returns",
    "minus_di",
    "plus_di",
    "rsi",
    "sma",
    "stddev",
    "true_range",
    "vol_quantile",
]
