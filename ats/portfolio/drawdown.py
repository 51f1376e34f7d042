"""Trailing-window peak equity and the UTC-day PnL baseline.

The kill switch measures drawdown from the highest equity seen in the last N hours (72 by
governance), not from the all-time high: an account that lost 3 % a month ago and has been
flat since should trade normally. A monotonic deque gives the window maximum in O(1)
amortized per point and holds only points that can still become the peak.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

DAY_MS = 86_400_000


class TrailingPeak:
    """Maximum equity over the trailing ``window_ms``, measured at the caller's timestamps.

    Memory is bounded: a point is dropped when a later, higher one arrives (it can never
    be the peak again), and points closer than ``resolution_ms`` to the previous one replace
    it instead of being appended, so at most window / resolution points are held (4 320 for
    72 h at one minute). The cost of the merge is that a peak may expire up to one
    resolution step early, which can only make the drawdown smaller by that minute's move.
    """

    def __init__(self, window_ms: int, resolution_ms: int = 60_000) -> None:
        if window_ms <= 0:
            raise ValueError(f"trailing window {window_ms!r} ms must be positive")
        self.window_ms = window_ms
        self.resolution_ms = max(0, resolution_ms)
        self._points: deque[tuple[int, float]] = deque()
        self._last_ts: int | None = None

    def push(self, ts: int, equity: float) -> None:
        """Record equity at ``ts``; out-of-order timestamps are clamped to the latest."""
        if self._last_ts is not None and ts < self._last_ts:
            ts = self._last_ts
        self._last_ts = ts
        pts = self._points
        while pts and pts[-1][1] <= equity:
            pts.pop()
        # A lower point within one resolution step of a higher one is not kept: it could
        # only become the peak in the short gap after the higher one expires.
        if not (pts and ts - pts[-1][0] < self.resolution_ms):
            pts.append((ts, equity))
        self._expire(ts)

    def _expire(self, now: int) -> None:
        pts = self._points
        while len(pts) > 1 and pts[0][0] < now - self.window_ms:
            pts.popleft()

    @property
    def peak(self) -> float | None:
        return self._points[0][1] if self._points else None

    def drawdown(self, equity: float) -> float:
        """``equity / peak - 1`` (<= 0); 0 before any point or when the peak is not positive."""
        peak = self.peak
        if peak is None or peak <= 0:
            return 0.0
        return min(0.0, equity / peak - 1.0)

    def history(self) -> list[tuple[int, float]]:
        """The points still held (enough to rebuild the peak after a restart)."""
        return list(self._points)

    def restore(self, points: Iterable[tuple[int, float]]) -> None:
        self._points.clear()
        self._last_ts = None
        for ts, eq in sorted(points, key=lambda p: p[0]):
            self.push(int(ts), float(eq))


class DailyBaseline:
    """Equity at the start of the current UTC day, rolled automatically from timestamps."""

    def __init__(self, equity: float) -> None:
        self.start_equity = equity
        self.day: int | None = None

    def roll(self, ts: int, equity_before: float) -> bool:
        """Start a new day if ``ts`` is past the boundary; the new baseline is the equity
        just before this update (the previous day's last figure). Returns True on a reset."""
        day = ts // DAY_MS
        if self.day is None:
            self.day = day
            return False
        if day > self.day:
            self.reset(ts, equity_before)
            return True
        return False

    def reset(self, ts: int, equity: float) -> None:
        self.day = ts // DAY_MS
        self.start_equity = equity

    def pnl_pct(self, equity: float) -> float:
        if self.start_equity <= 0:
            return 0.0
        return equity / self.start_equity - 1.0
