"""The windowed statistics against brute force: trailing peak and max |rho|."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ats.portfolio import DailyBaseline, TrailingPeak, max_abs_correlation, safe_mode_cap

PROPS = settings(max_examples=150, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow])
W, RES = 10_000, 1_000


@PROPS
@given(st.lists(st.tuples(st.integers(0, 3_000), st.floats(1.0, 1e6)), min_size=1,
                max_size=200))
def test_trailing_peak_matches_brute_force_within_one_resolution_step(
    steps: list[tuple[int, float]],
) -> None:
    peak = TrailingPeak(W, RES)
    seen: list[tuple[int, float]] = []
    now = 0
    for dt, eq in steps:
        now += dt
        peak.push(now, eq)
        seen.append((now, eq))
        upper = max(e for t, e in seen if t >= now - W)
        lower = max(e for t, e in seen if t >= now - W + RES)
        assert peak.peak is not None and lower <= peak.peak <= upper
        assert peak.drawdown(eq) <= 0.0
    assert len(peak.history()) <= W // RES + 2


def test_trailing_peak_clamps_time_going_backwards_and_restores() -> None:
    peak = TrailingPeak(W, RES)
    peak.push(50_000, 100.0)
    peak.push(40_000, 90.0)  # clock hiccup: treated as 50 000, not as old history
    assert peak.peak == 100.0
    copy = TrailingPeak(W, RES)
    copy.restore(peak.history())
    assert copy.peak == 100.0 and copy.drawdown(90.0) == pytest.approx(-0.1)
    assert TrailingPeak(W).drawdown(5.0) == 0.0
    with pytest.raises(ValueError):
        TrailingPeak(0)


def test_daily_baseline_rolls_only_forward() -> None:
    day = 86_400_000
    d = DailyBaseline(100.0)
    assert not d.roll(5, 100.0)  # first timestamp only fixes the day
    assert not d.roll(day - 1, 103.0)
    assert d.roll(day + 1, 104.0) and d.start_equity == 104.0
    assert not d.roll(day + 2, 110.0)  # same day
    assert d.pnl_pct(114.4) == pytest.approx(0.1)


def _brute(returns: dict[str, np.ndarray], window: int) -> float:
    best = 0.0
    for a, b in itertools.combinations(sorted(returns), 2):
        x, y = returns[a][-window:], returns[b][-window:]
        n = min(x.size, y.size)
        x, y = x[-n:], y[-n:]
        ok = np.isfinite(x) & np.isfinite(y)
        if ok.sum() < 10 or np.ptp(x[ok]) == 0 or np.ptp(y[ok]) == 0:
            continue
        best = max(best, abs(float(np.corrcoef(x[ok], y[ok])[0, 1])))
    return best


@PROPS
@given(seed=st.integers(0, 10_000), n_sym=st.integers(1, 6), length=st.integers(5, 150),
       mix=st.floats(0.0, 1.0), ragged=st.booleans(), gaps=st.booleans(),
       flat=st.booleans())
def test_max_abs_correlation_matches_numpy(seed: int, n_sym: int, length: int, mix: float,
                                           ragged: bool, gaps: bool, flat: bool) -> None:
    rng = np.random.default_rng(seed)
    common = rng.normal(size=length)
    returns = {}
    for i in range(n_sym):
        size = max(3, length - (i * 7 if ragged else 0))
        r = mix * common[-size:] + (1 - mix) * rng.normal(size=size)
        if gaps and i == 0:
            r[:: 5] = np.nan
        if flat and i == n_sym - 1:
            r = np.full(size, 0.01 * (i + 1))  # mean rounding leaves ~1e-18 residuals
        returns[f"S{i}"] = r
    rho, pair = max_abs_correlation(returns, 100)
    assert rho == pytest.approx(_brute(returns, 100), abs=1e-9)
    assert 0.0 <= rho <= 1.0
    assert (pair is None) == (rho == 0.0)


def test_constant_series_has_no_correlation_in_either_path() -> None:
    rng = np.random.default_rng(3)
    flat = np.full(100, 0.07)
    assert max_abs_correlation({"A": flat, "B": rng.normal(size=100)}, 100) == (0.0, None)
    ragged = {"A": flat, "B": rng.normal(size=90)}
    assert max_abs_correlation(ragged, 100) == (0.0, None)


def test_negative_correlation_counts_too() -> None:
    a = np.sin(np.arange(100.0))
    rho, pair = max_abs_correlation({"A": a, "B": -a}, 100)
    assert rho == pytest.approx(1.0) and pair == ("A", "B")
    assert safe_mode_cap(0.03, rho, 0.65, "reduce") == pytest.approx(0.0075)
    assert safe_mode_cap(0.03, 0.65, 0.65, "reduce") == pytest.approx(0.015)
    assert safe_mode_cap(0.03, 0.64, 0.65, "block") == 0.03
    assert safe_mode_cap(0.03, float("nan"), 0.65, "reduce") == 0.03
