"""Moving averages: SMA, EMA and the EMA slope the regime agent reads."""

from __future__ import annotations

from ats.indicators._core import FloatArray, as_f64, check_period, first_valid
from ats.indicators._kernels import ema_kernel, sma_kernel


def sma(x: FloatArray, period: int) -> FloatArray:
    """Simple moving average (TA-Lib ``SMA``): first value at bar ``period-1``.

    TA-Lib's running total (add the new value, read, subtract the oldest), so the numbers
    are TA-Lib's bit for bit, and the same as the incremental ``StreamSMA``.
    """
    x = as_f64(x, "x")
    period = check_period(period)
    return sma_kernel(x, first_valid(x), period)


def ema(x: FloatArray, period: int) -> FloatArray:
    """Exponential moving average (TA-Lib ``EMA``, default compatibility).

    ``k = 2/(period+1)``; the first value, at bar ``period-1``, is the SMA of the first
    ``period`` values (TA-Lib's seed), then ``ema = ema_prev + k*(x - ema_prev)``.
    """
    x = as_f64(x, "x")
    period = check_period(period)
    return ema_kernel(x, first_valid(x), period, 0)


def ema_slope(close: FloatArray, period: int = 200, lookback: int = 10) -> FloatArray:
    """Relative change of the EMA over ``lookback`` bars: ``ema[t] / ema[t-lookback] - 1``.

    A dimensionless trend measure (0.01 = the EMA rose 1 % over the lookback), comparable
    across instruments of any price level. First value at bar ``period-1+lookback``.
    """
    lookback = check_period(lookback, "lookback", minimum=1)
    x = as_f64(close, "close")
    period = check_period(period)
    return ema_kernel(x, first_valid(x), period, lookback)
