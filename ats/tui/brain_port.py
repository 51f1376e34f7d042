"""What the desk needs from the brain, and how it paces cycles on the run's clock.

``BrainPort`` is the slice of ``BrainOrchestrator`` the TUI calls; naming it keeps the desk
testable with any object of that shape. ``BarClosePacer`` waits, on the run's ``Clock``, for
the next bar close of the shortest timeframe — so a simulated clock at speed 60 closes a
1-minute bar every wall second and a frozen clock in tests never waits on the wall.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ats.brain.state import BrainSnapshot
from ats.domain import Clock


class BrainPort(Protocol):
    @property
    def snapshot(self) -> BrainSnapshot: ...

    @property
    def paused(self) -> bool: ...

    @property
    def dao(self) -> Any: ...

    def add_sink(self, callback: Callable[[BrainSnapshot], Any]) -> None: ...

    async def start(self) -> None: ...

    async def run_cycle(self) -> BrainSnapshot: ...

    async def stop(self) -> None: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    async def engage_kill_switch(self, reason: str) -> Any: ...

    def set_focus(self, symbol: str | None) -> Any: ...


class BarClosePacer:
    """Awaitable: sleep on ``clock`` until just after the next close of a ``bar_ms`` bar.

    ``grace_ms`` lets the feed publish the bar that just closed before the cycle asks for it.
    """

    def __init__(self, clock: Clock, bar_ms: int, grace_ms: int = 250) -> None:
        if bar_ms <= 0:
            raise ValueError("bar_ms must be positive")
        self.clock = clock
        self.bar_ms = bar_ms
        self.grace_ms = grace_ms

    def delay_ms(self) -> int:
        now = self.clock.now_ms()
        next_close = (now // self.bar_ms + 1) * self.bar_ms + self.grace_ms
        if next_close - now > self.bar_ms:  # still inside the grace of the last close
            next_close -= self.bar_ms
        return next_close - now

    async def __call__(self) -> None:
        await self.clock.sleep(self.delay_ms() / 1000.0)
