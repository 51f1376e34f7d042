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
    best, pair = 0.0, None
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            rho = _pair_rho(series[a], series[b], min_samples)
            if rho is not None and rho > best:
                best, pair = rho, (a, b)
    return best, pair


def _pair_rho(x: np.ndarray, y: np.ndarray, min_samples: int) -> float | None:
    n = min(x.size, y.size)
    if n < min_samples:
        return None
    x, y = x[-n:], y[-n:]
    ok = np.isfinite(x) & np.isfinite(y)
    if int(ok.sum()) < min_samples:
        return None
    x, y = x[ok], y[ok]
    x = x - x.mean()
    y = y - y.mean()
    denom = float(np.sqrt(np.dot(x, x) * np.dot(y, y)))
    if not np.isfinite(denom) or denom <= 1e-300:
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
