"""Pilot tests on the real orchestrator and mock market: pause, kill switch, search, quit."""

from __future__ import annotations

from pathlib import Path

import apsw
import pytest
from textual.widgets import OptionList, Static

from ats.domain import FixedClock
from ats.tui.app import DeskApp
from ats.tui.launch import desk_for
from ats.tui.screens.governance import GovernanceScreen
from ats.tui.screens.kill_switch import KillSwitchDialog
from ats.tui.screens.record import RecordScreen
from ats.tui.screens.search import SearchScreen
from tests.tui.conftest import settle
from tests.tui.fakes import text_of
from tests.tui.real_brain import CLOCK_START, RUN_ID, real_desk, run_minutes

SIZE = (120, 40)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(CLOCK_START)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "desk.db"


async def test_pause_stops_cycles_and_resume_restarts_them(db: Path, clock: FixedClock) -> None:
    app = real_desk(db, clock)
    # automatic cycling: no wall pause, paced on the frozen clock (its sleep jumps ahead)
    auto = desk_for(app.brain, tick_interval=0.0, refresh_interval=0.05)
    brain = auto.brain
    async with auto.run_test(size=SIZE) as pilot:
        for _ in range(300):
            await pilot.pause(0.01)
            if brain.counters.cycles >= 3:
                break
        assert brain.counters.cycles >= 3
        await pilot.press("f5")
        assert brain.paused and auto.header_info().status == "paused"
        await pilot.pause(0.1)
        paused_at = brain.counters.cycles
        await pilot.pause(0.3)
        assert brain.counters.cycles == paused_at
        await pilot.press("f5")
        assert not brain.paused
        for _ in range(300):
            await pilot.pause(0.01)
            if brain.counters.cycles >= paused_at + 2:
                break
        assert brain.counters.cycles >= paused_at + 2
        await pilot.press("f10")
        await pilot.pause()


async def test_kill_switch_dialog_engages_and_journals_the_reason(
    db: Path, clock: FixedClock
) -> None:
    app = real_desk(db, clock)
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, clock, 2)
        await settle(pilot)
        await pilot.press("f8")
        assert isinstance(app.screen, KillSwitchDialog)
        await pilot.press("enter")  # no reason: refused, dialog stays
        assert isinstance(app.screen, KillSwitchDialog)
        await pilot.press(*"operator: news spike", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, KillSwitchDialog)
        assert app.brain.snapshot.risk.kill_switch
        assert app.applied is not None and app.applied.risk.kill_switch
        locks = app.brain.dao.journal_tail(10, kind="lock", run_id=RUN_ID)
        assert any("operator: news spike" in r.text for r in locks)
        # the next cycle trades no new risk, and the lock is still on
        await run_minutes(app, clock, 1)
        assert app.brain.snapshot.risk.kill_switch
        await pilot.press("f10")
        await pilot.pause()


async def test_kill_switch_dialog_can_be_cancelled(db: Path, clock: FixedClock) -> None:
    app = real_desk(db, clock)
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, clock, 1)
        await pilot.press("f8", *"typo", "escape")
        await settle(pilot)
        assert not app.brain.snapshot.risk.kill_switch
        await pilot.press("f10")
        await pilot.pause()


async def test_search_finds_a_journaled_event_and_opens_it(db: Path, clock: FixedClock) -> None:
    app = real_desk(db, clock)
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, clock, 1)
        await app.engage_kill_switch("flash crash drill")
        await settle(pilot)
        await pilot.press("f2")
        await pilot.press(*"flash crash", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        journal_hits = [h for h in screen.hits if h.source == "journal"]
        # the trader's action and the lock it engaged are both journaled
        assert {"lock", "action"} <= {h.kind for h in journal_hits}
        lock_hit = next(h for h in journal_hits if h.kind == "lock")
        results = screen.query_one("#search-results", OptionList)
        results.highlighted = screen.hits.index(lock_hit)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen) and app.screen.record is not None
        assert app.screen.record.payload["reason"].endswith("flash crash drill")
        await pilot.press("f10")
        await pilot.pause()


async def test_quit_leaves_the_database_consistent(db: Path, clock: FixedClock) -> None:
    app: DeskApp = real_desk(db, clock)
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, clock, 3)
        await settle(pilot)
        await pilot.press("f10")
        await pilot.pause()
    assert app.stopped and app.return_code in (None, 0)
    conn = apsw.Connection(str(db))
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        ended, summary = conn.execute(
            "SELECT ended_ts, summary FROM runs WHERE run_id = ?", (RUN_ID,)).fetchone()
        assert ended == clock.now_ms() and '"cycles":3' in summary
        cycles = conn.execute("SELECT count(*) FROM journal WHERE run_id = ? AND kind = 'cycle'",
                              (RUN_ID,)).fetchone()[0]
        assert cycles == 3
    finally:
        conn.close()


async def test_governance_view_shows_the_limits_in_force(db: Path, clock: FixedClock) -> None:
    app = real_desk(db, clock)
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, clock, 1)
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, GovernanceScreen)
        body = text_of(app.screen.query_one("#gov-body", Static).content, 80)
        assert "Kill switch at" in body and "-3.50% over 72 h" in body
        assert "as loaded" in body and "KILL SWITCH" in body and "Limits are locked" in body
        await pilot.press("escape", "f10")
        await pilot.pause()
