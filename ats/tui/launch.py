"""Build a ready-to-run desk from an orchestrator: the pacing and refresh the trader gets.

Kept apart from ``app.py`` so the CLI, the benchmark and the tests wire the desk the same
way: cycles paced on the orchestrator's own clock at each close of its finest timeframe
(as ``BrainOrchestrator.run`` does headless), panels refreshed five times a second.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ats.domain import timeframe_ms
from ats.tui.app import DeskApp
from ats.tui.brain_port import BarClosePacer

REFRESH_INTERVAL = 0.2  # 5 Hz: at least 4 updates a second even with timer jitter
TICK_INTERVAL = 0.02  # wall pause between the end of one cycle and the wait for the next


def desk_for(
    orchestrator: Any,
    *,
    speed: float | None = None,
    configs: Path | None = None,
    tick_interval: float | None = TICK_INTERVAL,
    refresh_interval: float | None = REFRESH_INTERVAL,
    paced: bool = True,
) -> DeskApp:
    """A ``DeskApp`` over ``orchestrator`` (a ``BrainOrchestrator`` or any ``BrainPort``)."""
    pacer = None
    if paced:
        pacer = BarClosePacer(orchestrator.clock, timeframe_ms(orchestrator.fine_tf), grace_ms=1)
    mode = getattr(orchestrator.mode, "value", str(orchestrator.mode))
    if speed is None:  # show the simulated clock's speed in the header
        speed = getattr(orchestrator.clock, "speed", None)
    return DeskApp(
        orchestrator, clock=orchestrator.clock, mode=mode, venue=orchestrator.venue,
        run_id=orchestrator.run_id, speed=speed, tick_interval=tick_interval,
        refresh_interval=refresh_interval, pacer=pacer, configs=configs,
    )
