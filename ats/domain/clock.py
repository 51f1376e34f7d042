"""Clocks: the one place the system asks what time it is.

Core code never calls ``datetime.now()``; it asks a ``Clock`` so the mock market can run a
day in minutes and tests and snapshots can freeze time.
"""

from __future__ import annotations

import asyncio
import math
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int:
        """Milliseconds since the Unix epoch, UTC."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` of *clock* time (simulated clocks sleep less wall time)."""
        ...


def ms_to_datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000.0, tz=UTC)


def datetime_to_ms(dt: datetime) -> int:
    if dt.tzinfo is None:
        raise ValueError("naive datetime: attach a timezone (UTC) first")
    return int(dt.timestamp() * 1000)


class RealClock:
    """Wall-clock time."""

    def now_ms(self) -> int:
        return int(time.time() * 1000)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class SimulatedClock:
    """Clock time runs ``speed`` times faster than the wall clock from ``start_ms``.

    ``speed=60`` means one simulated minute per wall second.
    """

    def __init__(self, start_ms: int, speed: float = 1.0) -> None:
        if not (math.isfinite(speed) and speed > 0):
            raise ValueError(f"speed must be a finite positive number, got {speed!r}")
        self._start_ms = start_ms
        self._speed = speed
        self._wall0 = time.monotonic()
        self._limit: int | None = None
        self.held_ms = 0  # clock time the clock was held back (the machine could not keep up)

    @property
    def speed(self) -> float:
        return self._speed

    def hold_at(self, limit_ms: int | None) -> None:
        """Never run past ``limit_ms`` until told otherwise (None lifts the hold).

        A consumer that must see every step (the brain: one cycle per closed bar) holds the
        clock at the end of what it has processed; when the machine is slower than
        ``speed``, time waits for it instead of skipping ahead, and resumes from the limit
        (no jump) once the hold moves.
        """
        self._limit = limit_ms

    def now_ms(self) -> int:
        t = self._start_ms + int((time.monotonic() - self._wall0) * 1000 * self._speed)
        if self._limit is not None and t > self._limit:
            # re-anchor at the limit: time continues from here, not from where it would be
            self.held_ms += t - self._limit
            self._start_ms, self._wall0 = self._limit, time.monotonic()
            return self._limit
        return t

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self._speed)


class FixedClock:
    """Time moves only when told (``advance``) — or by ``sleep``, which advances instantly.

    Tests and snapshots use it so nothing depends on the wall clock.
    """

    def __init__(self, start_ms: int) -> None:
        self._now = start_ms

    def now_ms(self) -> int:
        return self._now

    def advance(self, ms: int) -> None:
        self._now += ms

    def set(self, ms: int) -> None:
        self._now = ms

    async def sleep(self, seconds: float) -> None:
        self._now += int(max(0.0, seconds) * 1000)
        await asyncio.sleep(0)
