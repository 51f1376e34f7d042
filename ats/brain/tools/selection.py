"""Selection tools: which strategies a regime allows, how well each fits now, cooldowns."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ats.brain.tools.base import ToolContext, ToolError, ToolSpec
from ats.config.models import Challenger, EnableMap
from ats.domain import Regime
from ats.i18n.said import Said


@dataclass(frozen=True, slots=True)
class EnabledSet:
    """Strategies a regime allows: live ones and shadow challengers."""

    regime: Regime
    strategies: tuple[str, ...]
    challengers: tuple[Challenger, ...]


class LoadEnableMap:
    """The regime → strategies table. Reads the map loaded at start-up (``ctx.enable_map``)."""

    spec = ToolSpec("load_enable_map", "strategy.enable_map", "strategy",
                    description="strategies (and shadow challengers) allowed in a regime")

    def __call__(self, ctx: ToolContext, *, regime: Regime, **_: Any) -> EnabledSet:
        em: EnableMap | None = ctx.enable_map
        if em is None:
            raise ToolError("load_enable_map: the tool context has no enable map")
        challengers = tuple(c for c in em.challengers if regime in c.regimes)
        return EnabledSet(regime, em.strategies_for(regime), challengers)


class ScoreStrategy:
    """How well the recent market suits a strategy kind, in [0, 1].

    Efficiency ratio of the last ``lookback`` closes: |net return| / (sum of |returns|).
    A trend strategy wants a high ratio (price going somewhere); a mean-reversion strategy
    wants the opposite (price wandering around), so its score is inverted. Cheap (one pass
    over ``lookback`` closes) and scale-free, so one scale fits every instrument.
    """

    spec = ToolSpec("score_strategy", "strategy.score", "strategy",
                    description="return/volatility fit of a strategy kind to the market")

    def __init__(self, lookback: int = 20) -> None:
        self.lookback = lookback

    def __call__(self, ctx: ToolContext, *, close: np.ndarray, kind: str, **_: Any) -> float:
        n = min(self.lookback, len(close) - 1)
        if n < 2:
            return 0.5
        window = close[-(n + 1):]
        diffs = np.diff(window)
        path = float(np.abs(diffs).sum())
        if not math.isfinite(path) or path <= 0:
            return 0.5
        eff = min(1.0, abs(float(window[-1] - window[0])) / path)
        return 1.0 - eff if kind == "mean_reversion" else eff


@dataclass(frozen=True, slots=True)
class CooldownStatus:
    ok: bool
    reason: str = ""
    remaining_bars: int = 0


@dataclass(slots=True)
class _Track:
    last_entry_ts: int | None = None
    losses_in_row: int = 0
    cooldown_until_ts: int | None = None


class ManageCooldown:
    """No re-entry of a strategy on a symbol within ``cooldown_bars`` bars of its last entry,
    and a pause of ``cooldown_bars`` after two losses in a row (if the enable map says so).

    Stateful: it remembers entries and trade results per (strategy, symbol). Actions:
    ``check`` (may it enter at ``ts``?), ``entered`` (an entry was sent) and ``result``
    (a trade closed with ``pnl``).
    """

    spec = ToolSpec("manage_cooldown", "strategy.cooldown", "strategy",
                    description="re-entry spacing and the pause after two losses")

    def __init__(self) -> None:
        self._tracks: dict[tuple[str, str], _Track] = {}
        self._latest_until: dict[str, int] = {}  # strategy -> end of its latest loss pause

    def __call__(self, ctx: ToolContext, *, action: str, strategy: str, symbol: str,
                 ts: int, bar_ms: int = 60_000, pnl: float = 0.0, **_: Any) -> CooldownStatus:
        em = ctx.enable_map
        bars = em.cooldown_bars if em is not None else 0
        after_losses = em.cooldown_after_2_losses if em is not None else True
        key = (strategy, symbol)
        tr = self._tracks.get(key)
        if action == "check":
            if tr is None:
                return CooldownStatus(True)
            if tr.cooldown_until_ts is not None and ts < tr.cooldown_until_ts:
                left = math.ceil((tr.cooldown_until_ts - ts) / bar_ms)
                return CooldownStatus(False, Said("reason.cooldown_losses_left", left=left), left)
            if tr.last_entry_ts is not None and ts < tr.last_entry_ts + bars * bar_ms:
                left = math.ceil((tr.last_entry_ts + bars * bar_ms - ts) / bar_ms)
                return CooldownStatus(False, Said("reason.cooldown_reentry_left", left=left),
                                      left)
            return CooldownStatus(True)
        if tr is None:
            tr = self._tracks[key] = _Track()
        if action == "entered":
            tr.last_entry_ts = ts
            return CooldownStatus(True)
        if action == "result":
            if pnl < 0:
                tr.losses_in_row += 1
                if after_losses and tr.losses_in_row >= 2:
                    tr.cooldown_until_ts = ts + bars * bar_ms
                    prev = self._latest_until.get(strategy, 0)
                    self._latest_until[strategy] = max(prev, tr.cooldown_until_ts)
                    tr.losses_in_row = 0
                    return CooldownStatus(False, Said("reason.cooldown_losses"), bars)
            else:
                tr.losses_in_row = 0
            return CooldownStatus(True)
        raise ToolError(f"manage_cooldown: unknown action {action!r} (check|entered|result)")

    # Durable state: the account keeper saves and restores it across restarts.
    state_key = "cooldowns"

    def export_state(self) -> dict[str, Any]:
        return {"tracks": [[s, y, t.last_entry_ts, t.losses_in_row, t.cooldown_until_ts]
                           for (s, y), t in self._tracks.items()],
                "latest_until": dict(self._latest_until)}

    def import_state(self, doc: dict[str, Any]) -> None:
        self._tracks = {(s, y): _Track(le, int(n), cu)
                        for s, y, le, n, cu in doc.get("tracks", [])}
        self._latest_until = {k: int(v) for k, v in doc.get("latest_until", {}).items()}

    def in_cooldown(self, strategy: str, ts: int) -> bool:
        """True if the strategy is cooling down on any symbol (the TUI's 'cooldown' status)."""
        return ts < self._latest_until.get(strategy, 0)
