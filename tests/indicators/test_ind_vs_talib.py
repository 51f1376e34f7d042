"""Every batch indicator against TA-Lib: equal to 1e-9 relative, NaN exactly where TA-Lib's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ind_series import make_series

import ats.indicators as ind

talib = pytest.importorskip("talib")

RTOL = 1e-9


def same(ours: np.ndarray, ref: np.ndarray, atol: float = 0.0) -> None:
    assert ours.dtype == np.float64
    assert ours.shape == ref.shape
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref), err_msg="NaN positions differ")
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=atol, equal_nan=True)


@pytest.mark.parametrize("period", [2, 14, 20, 50])
def test_sma_ema(ohlc, period):
    _, _, c, _ = ohlc
    same(ind.sma(c, period), talib.SMA(c, period))
    same(ind.ema(c, period), talib.EMA(c, period))


@pytest.mark.parametrize("period", [1, 2, 14, 30])
def test_atr_and_atr_pct(ohlc, period):
    h, lo, c, _ = ohlc
    same(ind.atr(h, lo, c, period), talib.ATR(h, lo, c, period))
    if period > 1:  # TA-Lib's NATR(1) returns the raw true range, unnormalized (a quirk)
        same(ind.atr_pct(h, lo, c, period), talib.NATR(h, lo, c, period))
    else:
        same(ind.atr_pct(h, lo, c, period), talib.TRANGE(h, lo, c) / c * 100.0)
    same(ind.true_range(h, lo, c), talib.TRANGE(h, lo, c))


@pytest.mark.parametrize("period", [2, 14, 28])
def test_directional(ohlc, period):
    h, lo, c, _ = ohlc
    pdi, mdi, adx = ind.dmi(h, lo, c, period)
    same(pdi, talib.PLUS_DI(h, lo, c, period))
    same(mdi, talib.MINUS_DI(h, lo, c, period))
    same(adx, talib.ADX(h, lo, c, period))
    same(ind.plus_di(h, lo, c, period), pdi)
    same(ind.minus_di(h, lo, c, period), mdi)
    same(ind.adx(h, lo, c, period), adx)


@pytest.mark.parametrize("period", [2, 14, 21])
def test_rsi(ohlc, period):
    _, _, c, _ = ohlc
    same(ind.rsi(c, period), talib.RSI(c, period))


@pytest.mark.parametrize(("period", "k"), [(20, 2.0), (10, 1.5), (50, 3.0), (2, 2.0)])
def test_bollinger(ohlc, period, k):
    _, _, c, _ = ohlc
    ours = ind.bollinger(c, period, k)
    ref = talib.BBANDS(c, period, k, k, 0)
    for o, r in zip(ours, ref, strict=True):
        same(o, r)


@pytest.mark.parametrize("period", [1, 5, 20, 55])
def test_donchian(ohlc, period):
    h, lo, _, _ = ohlc
    upper, lower = ind.donchian(h, lo, period)
    if period == 1:  # TA-Lib refuses MAX/MIN of 1; the channel is the bar itself
        same(upper, h)
        same(lower, lo)
        return
    same(upper, talib.MAX(h, period))
    same(lower, talib.MIN(lo, period))


@pytest.mark.parametrize("period", [5, 20])
def test_hist_volatility_is_stddev_of_log_returns(ohlc, period):
    _, _, c, _ = ohlc
    logret = np.full(len(c), np.nan)
    logret[1:] = np.log(c[1:] / c[:-1])
    same(ind.log_returns(c), logret)
    same(ind.hist_volatility(c, period), talib.STDDEV(logret, period, 1.0), atol=1e-15)
    same(
        ind.hist_volatility(c, period, annualization=10.0),
        talib.STDDEV(logret, period, 10.0),
        atol=1e-14,
    )
    # On raw prices only the variance's rounding differs; sqrt amplifies it near 0.
    np.testing.assert_allclose(
        ind.stddev(c, period), talib.STDDEV(c, period, 1.0), rtol=1e-6, atol=1e-9 * np.nanmax(c)
    )


@pytest.mark.parametrize(("period", "lookback"), [(50, 10), (200, 1), (20, 5)])
def test_ema_slope(ohlc, period, lookback):
    _, _, c, _ = ohlc
    e = talib.EMA(c, period)
    ref = np.full(len(c), np.nan)
    ref[lookback:] = e[lookback:] / e[:-lookback] - 1.0
    same(ind.ema_slope(c, period, lookback), ref, atol=1e-13)


@pytest.mark.parametrize("window", [2, 20, 100])
def test_vol_quantile_matches_pandas_midrank(ohlc, window):
    h, lo, c, _ = ohlc
    x = ind.atr_pct(h, lo, c, 14)
    rank = pd.Series(x).rolling(window).rank(method="average").to_numpy()
    same(ind.vol_quantile(x, window), (rank - 1.0) / (window - 1), atol=1e-15)


def test_leading_nans_are_skipped_like_talib():
    h, lo, c, _ = make_series("walk", 400)
    c[:7] = np.nan
    h[:3] = np.nan
    same(ind.sma(c, 20), talib.SMA(c, 20))
    same(ind.ema(c, 20), talib.EMA(c, 20))
    same(ind.rsi(c, 14), talib.RSI(c, 14))
    same(ind.atr(h, lo, c, 14), talib.ATR(h, lo, c, 14))
    same(ind.adx(h, lo, c, 14), talib.ADX(h, lo, c, 14))
    for o, r in zip(ind.bollinger(c, 20, 2.0), talib.BBANDS(c, 20, 2.0, 2.0), strict=True):
        same(o, r)


@pytest.mark.parametrize("n", [0, 1, 5, 14, 15, 27, 28])
def test_short_inputs_are_all_nan_where_talib_is(n):
    h, lo, c, _ = (a[:n] for a in make_series("walk", 40))
    same(ind.atr(h, lo, c, 14), talib.ATR(h, lo, c, 14))
    same(ind.adx(h, lo, c, 14), talib.ADX(h, lo, c, 14))
    same(ind.plus_di(h, lo, c, 14), talib.PLUS_DI(h, lo, c, 14))
    same(ind.rsi(c, 14), talib.RSI(c, 14))
    same(ind.ema(c, 14), talib.EMA(c, 14))
    same(ind.sma(c, 14), talib.SMA(c, 14))


def test_constant_series_gives_talibs_zeros():
    k = np.full(80, 5.0)
    same(ind.rsi(k, 14), talib.RSI(k, 14))
    same(ind.plus_di(k, k, k, 14), talib.PLUS_DI(k, k, k, 14))
    same(ind.adx(k, k, k, 14), talib.ADX(k, k, k, 14))
    for o, r in zip(ind.bollinger(k, 20, 2.0), talib.BBANDS(k, 20, 2.0, 2.0), strict=True):
        same(o, r)
    assert np.nanmax(ind.bollinger(k, 20, 2.0)[0]) == 5.0
