"""Desk fixtures: a fresh app per test, a frozen clock, a tmp database, no cursor blink."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input
from textual.worker import WorkerCancelled, WorkerFailed

from ats.domain import FixedClock
from ats.tui.app import DeskApp
from storage.dao import PersistDAO
from tests.tui.fakes import T0, FakeBrain


async def settle(pilot: Pilot[None]) -> None:
    """Wait until nothing moves: workers done, messages handled, no blinking cursor."""
    app = pilot.app
    for _ in range(3):
        for input_ in app.screen.query(Input):
            input_.cursor_blink = False
        try:
            await app.workers.wait_for_complete()
        except (WorkerFailed, WorkerCancelled):  # the app reports these itself
            pass
        await pilot.pause()
    await pilot.wait_for_scheduled_animations()


@pytest.fixture
def dao(tmp_path: Path) -> Iterator[PersistDAO]:
    d = PersistDAO(tmp_path / "desk.db")
    yield d
    d.close()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def fake_brain(dao: PersistDAO, clock: FixedClock) -> FakeBrain:
    return FakeBrain(dao, clock)


def fake_app(brain: FakeBrain, clock: FixedClock, **kwargs: object) -> DeskApp:
    options: dict[str, object] = {"tick_interval": None, "refresh_interval": None}
    options.update(kwargs)
    app = DeskApp(brain, clock=clock, mode="paper", venue="mock", run_id=brain.run_id,
                  **options)  # type: ignore[arg-type]
    app.animation_level = "none"
    return app
