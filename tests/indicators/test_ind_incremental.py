"""The incremental set gives the batch set's numbers, bar by bar (property-tested)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from ind_series import KINDS, make_series

from ats.indicators import IncrementalIndicators, IndicatorParams
from ats.indicators.incremental import FIELDS, compute_batch
from ats.indicators.streaming import StreamDonchian, StreamMeanVar, StreamRank

SMALL = IndicatorParams(
    sma_period=5, ema_period=7, atr_period=4, dmi_period=3, rsi_period=4, bb_period=6,
    bb_k=1.5, donchian_period=5, hv_period=4, vq_window=6, slope_period=5, slope_lookback=3,
)  # fmt: skip


def replay(h, lo, c, params):
    inc = IncrementalIndicators(params)
    rows = [inc.update(float(a), float(b), float(x)) for a, b, x in zip(h, lo, c, strict=True)]
    return {f: np.array([getattr(r, f) for r in rows]) for f in FIELDS}


def assert_same_sets(streamed, batch):
    for name in FIELDS:
        s, b = streamed[name], batch[name]
        np.testing.assert_array_equal(np.isnan(s), np.isnan(b), err_msg=f"{name}: NaN positions")
        np.testing.assert_allclose(s, b, rtol=1e-9, atol=1e-10, equal_nan=True, err_msg=name)


@pytest.mark.parametrize("kind", KINDS)
def test_default_set_matches_batch(kind):
    h, lo, c, _ = make_series(kind, 900)
    assert_same_sets(replay(h, lo, c, None), compute_batch(h, lo, c))


bars = st.lists(
    st.tuples(
        st.floats(-3.0, 3.0),  # close-to-close step
        st.floats(0.0, 2.0),  # high above close
        st.floats(0.0, 2.0),  # low below close
        st.booleans(),  # repeat the previous bar exactly (flat stretches)
    ),
    min_size=1,
    max_size=120,
)


Z = (0.0, 0.0, 0.0, False)


@settings(max_examples=60, deadline=None)
@given(bars)
# Found by hypothesis: a one-ulp move after a flat run (the variance is ~1e-32; the running
# sum of squares still holds ~1e-19 of rounding from larger values that left the window).
@example([Z, Z, (1.5625, 0, 0, False), (3.0, 0, 0, False), Z, Z, Z, (9.1e-15, 0, 0, False)])
@example([Z, (2.0, 0, 0, False), Z, Z, Z, Z, Z, (5.960464477539063e-08, 0, 0, False)])
def test_property_streaming_equals_batch(rows):
    close, high, low = [], [], []
    price = 100.0
    for step, up, down, repeat in rows:
        if repeat and close:
            close.append(close[-1])
            high.append(high[-1])
            low.append(low[-1])
            continue
        price = max(1.0, price + step)
        close.append(price)
        high.append(price + up)
        low.append(price - down if price - down > 0.5 else price)
    h, lo, c = (np.array(v) for v in (high, low, close))
    assert_same_sets(replay(h, lo, c, SMALL), compute_batch(h, lo, c, SMALL))


def test_update_many_warms_up_to_the_last_bar():
    h, lo, c, _ = make_series("trend", 400)
    inc = IncrementalIndicators()
    last = inc.update_many(h, lo, c)
    batch = compute_batch(h, lo, c)
    assert inc.bars == 400
    assert inc.last is last
    for name in FIELDS:
        assert math.isclose(getattr(last, name), batch[name][-1], rel_tol=1e-9, abs_tol=1e-12)
    with pytest.raises(ValueError, match="at least one bar"):
        IncrementalIndicators().update_many(h[:0], lo[:0], c[:0])


@pytest.mark.parametrize(("low", "close"), [(math.nan, 9.5), (math.inf, 9.5), (0.0, 0.0)])
def test_bad_bar_is_refused_with_its_index(low, close):
    inc = IncrementalIndicators()
    before = inc.update(10.0, 9.0, 9.5)
    with pytest.raises(ValueError, match="bar 1: high/low/close must be finite"):
        inc.update(10.0, low, close)
    assert inc.bars == 1 and inc.last is before  # the bad bar left no trace


def test_mean_var_reseeds_keep_precision_over_long_runs():
    rng = np.random.default_rng(11)
    x = 1e6 + np.cumsum(rng.normal(0, 1e-3, 5000))
    mv = StreamMeanVar(10)
    for i, v in enumerate(x):
        mean, var = mv.update(float(v))
        if i >= 9:
            w = x[i - 9 : i + 1]
            assert math.isclose(mean, float(np.mean(w)), rel_tol=1e-12)
            assert math.isclose(var, float(np.var(w)), rel_tol=1e-6, abs_tol=1e-18)


def test_donchian_and_rank_streams_evict_old_values():
    don = StreamDonchian(3)
    got = [don.update(h, lo) for h, lo in [(5, 1), (4, 2), (3, 3), (2, 2), (1, 1)]]
    assert got[1][0] != got[1][0]  # NaN while warming up
    assert got[2:] == [(5, 1), (4, 2), (3, 1)]
    rank = StreamRank(3)
    vals = [rank.update(x) for x in (1.0, math.nan, 2.0, 3.0, 4.0, 0.0, 0.0)]
    assert all(v != v for v in vals[:4])  # the NaN stays in the window for 3 updates
    assert vals[4:] == [1.0, 0.0, 0.25]
