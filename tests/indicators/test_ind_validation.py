"""Bad inputs get errors that name the argument; kernels agree with brute force."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import ats.indicators as ind
from ats.indicators._core import rolling_mean_var, window_max, window_min, window_sums


@pytest.mark.parametrize("period", [0, 1, -3, 2.5, True])
def test_bad_period_is_named(period):
    with pytest.raises(ValueError, match="period must be an integer >= 2"):
        ind.sma(np.arange(30.0), period)


def test_bad_lookback_and_window_are_named():
    with pytest.raises(ValueError, match="lookback must be an integer >= 1"):
        ind.ema_slope(np.arange(30.0), 5, 0)
    with pytest.raises(ValueError, match="window must be an integer >= 2"):
        ind.vol_quantile(np.arange(30.0), 1)


def test_misaligned_columns_are_refused():
    with pytest.raises(ValueError, match="low has 9 values but high has 10"):
        ind.atr(np.ones(10), np.ones(9), np.ones(10))
    with pytest.raises(ValueError, match="low has 9 values but high has 10"):
        ind.donchian(np.ones(10), np.ones(9), 3)


def test_two_dimensional_input_is_refused():
    with pytest.raises(ValueError, match="x must be a 1-D array"):
        ind.sma(np.ones((3, 3)), 2)


def test_lists_are_accepted_and_float64_returned():
    out = ind.sma([1, 2, 3, 4], 2)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [np.nan, 1.5, 2.5, 3.5])


def test_all_nan_input_gives_all_nan():
    x = np.full(50, np.nan)
    assert np.isnan(ind.ema(x, 5)).all()
    assert np.isnan(ind.bollinger(x, 5)[1]).all()
    assert np.isnan(ind.vol_quantile(x, 5)).all()


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=80),
    st.integers(1, 80),
)
def test_window_kernels_equal_brute_force(values, period):
    x = np.array(values)
    if period > len(x):
        period = len(x)
    sums = np.array([x[i - period + 1 : i + 1].sum() for i in range(period - 1, len(x))])
    maxs = np.array([x[i - period + 1 : i + 1].max() for i in range(period - 1, len(x))])
    mins = np.array([x[i - period + 1 : i + 1].min() for i in range(period - 1, len(x))])
    np.testing.assert_allclose(window_sums(x, period), sums, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(window_max(x, period), maxs)
    np.testing.assert_array_equal(window_min(x, period), mins)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(1.0, 1e4), min_size=2, max_size=300),
    st.integers(2, 40),
)
@example([4683.0, 1.0, 1.1, 1.0, 1.0, 1.0, 1.0, 1.0], 2)  # an outlier leaves a narrow window
def test_rolling_variance_is_exact_enough_and_zero_when_flat(values, period):
    x = np.array(values)
    x[len(x) // 3 : len(x) // 2] = x[len(x) // 3]  # a flat stretch
    period = min(period, len(x))
    mean, var = rolling_mean_var(x, period)
    spread2 = float(np.ptp(x)) ** 2  # deviations are measured within rows of the series
    for j, end in enumerate(range(period - 1, len(x))):
        w = x[end - period + 1 : end + 1]
        exact = np.var(w.astype(np.longdouble))
        assert abs(mean[j] - w.mean()) <= 1e-12 * abs(w.mean())
        assert abs(var[j] - float(exact)) <= 1e-10 * float(exact) + 1e-14 * spread2
        if np.all(w == w[0]):
            assert var[j] == 0.0


def _all_outputs(h, lo, c, v):
    out = {
        "sma": ind.sma(c, 20),
        "ema": ind.ema(c, 20),
        "atr": ind.atr(h, lo, c),
        "atr_pct": ind.atr_pct(h, lo, c),
        "rsi": ind.rsi(c),
        "hist_vol": ind.hist_volatility(c, 20),
        "slope": ind.ema_slope(c, 50, 5),
        "vq": ind.vol_quantile(v, 30),
    }
    out.update(zip(("pdi", "mdi", "adx"), ind.dmi(h, lo, c), strict=True))
    out.update(zip(("bbu", "bbm", "bbl"), ind.bollinger(c), strict=True))
    out.update(zip(("dcu", "dcl"), ind.donchian(h, lo, 20), strict=True))
    return out


@pytest.mark.parametrize("k", [60, 333, 512, 700])
def test_no_indicator_looks_ahead(k):
    """The value at bar t is the same whether or not bars after t exist (or what they are)."""
    from ind_series import make_series

    h, lo, c, v = make_series("flat", 1200, seed=3)
    full = _all_outputs(h, lo, c, v)
    prefix = _all_outputs(h[:k], lo[:k], c[:k], v[:k])
    for name, arr in prefix.items():
        np.testing.assert_allclose(arr, full[name][:k], rtol=1e-12, atol=1e-14, err_msg=name)
