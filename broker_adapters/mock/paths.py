"""Deterministic, lazily generated price paths: a pure function of (seed, origin, symbol, time).

Two levels make "any window, any time, same bar" cheap:

1. **Blocks** (15 minutes): a regime path per instrument group and, per symbol, the log
   price at every block boundary. This is the only sequential part (mean reversion in
   ranges needs the previous level) and costs ~0.5 µs per block, generated once from the
   origin in fixed epochs with counter-keyed random streams.
2. **Minutes**: a day of 1m bars is a Brownian bridge between consecutive block levels,
   built with vectorized numpy from random streams keyed by (seed, symbol, day). Any day can
   be produced on its own, in any order, and is always the same.

Correlation is a factor model: each return shock is ``a*global + b*group + e*own`` with
``a² = cross``, ``a² + b² = |correlation|`` and ``e² = 1 - |correlation|``, so instruments of
one group correlate at ``correlation`` and across groups at ``cross``. A group also shares one
regime path (crypto crashes together), which is what lets correlation safe-mode trigger.

Higher timeframes are aggregated from the 1m bars (open first, high max, low min, close last,
volume summed, spread averaged), so a 4h bar always agrees with its 240 minutes.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from broker_adapters.mock.profiles import REGIME_INDEX, RegimeParams, Scenario, SymbolProfile
from broker_adapters.mock.profiles import stable_id as _sid

MINUTE_MS = 60_000
BLOCK_MIN = 15
BLOCK_MS = BLOCK_MIN * MINUTE_MS
DAY_MIN = 1440
DAY_MS = DAY_MIN * MINUTE_MS
BLOCKS_PER_DAY = DAY_MIN // BLOCK_MIN
EPOCH_BLOCKS = BLOCKS_PER_DAY * 64
GLOBAL_ID = 0
_FIELDS = ("open", "high", "low", "close", "volume", "spread")
# Shared (global + group) shock arrays kept: a few groups × a couple of days × two tags.
_COMMON_CACHE = 64
# Symbols stepped together by PathGenerator._grow_batch (arrays of 6144 x 256 doubles).
_GROW_CHUNK = 256


def _rng(*key: int) -> np.random.Generator:
    return np.random.default_rng(list(key))


@dataclass(frozen=True, slots=True)
class Loadings:
    """Factor loadings of one symbol: global, group, own."""

    glob: float
    group: float
    own: float

    @classmethod
    def of(cls, correlation: float, cross: float, sign: float) -> Loadings:
        rho = min(abs(correlation), 0.999)
        x = min(max(cross, 0.0), rho)
        grp = float(np.sqrt(rho - x)) * (sign if correlation < 0 else 1.0)
        return cls(float(np.sqrt(x)), grp, float(np.sqrt(1.0 - rho)))


class RegimeSchedule:
    """The regime of every block for one group; random segments, scripted ones on top."""

    def __init__(
        self, seed: int, group: str, params: RegimeParams,
        scripted: list[tuple[int, int]], scripted_start: int | None,
    ) -> None:
        self._rng = _rng(seed, _sid(group), 11)
        self._w = np.asarray(params.weight, dtype=np.float64)
        self._mean = params.mean_blocks
        self._raw = np.zeros(0, dtype=np.int8)
        self._out = np.zeros(0, dtype=np.int8)
        self._scripted = scripted
        self._start = scripted_start

    def upto(self, n_blocks: int) -> np.ndarray:
        """Regime index of blocks ``0..n_blocks-1``."""
        if len(self._out) < n_blocks:
            parts = [self._raw]
            total = len(self._raw)
            cur = int(self._raw[-1]) if total else -1
            while total < n_blocks + EPOCH_BLOCKS:
                w = self._w.copy()
                if cur >= 0:
                    w[cur] = 0.0
                cur = int(self._rng.choice(len(w), p=w / w.sum()))
                n = max(4, int(round(self._rng.exponential(self._mean[cur]))))
                parts.append(np.full(n, cur, dtype=np.int8))
                total += n
            self._raw = np.concatenate(parts)
            out = self._raw.copy()
            if self._start is not None:
                pos = self._start
                for reg, n in self._scripted:
                    lo, hi = max(pos, 0), min(pos + n, len(out))
                    if hi > lo:
                        out[lo:hi] = reg
                    pos += n
            self._out = out
        return self._out[:n_blocks]


class SymbolPath:
    """Block levels (log price relative to the profile price) of one symbol, grown lazily."""

    def __init__(self, gen: PathGenerator, prof: SymbolProfile) -> None:
        self.gen = gen
        self.prof = prof
        self.sid = _sid(prof.symbol)
        self.gid = _sid(prof.group)
        self.load = Loadings.of(gen.correlation, gen.cross, prof.sign)
        self.levels = np.zeros(1, dtype=np.float64)
        self._anchor = 0.0
        self._prev = -1
        dph = gen.scenario.drift_per_hour.get(prof.symbol, 0.0) if gen.scenario else 0.0
        self._drift_extra = dph * BLOCK_MIN / 60.0

    def shocks(self, key: int, tag: int, n: int, extra: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Factor-mixed standard normal shocks (and ``extra`` rows of own noise).

        The global and group streams are shared by every symbol of the market, so they come
        from the generator's small cache: one symbol-day builds one random generator (its
        own), not three.
        """
        ld = self.load
        g = self.gen.common(GLOBAL_ID, key, tag, n)
        c = self.gen.common(self.gid, key, tag, n)
        own = _rng(self.gen.seed, self.sid, key, tag).standard_normal((1 + extra, n))
        return ld.glob * g + ld.group * c + ld.own * own[0], own[1:]

    def levels_upto(self, n_blocks: int) -> np.ndarray:
        """Log levels at block boundaries ``0..n_blocks`` (``n_blocks + 1`` values)."""
        while len(self.levels) <= n_blocks:
            self.gen.grow_with_peers(self)
        return self.levels[: n_blocks + 1]

    def _grow_epoch(self) -> None:
        b0 = len(self.levels) - 1
        epoch = b0 // EPOCH_BLOCKS
        z, _ = self.shocks(epoch, 1, EPOCH_BLOCKS)
        regs = self.gen.schedule(self.prof.group).upto(b0 + EPOCH_BLOCKS)[b0:].tolist()
        p = self.gen.params_arr
        sb = self.prof.sigma_min * np.sqrt(BLOCK_MIN)
        drift = (p["drift"] * sb).tolist()
        vol = (p["vol"] * sb).tolist()
        kappa = p["kappa"].tolist()
        extra_from = self.gen.scripted_start_block
        extra = self._drift_extra
        level, anchor, prev = float(self.levels[-1]), self._anchor, self._prev
        out = np.empty(EPOCH_BLOCKS, dtype=np.float64)
        for j, (r, zj) in enumerate(zip(regs, z.tolist(), strict=True)):
            if r != prev:
                anchor, prev = level, r
            level += drift[r] + vol[r] * zj - kappa[r] * (level - anchor)
            if extra and extra_from is not None and b0 + j >= extra_from:
                level += extra  # the range anchor moves too: a bleed is not mean-reverted
                anchor += extra
            out[j] = level
        self.levels = np.concatenate([self.levels, out])
        self._anchor, self._prev = anchor, prev


class PathGenerator:
    """All symbols' paths for one (seed, origin, correlation, scenario)."""

    def __init__(
        self, *, seed: int, origin_ms: int, correlation: float = 0.3,
        cross: float | None = None, scenario: Scenario | None = None,
        params: RegimeParams | None = None, cache_days: int = 16,
    ) -> None:
        """``cache_days`` is a floor: the day cache holds three days per symbol seen (see
        ``cache_capacity``), so a market of more symbols than the floor does not regenerate
        every day on every call — and no more than that, so a long run's memory stays flat
        (a floor of 512 symbol-days, 35 MiB, once filled slowly over weeks of simulated
        time and looked like a leak of ~0.4 MiB per 1000 cycles)."""
        if origin_ms % DAY_MS:
            raise ValueError("origin_ms must be a UTC midnight")
        self.seed = int(seed)
        self.origin_ms = int(origin_ms)
        self.correlation = float(correlation)
        self.cross = min(0.1, max(self.correlation, 0.0)) if cross is None else float(cross)
        self.scenario = scenario
        self.params = params or RegimeParams()
        self.params_arr = self.params.arrays()
        self._scripted = scenario.blocks(BLOCK_MS) if scenario else []
        self.scripted_start_block: int | None = None
        if scenario is not None and scenario.start_ms is not None:
            self.scripted_start_block = (scenario.start_ms - self.origin_ms) // BLOCK_MS
        self._schedules: dict[str, RegimeSchedule] = {}
        self._paths: dict[str, SymbolPath] = {}
        self._days: OrderedDict[tuple[str, int], dict[str, np.ndarray]] = OrderedDict()
        self._cache_days = cache_days
        self._common: OrderedDict[tuple[int, int, int, int], np.ndarray] = OrderedDict()

    def common(self, stream: int, key: int, tag: int, n: int) -> np.ndarray:
        """Standard normals of a shared stream (global or one group) for ``(key, tag)``.

        Exactly what ``_rng(seed, stream, key, tag).standard_normal(n)`` returns, kept for
        the other symbols that mix the same factor. The arrays are read-only: a caller that
        wrote into one would change every other symbol's path.
        """
        ck = (stream, key, tag, n)
        hit = self._common.get(ck)
        if hit is not None:
            self._common.move_to_end(ck)
            return hit
        z = _rng(self.seed, stream, key, tag).standard_normal(n)
        z.flags.writeable = False
        self._common[ck] = z
        if len(self._common) > _COMMON_CACHE:
            self._common.popitem(last=False)
        return z

    @property
    def cache_capacity(self) -> int:
        """Symbol-days the LRU keeps: the floor, or three per symbol seen (yesterday, today
        and tomorrow's prefetch), whichever is more."""
        return max(self._cache_days, 3 * len(self._paths))

    def prefetch(self, prof: SymbolProfile, m: int) -> bool:
        """Build tomorrow's day for ``prof`` ahead of midnight, if ``m`` is its turn.

        Each symbol has its own lead time (1 to 5 hours before midnight, from its stable
        id), so a market of 1000 symbols builds a few of them per bar through the evening
        instead of all 1000 inside the first cycle of the new day. The bars are the same
        either way (a pure function of seed and time); only the moment of work moves.
        """
        d, minute = divmod(m, DAY_MIN)
        if minute < DAY_MIN - 300:  # before the earliest lead: nothing to do
            return False
        lead = 60 + self.path(prof).sid % 240
        if minute < DAY_MIN - lead or (prof.symbol, d + 1) in self._days:
            return False
        self.day(prof, d + 1)
        return True

    def schedule(self, group: str) -> RegimeSchedule:
        if group not in self._schedules:
            self._schedules[group] = RegimeSchedule(
                self.seed, group, self.params, self._scripted, self.scripted_start_block
            )
        return self._schedules[group]

    def path(self, prof: SymbolProfile) -> SymbolPath:
        if prof.symbol not in self._paths:
            self._paths[prof.symbol] = SymbolPath(self, prof)
        return self._paths[prof.symbol]

    def grow_with_peers(self, sp: SymbolPath) -> None:
        """Grow ``sp`` by one epoch, together with every known path at the same length.

        The block recurrence is sequential in time but independent across symbols, so a
        market of 1000 symbols steps all of them at once (numpy over symbols) instead of
        1000 Python loops: ~20 ms of start-up per symbol and 400 days of history becomes a
        fraction of a second in all. Every number is computed with the same IEEE operations
        in the same order as ``SymbolPath._grow_epoch``, so the paths are bit-identical.
        """
        n = len(sp.levels)
        peers = [q for q in self._paths.values() if len(q.levels) == n]
        if len(peers) < 2:
            sp._grow_epoch()
            return
        for i in range(0, len(peers), _GROW_CHUNK):  # bounded temporaries, cache-sized rows
            self._grow_batch(peers[i:i + _GROW_CHUNK])

    def _grow_batch(self, peers: list[SymbolPath]) -> None:
        b0 = len(peers[0].levels) - 1
        epoch = b0 // EPOCH_BLOCKS
        p = self.params_arr
        # Block-major (one row per block, one column per symbol): each step reads
        # contiguous rows.
        z = np.stack([q.shocks(epoch, 1, EPOCH_BLOCKS)[0] for q in peers], axis=1)
        regs = np.stack([self.schedule(q.prof.group).upto(b0 + EPOCH_BLOCKS)[b0:]
                         for q in peers], axis=1).astype(np.intp)
        sb = np.array([q.prof.sigma_min * np.sqrt(BLOCK_MIN) for q in peers])
        # (p * sb)[r] == p[r] * sb: one product of the same two doubles
        step = p["drift"][regs] * sb + p["vol"][regs] * sb * z  # drift[r] + vol[r] * zj
        kappa = p["kappa"][regs]
        extra = np.array([q._drift_extra for q in peers])
        bleed = np.nonzero(extra)[0] if self.scripted_start_block is not None else []
        level = np.array([float(q.levels[-1]) for q in peers])
        anchor = np.array([q._anchor for q in peers])
        prev = np.array([q._prev for q in peers], dtype=np.intp)
        out = np.empty((EPOCH_BLOCKS, len(peers)), dtype=np.float64)
        tmp = np.empty(len(peers), dtype=np.float64)
        extra_from = self.scripted_start_block
        for j in range(EPOCH_BLOCKS):
            r = regs[j]
            changed = r != prev
            if changed.any():
                np.copyto(anchor, level, where=changed)
                prev = r
            # level += step - kappa * (level - anchor), the scalar loop's operations
            np.subtract(level, anchor, out=tmp)
            np.multiply(kappa[j], tmp, out=tmp)
            np.subtract(step[j], tmp, out=tmp)
            level += tmp
            if len(bleed) and extra_from is not None and b0 + j >= extra_from:
                level[bleed] += extra[bleed]
                anchor[bleed] += extra[bleed]
            out[j] = level
        for i, q in enumerate(peers):
            q.levels = np.concatenate([q.levels, out[:, i]])
            q._anchor, q._prev = float(anchor[i]), int(prev[i])

    def regime_at(self, prof: SymbolProfile, ts_ms: int) -> int:
        b = max(0, (ts_ms - self.origin_ms) // BLOCK_MS)
        return int(self.schedule(prof.group).upto(b + 1)[b])

    # ------------------------------------------------------------------ minutes
    def day(self, prof: SymbolProfile, d: int) -> dict[str, np.ndarray]:
        """The 1440 one-minute bars of day ``d`` after the origin (cached, LRU)."""
        key = (prof.symbol, d)
        hit = self._days.get(key)
        if hit is not None:
            self._days.move_to_end(key)
            return hit
        out = self._make_day(prof, d)
        self._days[key] = out
        if len(self._days) > self.cache_capacity:
            self._days.popitem(last=False)
        return out

    def _make_day(self, prof: SymbolProfile, d: int) -> dict[str, np.ndarray]:
        sp = self.path(prof)
        b0 = d * BLOCKS_PER_DAY
        lv = sp.levels_upto(b0 + BLOCKS_PER_DAY)[b0:]
        regs = self.schedule(prof.group).upto(b0 + BLOCKS_PER_DAY)[b0:]
        pa = self.params_arr
        z, own = sp.shocks(d, 2, DAY_MIN, extra=4)
        vol_b = pa["vol"][regs] * prof.sigma_min
        eps = (z.reshape(BLOCKS_PER_DAY, BLOCK_MIN)) * vol_b[:, None]
        w = np.zeros((BLOCKS_PER_DAY, BLOCK_MIN + 1))
        np.cumsum(eps, axis=1, out=w[:, 1:])
        frac = np.arange(BLOCK_MIN + 1) / BLOCK_MIN
        logp = lv[:-1, None] + frac * (lv[1:] - lv[:-1])[:, None] + (w - frac * w[:, -1:])
        o = logp[:, :-1].ravel()
        c = logp[:, 1:].ravel()
        vol_m = np.repeat(vol_b, BLOCK_MIN)
        hi = np.maximum(o, c) + 0.6 * vol_m * np.abs(own[0])
        lo = np.minimum(o, c) - 0.6 * vol_m * np.abs(own[1])
        tick = prof.tick
        scale = prof.price / tick
        oi = np.rint(scale * np.exp(o))
        ci = np.rint(scale * np.exp(c))
        hi_i = np.maximum(np.ceil(scale * np.exp(hi)), np.maximum(oi, ci))
        lo_i = np.maximum(np.minimum(np.floor(scale * np.exp(lo)), np.minimum(oi, ci)), 1.0)
        oi, ci = np.maximum(oi, 1.0), np.maximum(ci, 1.0)
        reg_m = np.repeat(regs, BLOCK_MIN)
        minute = np.arange(DAY_MIN)
        tod = 1.0 + 0.4 * np.cos(2 * np.pi * (minute / 60.0 - 14.0) / 24.0)
        volume = (prof.volume_per_min * pa["volume"][reg_m] * tod
                  * np.exp(0.35 * own[2] - 0.06) * (0.6 + 0.4 * np.abs(z)))
        spread_px = ci * tick * prof.spread_bps / 1e4 * pa["spread"][reg_m]
        spread_px = spread_px * (1.0 + 0.25 * np.abs(own[3]))
        spread = np.maximum(np.ceil(spread_px / tick), 1.0) * tick
        return {
            "open": oi * tick, "high": hi_i * tick, "low": lo_i * tick, "close": ci * tick,
            "volume": np.round(volume, 6), "spread": spread,
        }

    def minutes(self, prof: SymbolProfile, m0: int, m1: int) -> dict[str, np.ndarray]:
        """1m columns for minute indices ``m0 <= m < m1`` (relative to the origin)."""
        if m1 <= m0:
            return {f: np.zeros(0) for f in _FIELDS}
        d0, d1 = m0 // DAY_MIN, (m1 - 1) // DAY_MIN
        days = [self.day(prof, d) for d in range(d0, d1 + 1)]
        a, b = m0 - d0 * DAY_MIN, m1 - d0 * DAY_MIN
        if len(days) == 1:
            cols = {f: days[0][f][a:b] for f in _FIELDS}
        else:
            cols = {f: np.concatenate([x[f] for x in days])[a:b] for f in _FIELDS}
        gaps = self.scenario.gaps.get(prof.symbol) if self.scenario else None
        return self._gapped(prof, cols, m0, m1, gaps) if gaps else cols

    def _gapped(self, prof: SymbolProfile, cols: dict[str, np.ndarray], m0: int, m1: int,
                gaps: tuple[tuple[int, float], ...]) -> dict[str, np.ndarray]:
        """Prices scaled by the scenario's gaps from their minute on (see ``Scenario``)."""
        shift = np.zeros(m1 - m0)
        for ts, move in gaps:
            gm = (ts - self.origin_ms) // MINUTE_MS
            shift[max(0, gm - m0):] += move
        if not shift.any():
            return cols
        k = np.exp(shift)
        out = dict(cols)
        for f in ("open", "high", "low", "close"):
            out[f] = np.maximum(np.rint(cols[f] * k / prof.tick), 1.0) * prof.tick
        return out

    def bars(self, prof: SymbolProfile, tf_min: int, k0: int, k1: int) -> dict[str, np.ndarray]:
        """Columns (plus ``ts``) of bars ``k0 <= k < k1`` of a ``tf_min``-minute timeframe."""
        k0 = max(k0, 0)
        cols = self.minutes(prof, k0 * tf_min, max(k1, k0) * tf_min)
        n = len(cols["open"]) // tf_min
        ts = self.origin_ms + (np.arange(k0, k0 + n, dtype=np.int64) * tf_min * MINUTE_MS)
        if tf_min == 1:
            return {"ts": ts, **cols}
        sh = (n, tf_min)
        return {
            "ts": ts,
            "open": cols["open"].reshape(sh)[:, 0],
            "high": cols["high"].reshape(sh).max(axis=1),
            "low": cols["low"].reshape(sh).min(axis=1),
            "close": cols["close"].reshape(sh)[:, -1],
            "volume": cols["volume"].reshape(sh).sum(axis=1),
            "spread": cols["spread"].reshape(sh).mean(axis=1),
        }


__all__ = ["BLOCK_MS", "DAY_MS", "MINUTE_MS", "PathGenerator", "REGIME_INDEX"]
