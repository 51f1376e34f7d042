"""Funding and basis on the mock market's perpetuals, with dynamics of their own.

Real perpetual funding is persistent (a crowded side stays crowded for a while), mostly
small, with bursts when positioning gets extreme, and it follows the perp's premium over
its index: the premium during a period is what the next settlement charges. The mock gives
FundingReversion that structure to work on:

* settled funding every 8 h (00:00, 08:00, 16:00 UTC) is an AR(1) around +0.01 % with
  persistence ``PHI``, normal shocks, and with probability ``SHOCK_P`` a shock
  ``SHOCK_SCALE`` times larger (a crowding burst); clipped to +-0.75 % like BingX;
* the basis (mark / index - 1) during a period leads the next settlement:
  ``BETA x (next rate - mean)`` plus hourly noise, so a premium shows before it is paid.

Everything is a pure function of (seed, symbol, period): any window, any order, restarts
included, gives the same numbers, and history reaches back before the price origin (a
venue serves funding history independently of the bars you asked for). Prices are not
involved, so this module leaves the market's path caches alone.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from broker_adapters.mock.profiles import stable_id

FUNDING_MS = 8 * 3_600_000
HOUR_MS = 3_600_000
MU = 0.0001
PHI = 0.85
SIGMA = 0.00008
SHOCK_P = 0.06
SHOCK_SCALE = 5.0
CLIP = 0.0075
BETA = 3.0
BASIS_NOISE = 0.00008
TAPS = 60  # PHI**60 < 1e-4: older shocks no longer matter
_BLOCK = 256
_CACHE = 256


class FundingModel:
    """Settled funding rates and the live basis of one seed's perpetuals."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._blocks: OrderedDict[tuple[int, int, int], np.ndarray] = OrderedDict()
        self._weights = PHI ** np.arange(TAPS, dtype=np.float64)

    def _shocks(self, sym: int, k0: int, k1: int) -> np.ndarray:
        """Shock of each period k0 <= k < k1 (counter-keyed blocks, cached)."""
        out = np.empty(k1 - k0, dtype=np.float64)
        k = k0
        while k < k1:
            b = k // _BLOCK
            key = (sym, b, 0)
            arr = self._blocks.get(key)
            if arr is None:
                rng = np.random.default_rng([self.seed, sym, b, 0xF0ED])
                z = rng.standard_normal(_BLOCK)
                burst = rng.random(_BLOCK) < SHOCK_P
                arr = z * np.where(burst, SHOCK_SCALE, 1.0) * SIGMA
                self._blocks[key] = arr
                if len(self._blocks) > _CACHE:
                    self._blocks.popitem(last=False)
            else:
                self._blocks.move_to_end(key)
            i0 = k - b * _BLOCK
            n = min(k1 - k, _BLOCK - i0)
            out[k - k0:k - k0 + n] = arr[i0:i0 + n]
            k += n
        return out

    def rates(self, symbol: str, k0: int, k1: int) -> np.ndarray:
        """Funding settled at the end of periods k0 <= k < k1 (settlement at k * 8 h)."""
        if k1 <= k0:
            return np.zeros(0)
        eps = self._shocks(stable_id(symbol), k0 - TAPS + 1, k1)
        ar = np.convolve(eps, self._weights, mode="valid")  # sum_j PHI^j eps[k - j]
        return np.clip(MU + ar, -CLIP, CLIP)

    def rate(self, symbol: str, k: int) -> float:
        return float(self.rates(symbol, k, k + 1)[0])

    def basis(self, symbol: str, now_ms: int) -> float:
        """mark / index - 1 now: led by the rate that settles at the end of this period."""
        k_next = now_ms // FUNDING_MS + 1
        hour = now_ms // HOUR_MS
        rng = np.random.default_rng([self.seed, stable_id(symbol), hour, 0xBA51])
        noise = rng.standard_normal()
        return float(BETA * (self.rate(symbol, k_next) - MU) + BASIS_NOISE * noise)

    def history(self, symbol: str, since_ms: int | None, until_ms: int,
                limit: int) -> list[tuple[int, float]]:
        """(settlement ms, rate) settled by ``until_ms``: from ``since_ms`` on, else the
        newest ``limit``; oldest first."""
        last = until_ms // FUNDING_MS
        if since_ms is None:
            first = last - limit + 1
        else:
            first = -(-since_ms // FUNDING_MS)
        stop = min(last + 1, first + limit)
        if stop <= first:
            return []
        rs = self.rates(symbol, first, stop)
        return [(k * FUNDING_MS, round(float(r), 8)) for k, r in zip(range(first, stop), rs,
                                                                       strict=True)]
