"""SVG snapshots of the desk on the real orchestrator and mock market, frozen in time.

Plain ``def`` tests: ``snap_compare`` runs the app with ``asyncio.run``. Each test builds a
fresh app on a fresh database; the clock is a ``FixedClock``, the run id and the seed fixed,
``perf_counter`` frozen, wall-clock reads frozen by ``time_machine``, cursors do not blink,
animations are off, workers are awaited and nothing calls ``notify``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from textual.pilot import Pilot

from ats.domain import FixedClock
from ats.domain.clock import ms_to_datetime
from ats.tui.app import DeskApp
from ats.tui.screens.actions import ConfirmAction, PickScreen, VenueErrorScreen
from ats.tui.screens.help import HelpScreen
from ats.tui.screens.kill_switch import KillSwitchDialog
from ats.tui.screens.search import SearchScreen
from tests.tui.conftest import settle
from tests.tui.real_brain import CLOCK_START, freeze_perf_counter, real_desk, run_minutes

SIZES = [pytest.param((120, 40), id="120x40"), pytest.param((80, 24), id="80x24")]
MINUTES = 250  # past the 08:00 4h close, where the first trades open


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> Iterator[FixedClock]:
    freeze_perf_counter(monkeypatch)
    with time_machine.travel(ms_to_datetime(CLOCK_START), tick=False):
        yield FixedClock(CLOCK_START)


@pytest.fixture
def app(tmp_path: Path, frozen: FixedClock) -> Iterator[DeskApp]:
    desk = real_desk(tmp_path / "snap.db", frozen)
    yield desk
    if not desk.stopped:
        desk.brain.dao.close()


async def desk_after_cycles(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, DeskApp)
    await run_minutes(app, app.clock, MINUTES)  # type: ignore[arg-type]
    await settle(pilot)


@pytest.mark.parametrize("size", SIZES)
def test_main_screen(app: DeskApp, size: tuple[int, int], snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app, terminal_size=size, run_before=desk_after_cycles)


@pytest.mark.parametrize("size", SIZES)
def test_help_screen(app: DeskApp, size: tuple[int, int], snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        await desk_after_cycles(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(pilot.app.screen, HelpScreen)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_search_results(app: DeskApp, size: tuple[int, int], snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        await desk_after_cycles(pilot)
        await pilot.press("f2")
        await pilot.press(*"started", "enter")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, SearchScreen) and screen.hits

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_kill_switch_dialog(app: DeskApp, size: tuple[int, int], snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        await desk_after_cycles(pilot)
        await pilot.press("f8")
        await pilot.press(*"news spike")
        await settle(pilot)
        assert isinstance(pilot.app.screen, KillSwitchDialog)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_locked_desk_with_banner(app: DeskApp, size: tuple[int, int], snap_compare,  # type: ignore[no-untyped-def]
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Kill switch engaged (and every position flattened): banner, LOCKED status, the
    action and the lock in the event log, the flatten's fill on the price chart."""
    # the desk's database is the default one, so the unlock command needs no --db path
    monkeypatch.setenv("ATS_DB", str(app.brain.dao.path))

    async def run_before(pilot: Pilot[None]) -> None:
        await desk_after_cycles(pilot)
        app = pilot.app
        assert isinstance(app, DeskApp)
        await app.engage_kill_switch("news spike", flatten=True)
        await settle(pilot)
        assert app.brain.snapshot.risk.kill_switch and not app.brain.snapshot.positions

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_flatten_confirmation(app: DeskApp, size: tuple[int, int], snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        await desk_after_cycles(pilot)
        await pilot.app.run_action("flatten")
        await settle(pilot)
        assert isinstance(pilot.app.screen, PickScreen)
        await pilot.press("enter", *"news in 5 min")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ConfirmAction)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_log_filter_typed(app: DeskApp, size: tuple[int, int], snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        await desk_after_cycles(pilot)
        await pilot.press("f9", *"fill")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_venue_error_dialog(app: DeskApp, size: tuple[int, int], snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, DeskApp)
        app.venue = "bingx"
        app._show_start_error(
            "bingx: cannot connect: BINGX_API_KEY and BINGX_API_SECRET are not set; "
            "put your VST keys in .env")
        await settle(pilot)
        assert isinstance(app.screen, VenueErrorScreen)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_desk_at_60x20_never_cuts_numbers(app: DeskApp, snap_compare) -> None:  # type: ignore[no-untyped-def]
    """One column; scrolled to the positions: two lines each, every number whole."""

    async def run_before(pilot: Pilot[None]) -> None:
        await desk_after_cycles(pilot)
        await pilot.press("pagedown", "pagedown", "pagedown")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(60, 20), run_before=run_before)
