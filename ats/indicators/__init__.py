"""Technical indicators: numpy float64 in, numpy float64 out, NaN while warming up.

Definitions, seeding and warm-up follow TA-Lib with its default settings (no unstable
period), and the tests hold every function to TA-Lib within 1e-9 relative. Leading NaNs in
the input are skipped, as TA-Lib's Python wrapper does; a NaN after the first valid bar
poisons what follows, so clean bars before computing. ``IncrementalIndicators`` gives the
same numbers one bar at a time.
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
