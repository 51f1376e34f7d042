"""Correlation safe mode: when symbols move together, their stops are one bet, not several.

Three positions each risking 1 % in three coins that move as one are a single 3 % bet.
The portfolio cap assumes diversification, so when the largest pairwise |rho| of recent
returns crosses the governance threshold the cap is cut (``reduce``) or new risk is refused
(``block``).

Safe-mode cap formula (``reduce``), with ``t`` the threshold and ``rho`` the max |rho|::

    progress = (rho - t) / (1 - t)              # 0 at the threshold, 1 at perfect correlation
    factor   = 0.5 - 0.25 * progress            # 0.5 .. 0.25
    cap      = max_portfolio_risk * factor

The step to one half at the threshold makes safe mode bite as soon as it is on (a formula
starting at 1.0 would flag safe mode yet change nothing at rho = t); the floor of one quarter
keeps a perfectly correlated book able to hold one or two small trades instead of freezing.
The factor never rises with rho and never exceeds 1, so safe mode can only lower the cap.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np

FACTOR_AT_THRESHOLD = 0.5
FACTOR_AT_ONE = 0.25
MIN_SAMPLES = 10
_FLAT = 1e-12  # a series whose spread is below this share of its size counts as constant


def max_abs_correlation(
    returns: Mapping[str, np.ndarray],
    window: int,
    min_samples: int = MIN_SAMPLES,
) -> tuple[float, tuple[str, str] | None]:
    """Largest |Pearson rho| over symbol pairs, on their last ``window`` aligned returns.

    Series are aligned at their END (the latest bar is the same bar for every symbol), the
    shorter one sets the overlap, and bars where either value is NaN/inf are dropped. A pair
    with fewer than ``min_samples`` usable bars or a constant series has no correlation and
    is skipped rather than guessed. Returns (rho, pair) or (0.0, None).
    """
    series = {s: np.asarray(r, dtype=float).ravel()[-window:] for s, r in returns.items()}
    names = sorted(series)
    fast = _matrix_rho(names, series, min_samples)
    if fast is not None:
        return fast
    best, pair = 0.0, None
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            rho = _pair_rho(series[a], series[b], min_samples)
            if rho is not None and rho > best:
                best, pair = rho, (a, b)
    return best, pair


def _matrix_rho(
    names: list[str], series: dict[str, np.ndarray], min_samples: int
) -> tuple[float, tuple[str, str] | None] | None:
    """All pairs at once when every series has the same length and no gaps (the usual
    case: closed bars of one timeframe); None to fall back to the pair-by-pair path."""
    if len(names) < 2:
        return 0.0, None
    sizes = {series[n].size for n in names}
    if len(sizes) != 1 or sizes.pop() < min_samples:
        return None
    m = np.vstack([series[n] for n in names])
    if not np.isfinite(m).all():
        return None
    scale = np.abs(m).max(axis=1) * np.sqrt(m.shape[1])
    m = m - m.mean(axis=1, keepdims=True)
    norms = np.sqrt(np.einsum("ij,ij->i", m, m))
    live = norms > np.maximum(_FLAT * scale, 1e-300)
    c = np.abs(m @ m.T)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = c / np.outer(norms, norms)
    c[~live, :] = 0.0
    c[:, ~live] = 0.0
    np.fill_diagonal(c, 0.0)
    c = np.nan_to_num(np.minimum(c, 1.0), nan=0.0)
    i, j = np.unravel_index(int(np.argmax(c)), c.shape)
    best = float(c[i, j])
    if best <= 0.0:
        return 0.0, None
    a, b = sorted((names[int(i)], names[int(j)]))
    return best, (a, b)


def _pair_rho(x: np.ndarray, y: np.ndarray, min_samples: int) -> float | None:
    n = min(x.size, y.size)
    if n < min_samples:
        return None
    x, y = x[-n:], y[-n:]
    ok = np.isfinite(x) & np.isfinite(y)
    if int(ok.sum()) < min_samples:
        return None
    x, y = x[ok], y[ok]
    sx, sy = float(np.abs(x).max()) * np.sqrt(x.size), float(np.abs(y).max()) * np.sqrt(y.size)
    x = x - x.mean()
    y = y - y.mean()
    nx, ny = float(np.sqrt(np.dot(x, x))), float(np.sqrt(np.dot(y, y)))
    if nx <= max(_FLAT * sx, 1e-300) or ny <= max(_FLAT * sy, 1e-300):
        return None  # a constant series (the mean's rounding noise is not a signal)
    denom = nx * ny
    if not np.isfinite(denom):
        return None
    rho = abs(float(np.dot(x, y)) / denom)
    return min(1.0, rho) if np.isfinite(rho) else None


def safe_mode_cap(
    base_cap: float,
    rho: float,
    threshold: float,
    action: Literal["reduce", "block"],
) -> float:
    """The portfolio risk cap under correlation ``rho`` (see the module docstring)."""
    if not np.isfinite(rho) or rho < threshold:
        return base_cap
    if action == "block":
        return 0.0
    span = 1.0 - threshold
    progress = 1.0 if span <= 0 else min(1.0, max(0.0, (rho - threshold) / span))
    factor = FACTOR_AT_THRESHOLD - (FACTOR_AT_THRESHOLD - FACTOR_AT_ONE) * progress
    return base_cap * factor
