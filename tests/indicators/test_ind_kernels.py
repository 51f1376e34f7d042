"""The compiled kernels: long inputs (many blocks), NaN inside windows, one compiled signature
per kernel whatever array the caller passes, and the on-disk cache (or its absence)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from ind_series import make_series
from numba.core import caching

import ats.indicators as ind
from ats.indicators import _kernels, _window_kernels
from ats.indicators._jit import kernel

talib = pytest.importorskip("talib")


@pytest.mark.parametrize("period", [3, 20, 55])
def test_long_series_cross_many_blocks(period):
    """7000 bars: the window sums run in 2048-bar blocks and the channel in ``period``-bar
    blocks, so every block boundary case is crossed."""
    h, lo, c, _ = make_series("gappy", 7000, seed=5)
    np.testing.assert_allclose(ind.sma(c, period), talib.SMA(c, period), rtol=1e-12)
    for ours, ref in zip(ind.bollinger(c, period, 2.0), talib.BBANDS(c, period, 2.0, 2.0, 0),
                         strict=True):  # fmt: skip
        np.testing.assert_allclose(ours, ref, rtol=1e-12)
    upper, lower = ind.donchian(h, lo, period)
    np.testing.assert_array_equal(upper, talib.MAX(h, period))
    np.testing.assert_array_equal(lower, talib.MIN(lo, period))
    np.testing.assert_array_equal(ind.stddev(c, period), talib.STDDEV(c, period, 1.0))


def test_sma_depends_on_its_window_only():
    """A strategy slices a tail of the history: its SMA / middle band must equal the full
    series' value at the same bar, to the bit."""
    _, _, c, _ = make_series("walk", 5000, seed=9)
    tail = c[-137:]
    assert ind.sma(tail, 20)[-1] == ind.sma(c, 20)[-1]
    assert ind.bollinger(tail, 20, 2.0)[1][-1] == ind.bollinger(c, 20, 2.0)[1][-1]


def test_a_nan_inside_a_window_gives_nan_for_that_window_only():
    h, lo, _, _ = make_series("walk", 300)
    h[100] = np.nan
    lo[200] = np.nan
    upper, lower = ind.donchian(h, lo, 10)
    brute_hi = np.array([np.max(h[i - 9 : i + 1]) for i in range(9, 300)])
    brute_lo = np.array([np.min(lo[i - 9 : i + 1]) for i in range(9, 300)])
    np.testing.assert_array_equal(upper[9:], brute_hi)  # NaN exactly over bars 100..109
    np.testing.assert_array_equal(lower[9:], brute_lo)
    assert np.isnan(upper[100:110]).all() and not np.isnan(upper[110:]).any()
    rank = ind.vol_quantile(h, 10)
    assert np.isnan(rank[100:110]).all() and not np.isnan(rank[110:]).any()


def test_stddev_scale_and_hist_volatility_annualization_are_talibs_nbdev():
    _, _, c, _ = make_series("trend", 800)
    np.testing.assert_array_equal(ind.stddev(c, 14, 2.5), talib.STDDEV(c, 14, 2.5))
    logret = np.log(c[1:] / c[:-1])
    np.testing.assert_allclose(ind.hist_volatility(c, 14, 7.0)[1:], talib.STDDEV(logret, 14, 7.0),
                               rtol=1e-12, atol=1e-15)  # fmt: skip


def test_any_array_kind_runs_the_one_compiled_signature():
    """Writable, read-only, strided, float32 and list inputs all reach the kernels as the
    same type, so nothing is compiled twice (a second compile costs ~0.2 s of start-up)."""
    h, lo, c, _ = make_series("walk", 400)
    frozen = c.copy()
    frozen.flags.writeable = False
    strided = np.repeat(c, 2)[::2]
    variants = [c, frozen, strided, c.tolist()]
    results = [ind.sma(v, 14) for v in variants] + [ind.rsi(v, 14) for v in variants]
    ind.sma(c.astype(np.float32), 14)
    for got in results[:4]:
        np.testing.assert_array_equal(got, results[0])
    for got in results[4:]:
        np.testing.assert_array_equal(got, results[4])
    ind.bollinger(frozen)
    ind.donchian(strided, strided, 5)
    for k in (_kernels.sma_kernel, _kernels.rsi_kernel, _window_kernels.variance_kernel,
              _window_kernels.extreme_into):  # fmt: skip
        assert len(k.signatures) == 1, k.signatures


def test_kernel_compiles_in_memory_when_no_cache_dir_is_usable(monkeypatch):
    """Numba refuses ``cache=True`` outright when it finds no writable cache location (a
    read-only install without a home directory); the kernel must still work."""
    monkeypatch.setattr(caching.CacheImpl, "_locator_classes", [])

    def double(x: float) -> float:
        return 2.0 * x

    compiled = kernel(double)
    assert compiled(1.25) == 2.5
    assert isinstance(compiled._cache, caching.NullCache)


_PROBE = textwrap.dedent(
    """
    import numpy as np
    import ats.indicators as ind
    from ats.indicators._kernels import sma_kernel
    out = ind.sma(np.arange(50.0), 5)
    assert out[4] == 2.0 and out[-1] == 47.0
    print(sum(sma_kernel.stats.cache_hits.values()), sum(sma_kernel.stats.cache_misses.values()))
    """
)


def test_compiled_code_is_cached_on_disk_and_reused(tmp_path: Path):
    """The first process compiles and writes ``NUMBA_CACHE_DIR``; the next loads it."""
    env = {"NUMBA_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}

    def run() -> tuple[int, int]:
        proc = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True,
                              text=True, check=True, timeout=120)  # fmt: skip
        hits, misses = proc.stdout.split()
        return int(hits), int(misses)

    assert run() == (0, 1)  # compiled
    assert any(tmp_path.rglob("*.nbi"))
    assert run() == (1, 0)  # loaded from the cache


def test_a_nan_after_the_first_bar_follows_the_documented_rules():
    h, lo, c, _ = make_series("walk", 1200)
    c[500] = np.nan
    h[600] = np.nan
    # Recursions stay NaN from the bad bar on, as TA-Lib's do.
    np.testing.assert_array_equal(ind.ema(c, 20), talib.EMA(c, 20))
    np.testing.assert_allclose(ind.atr(h, lo, c), talib.ATR(h, lo, c), rtol=1e-12)
    assert np.isnan(ind.rsi(c)[501:]).all() and np.isnan(ind.adx(h, lo, c)[600:]).all()
    # Windows: NaN only while the bad bar is inside.
    s = ind.sma(c, 20)
    assert np.isnan(s[500:520]).all() and not np.isnan(s[520:]).any()
    # Deviations: TA-Lib's variance re-anchors within 32 windows.
    np.testing.assert_array_equal(ind.stddev(c, 20), talib.STDDEV(c, 20, 1.0))
    assert not np.isnan(ind.bollinger(c, 20)[0][500 + 32 * 20 :]).any()


def _kernel_cases(h: np.ndarray, lo: np.ndarray, c: np.ndarray) -> list[tuple[object, tuple]]:
    n = len(c)
    out = [np.empty(n) for _ in range(3)]
    mid = _kernels.sma_kernel(c, 0, 6)
    return [
        (_kernels.nan_head, (out[0], 5)),
        (_kernels.window_sum_into, (c, 3, 7, out[0], True)),
        (_kernels.window_sum_into, (c, 0, 4, out[1], False)),
        (_kernels.sma_kernel, (c, 3, 7)),
        (_kernels.ema_kernel, (c, 2, 9, 0)),
        (_kernels.ema_kernel, (c, 0, 5, 4)),
        (_kernels.true_range_kernel, (h, lo, c, 1)),
        (_kernels.atr_kernel, (h, lo, c, 0, 6, False)),
        (_kernels.atr_kernel, (h, lo, c, 2, 1, True)),
        (_kernels.atr_kernel, (h, lo, c, 0, 14, True)),
        (_kernels.dmi_kernel, (h, lo, c, 1, 5, True, True, True)),
        (_kernels.dmi_kernel, (h, lo, c, 0, 4, True, False, False)),
        (_kernels.rsi_kernel, (c, 0, 6)),
        (_window_kernels.rank_kernel, (c, 9)),
        (_window_kernels.extreme_into, (h, 2, 6, out[0], 1.0)),
        (_window_kernels.extreme_into, (lo, 0, 5, out[0], -1.0)),
        (
            _window_kernels.variance_kernel,
            (c, 0, 8, _window_kernels.VARIANCE, 1.0, out[0], out[1], out[2]),
        ),
        (
            _window_kernels.variance_kernel,
            (c, 1, 3, _window_kernels.STDDEV, 2.0, out[0], out[1], out[2]),
        ),
        (
            _window_kernels.variance_kernel,
            (c, 0, 6, _window_kernels.BANDS, 1.5, mid, out[1], out[2]),
        ),
    ]


def test_true_range_step_equals_its_python_source():
    for bar in [(10.0, 9.0, 9.5), (10.0, 9.0, 12.0), (10.0, 9.0, 7.0), (10.0, 9.0, np.nan)]:
        assert _kernels.true_range_at(*bar) == _kernels.true_range_at.py_func(*bar)
    assert _kernels.true_range_at(10.0, 9.0, np.nan) == 1.0  # TA-Lib compares, never max()


@pytest.mark.parametrize("kind", ["flat", "gappy"])
def test_compiled_kernels_equal_their_python_source(kind):
    """Every kernel's uncompiled source (``py_func``, plain Python floats) gives the compiled
    numbers bit for bit: the compiler neither reassociates nor fuses behind our back."""
    h, lo, c, _ = make_series(kind, 160, seed=2)
    c = c.copy()
    c[40:60] = c[40]  # flat windows (variance exactly 0, reseeds)
    c[150] = np.nan  # a NaN inside the windows
    for fn, args in _kernel_cases(h, lo, c):
        compiled = fn(*args)
        compiled_outs = [a.copy() for a in args if isinstance(a, np.ndarray)]
        python = fn.py_func(*args)
        python_outs = [a.copy() for a in args if isinstance(a, np.ndarray)]
        if compiled is None:  # writes into its arguments
            for a, b in zip(compiled_outs, python_outs, strict=True):
                np.testing.assert_array_equal(a, b, err_msg=fn.__name__)
            continue
        pairs = (
            zip(compiled, python, strict=True)
            if isinstance(compiled, tuple)
            else [(compiled, python)]
        )
        for a, b in pairs:
            np.testing.assert_array_equal(a, b, err_msg=fn.__name__)
