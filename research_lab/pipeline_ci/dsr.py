"""Deflated Sharpe ratio (Bailey & López de Prado, 2014).

Trying many candidates and keeping the best inflates its Sharpe ratio: among N strategies with
no skill, the best in-sample Sharpe grows like sqrt(2 ln N). The DSR is the probability that
the true Sharpe exceeds the Sharpe expected from the best of N unskilled trials, correcting
for the sample length and the non-normality (skew, kurtosis) of returns.

All Sharpe ratios here are per bar (not annualized), as in the paper.
"""

from __future__ import annotations

import math
from statistics import NormalDist

EULER_GAMMA = 0.5772156649015329
_N = NormalDist()


def expected_max_sharpe(n_trials: int, sharpe_variance: float) -> float:
    """E[max SR] of ``n_trials`` unskilled strategies whose Sharpe variance is given."""
    if n_trials <= 1 or sharpe_variance <= 0:
        return 0.0
    a = _N.inv_cdf(1.0 - 1.0 / n_trials)
    b = _N.inv_cdf(1.0 - 1.0 / (n_trials * math.e))
    return math.sqrt(sharpe_variance) * ((1.0 - EULER_GAMMA) * a + EULER_GAMMA * b)


def probabilistic_sharpe(sr: float, sr_benchmark: float, n_obs: int, skew: float = 0.0,
                         kurtosis: float = 3.0) -> float:
    """P(true SR > benchmark) given an observed per-bar ``sr`` over ``n_obs`` returns."""
    if n_obs < 2:
        return 0.0
    denom = 1.0 - skew * sr + (kurtosis - 1.0) / 4.0 * sr * sr
    if denom <= 0:
        denom = 1e-12
    z = (sr - sr_benchmark) * math.sqrt(n_obs - 1) / math.sqrt(denom)
    return _N.cdf(z)


def deflated_sharpe(sr: float, n_obs: int, n_trials: int, sharpe_variance: float,
                    skew: float = 0.0, kurtosis: float = 3.0) -> float:
    """DSR: the probabilistic Sharpe against the expected best of ``n_trials`` null trials.

    ``sharpe_variance`` is the variance of the per-bar Sharpe ratios across the trials; when
    only one trial exists, the variance of the Sharpe estimator itself (1/n_obs) stands in.
    """
    var = sharpe_variance if sharpe_variance > 0 else 1.0 / max(n_obs, 2)
    sr0 = expected_max_sharpe(n_trials, var)
    return probabilistic_sharpe(sr, sr0, n_obs, skew, kurtosis)
