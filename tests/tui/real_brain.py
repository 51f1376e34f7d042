"""The real orchestrator on the mock market, frozen: fixed seed, fixed clock, fixed run id.

``perf_counter`` is the one clock the brain reads that ``FixedClock`` and ``time_machine``
cannot freeze (stage latencies appear in cycle text), so every project module that imported
it gets a counter that never moves. Everything the desk shows is then a function of the seed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from ats.brain.runtime import RunOptions, build_orchestrator
from ats.domain import FixedClock
from ats.tui.app import DeskApp
from ats.tui.launch import desk_for

MOCK_START = 1_767_571_200_000  # 2026-01-05 00:00 UTC, configs/adapters.yaml mock.start
CLOCK_START = MOCK_START + 4 * 3_600_000 - 5 * 60_000  # five minutes before a 4h close
RUN_ID = "snap-run"
SEED = 7
PROJECT_PREFIXES = ("ats.", "broker_adapters.", "storage.", "research_lab.")


def freeze_perf_counter(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, module in list(sys.modules.items()):
        if name.startswith(PROJECT_PREFIXES) and getattr(module, "perf_counter", None) is (
            time.perf_counter
        ):
            monkeypatch.setattr(module, "perf_counter", lambda: 1000.0)


def real_desk(db_path: Path, clock: FixedClock) -> DeskApp:
    orchestrator = build_orchestrator(
        RunOptions(db_path=db_path, clock=clock, run_id=RUN_ID, seed=SEED), env={}
    )
    app = desk_for(orchestrator, tick_interval=None, refresh_interval=None)
    app.animation_level = "none"
    return app


async def run_minutes(app: DeskApp, clock: FixedClock, minutes: int) -> None:
    """Advance the frozen clock one bar at a time, one cycle per closed 1m bar."""
    await app.ensure_started()
    for _ in range(minutes):
        clock.advance(60_000)
        await app.cycle_once()
