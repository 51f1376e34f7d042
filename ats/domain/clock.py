"""Clocks: the one place the system asks what time it is.

Core code never calls ``datetime.now()``; it asks a ``Clock`` so the mock market can run a
day in minutes and tests and snapshots can freeze time.
"""

from __future__ import annotations

import asyncio
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
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._start_ms = start_ms
        self._speed = speed
        self._wall0 = time.monotonic()

    @property
    def speed(self) -> float:
        return self._speed

    def now_ms(self) -> int:
        return self._start_ms + int((time.monotonic() - self._wall0) * 1000 * self._speed)

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
