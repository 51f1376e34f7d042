"""Desk behaviour that needs a scripted brain: failures, reconnection, coalescing, dialogs."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.widgets import Input, OptionList, Static

from ats.brain.state import BrainSnapshot
from ats.domain import FixedClock
from ats.tui.brain_port import BarClosePacer
from ats.tui.commands import desk_commands
from ats.tui.messages import SnapshotReady
from ats.tui.screens.actions import VenueErrorScreen
from ats.tui.screens.focus import FocusScreen
from ats.tui.screens.governance import GovernanceScreen
from ats.tui.screens.help import HelpScreen
from ats.tui.screens.record import RecordScreen
from ats.tui.screens.search import SearchScreen
from ats.tui.widgets.header import DeskHeader
from ats.tui.widgets.journal_log import JournalLog
from ats.tui.widgets.regime import RegimePanel
from ats.tui.widgets.risk import RiskPanel
from tests.tui.conftest import fake_app, settle
from tests.tui.fakes import T0, FakeBrain, sample_snapshot, text_of

SIZE = (120, 40)


def log_texts(app: object) -> list[str]:
    return [line.plain for _, line in app.desk.query_one(JournalLog).lines()]  # type: ignore[attr-defined]


async def test_a_crashing_panel_shows_its_error_and_the_desk_keeps_running(
    fake_brain: FakeBrain, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: RiskPanel, snapshot: BrainSnapshot, width: int) -> None:
        raise ZeroDivisionError("bad gauge")

    monkeypatch.setattr(RiskPanel, "view", broken)
    app = fake_app(fake_brain, clock)
    async with app.run_test(size=SIZE) as pilot:
        await app.cycle_once()
        await settle(pilot)
        risk = app.screen.query_one(RiskPanel)
        assert risk.last_error == "ZeroDivisionError: bad gauge"
        assert "panel error: ZeroDivisionError: bad gauge" in text_of(risk.render(), 60)
        regime = app.screen.query_one(RegimePanel)
        assert regime.last_error == "" and "trend up" in text_of(regime.render())
        await app.cycle_once()
        await settle(pilot)
        assert app.applied is not None and app.applied.cycle == 2


async def test_a_failing_cycle_is_logged_and_the_next_one_runs(
    dao: object, clock: FixedClock
) -> None:
    def script(n: int) -> BrainSnapshot | Exception:
        return RuntimeError("venue timeout") if n == 2 else sample_snapshot(n)

    brain = FakeBrain(dao, clock, script=script)  # type: ignore[arg-type]
    app = fake_app(brain, clock)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(3):
            app.launch_cycle()
            await settle(pilot)
            if brain.cycles == 2:
                assert app.cycle_failed
                assert app.header_info().status == "error"
        assert brain.cycles == 3 and not app.cycle_failed
        assert any("cycle failed: RuntimeError: venue timeout" in t for t in log_texts(app))


async def test_a_lost_connection_shows_in_header_and_log(dao: object, clock: FixedClock) -> None:
    def script(n: int) -> BrainSnapshot:
        return sample_snapshot(n, connected=n != 2)

    brain = FakeBrain(dao, clock, script=script)  # type: ignore[arg-type]
    app = fake_app(brain, clock)
    async with app.run_test(size=SIZE) as pilot:
        await app.cycle_once()
        await app.cycle_once()
        await settle(pilot)
        header = app.screen.query_one(DeskHeader)
        assert header.info is not None and not header.info.connected
        assert "disconnected" in text_of(header.render(), 120)
        assert any("connection to mock lost" in t for t in log_texts(app))
        await app.cycle_once()
        await settle(pilot)
        assert any("connection to mock restored" in t for t in log_texts(app))


async def test_snapshots_coalesce_between_refreshes(
    fake_brain: FakeBrain, clock: FixedClock
) -> None:
    app = fake_app(fake_brain, clock, refresh_interval=60.0)
    assert SnapshotReady(sample_snapshot()).can_replace(SnapshotReady(sample_snapshot()))
    async with app.run_test(size=SIZE) as pilot:
        for n in range(1, 6):
            app.post_message(SnapshotReady(sample_snapshot(n)))
        await settle(pilot)
        assert app.refreshes == 0 and app.pending is not None
        app.refresh_desk()
        await settle(pilot)
        assert app.refreshes == 1 and app.applied is not None and app.applied.cycle == 5


async def test_automatic_cycles_follow_the_clock_and_quit_stops_them(
    fake_brain: FakeBrain, clock: FixedClock
) -> None:
    pacer = BarClosePacer(clock, 60_000, grace_ms=0)
    app = fake_app(fake_brain, clock, tick_interval=0.0, refresh_interval=0.05, pacer=pacer)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(200):
            await pilot.pause(0.01)
            if fake_brain.cycles >= 3:
                break
        assert fake_brain.cycles >= 3
        # each cycle waited on the clock for the next minute close
        assert clock.now_ms() % 60_000 == 0
        await pilot.press("f10")
        await pilot.pause()
    assert fake_brain.stopped and app.stopped
    run = fake_brain.dao.get_run("test-run")
    assert run is not None and run["ended_ts"] is not None


def test_bar_close_pacer_waits_until_just_after_the_next_close() -> None:
    clock = FixedClock(T0 + 10_000)
    pacer = BarClosePacer(clock, 60_000, grace_ms=250)
    assert pacer.delay_ms() == 50_250
    clock.set(T0 + 100)  # inside the grace of the close at T0
    assert pacer.delay_ms() == 150
    clock.set(T0 + 250)
    assert pacer.delay_ms() == 60_000
    with pytest.raises(ValueError, match="bar_ms"):
        BarClosePacer(clock, 0)


async def test_dialogs_open_from_their_keys(fake_brain: FakeBrain, clock: FixedClock) -> None:
    app = fake_app(fake_brain, clock)
    async with app.run_test(size=SIZE) as pilot:
        await app.cycle_once()
        await settle(pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen)
        assert app.screen.record is not None and app.screen.record.payload == {"cycle": 1}
        await pilot.press("escape")
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, GovernanceScreen)
        body = text_of(app.screen.query_one("#gov-body", Static).content, 80)
        assert "Base risk per trade" in body and "0.80%" in body
        await pilot.press("escape")
        await pilot.press("f3")
        assert isinstance(app.screen, FocusScreen)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert fake_brain.focus == "EURUSD"
        await pilot.press("f7")
        assert app.theme == "textual-light"


async def test_log_filter_narrows_the_lines_shows_the_text_and_esc_clears_it(
    fake_brain: FakeBrain, clock: FixedClock
) -> None:
    app = fake_app(fake_brain, clock)
    async with app.run_test(size=SIZE) as pilot:
        for n in range(3):
            await app.cycle_once()
            fill = {"id": f"f{n}", "symbol": "EURUSD" if n == 1 else "BTC/USDT:USDT",
                    "side": "buy", "qty": 1.0, "price": 1.1 + n, "fee": 0.01}
            fake_brain.dao.journal("cycle", {"cycle": n + 1, "fills": [fill]},
                                   ts=clock.now_ms(), run_id=fake_brain.run_id,
                                   text=f"cycle {n + 1} fills 1")
        await app.cycle_once()  # a new journal id: the desk reloads the log
        await settle(pilot)
        # quiet cycles make no line: only the three fills (and the desk's own events)
        fills = [x for x in log_texts(app) if " fill " in x]
        assert len(fills) == 3 and all("BUY 1 " in x for x in fills)
        assert not any("cycle 4" in x for x in log_texts(app))
        await pilot.press("f9")
        assert isinstance(app.focused, Input) and app.focused.id == "log-filter"
        await pilot.press(*"eurusd")
        await settle(pilot)
        assert [x.split(" ", 1)[1].strip() for x in log_texts(app)] == [
            "fill    BUY 1 EURUSD @ 2.1, fee 0.01"]
        # the typed text is on screen, with the count of matching lines
        log = app.screen.query_one(JournalLog)
        assert log.query_one("#log-filter", Input).value == "eurusd"
        assert "1 shown" in text_of(log.query_one("#log-count", Static).content, 40)
        assert not fake_brain.paused  # bare letters went to the filter, not to a binding
        await pilot.press("escape")
        await settle(pilot)
        assert log.query_one("#log-filter", Input).value == ""
        assert app.focused is not None and app.focused.id == "log-lines"
        assert len([x for x in log_texts(app) if " fill " in x]) == 3
        options = app.screen.query_one("#log-lines", OptionList)
        options.highlighted = next(i for i, x in enumerate(log_texts(app)) if "EURUSD" in x)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen)
        assert app.screen.record is not None and app.screen.record.payload["cycle"] == 2


async def test_bad_search_text_is_explained_not_raised(
    fake_brain: FakeBrain, clock: FixedClock
) -> None:
    app = fake_app(fake_brain, clock)
    async with app.run_test(size=SIZE) as pilot:
        await app.cycle_once()
        await pilot.press("f2")
        assert isinstance(app.screen, SearchScreen)
        await pilot.press(*"!!! ???", "enter")
        await settle(pilot)
        status = text_of(app.screen.query_one("#search-status", Static).content, 100)
        assert status.startswith("Cannot search: cannot search for !!! ???:"), status
        # nothing found for a whole word: the status offers its prefix form
        await pilot.press("ctrl+a", "ctrl+k", *"fil", "enter")
        await settle(pilot)
        status = text_of(app.screen.query_one("#search-status", Static).content, 200)
        assert "No matches for fil" in status and "try fil*" in status, status


async def test_every_key_is_a_palette_command(fake_brain: FakeBrain, clock: FixedClock) -> None:
    app = fake_app(fake_brain, clock)
    async with app.run_test(size=SIZE) as pilot:
        commands = {c.title: c for c in desk_commands(app)}
        assert "Pause (F5)" in commands and "Kill (F8)" in commands
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Search (F2)" in titles and "Quit (F10)" in titles
        assert "Screenshot" in titles and "Flatten a position" in titles
        await commands["Pause (F5)"].callback()
        await settle(pilot)
        assert fake_brain.paused and app.header_info().status == "paused"
        assert await app.cycle_once() is None and fake_brain.cycles == 0


async def test_record_screen_reports_a_missing_record(
    fake_brain: FakeBrain, clock: FixedClock
) -> None:
    app = fake_app(fake_brain, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f6")
        await settle(pilot)
        assert not isinstance(app.screen, RecordScreen)
        assert any("no cycle record yet" in t for t in log_texts(app))
        app.latest = replace(sample_snapshot(), last_journal_id=999)
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen) and app.screen.record is None
        head = text_of(app.screen.query_one("#record-head", Static).content, 100)
        assert "#999 was not found" in head


async def test_a_failed_start_is_logged_and_retried(
    fake_brain: FakeBrain, clock: FixedClock
) -> None:
    attempts: list[int] = []
    real_start = fake_brain.start

    async def flaky_start() -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("venue unreachable")
        await real_start()

    fake_brain.start = flaky_start  # type: ignore[method-assign]
    app = fake_app(fake_brain, clock, tick_interval=60.0)
    app.start_retry_base = 0.01
    app.add_event("desk", "noted before the desk existed")
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(100):
            await pilot.pause(0.02)
            if app.started:
                break
        await settle(pilot)
        assert app.started and len(attempts) == 2
        texts = log_texts(app)
        assert any("cannot start the brain (ConnectionError: venue unreachable)" in t
                   for t in texts)
        assert any("noted before the desk existed" in t for t in texts)
        # the full error opened in a dialog that says what to do
        assert isinstance(app.screen, VenueErrorScreen)
        error = text_of(app.screen.query_one("#venue-error", Static).content, 200)
        assert error.strip() == "venue unreachable"
        assert "Check the venue" in text_of(app.screen.query_one("#venue-hint",
                                                                 Static).content, 200)
        assert app.header_info().status != "venue_down"  # it started in the end
        await pilot.press("escape")
        assert any("brain started on mock" in t for t in texts)
        await pilot.press("f10")
        await pilot.pause()
    assert fake_brain.stopped


async def test_a_desk_event_opens_with_its_full_text(
    fake_brain: FakeBrain, clock: FixedClock
) -> None:
    app = fake_app(fake_brain, clock)
    long_text = "cannot start the brain: " + "very long reason " * 20
    async with app.run_test(size=SIZE) as pilot:
        app.add_event("error", long_text)
        await settle(pilot)
        options = app.screen.query_one("#log-lines", OptionList)
        options.focus()
        options.highlighted = 0
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen) and app.screen.record is not None
        assert app.screen.record.text == long_text
        assert app.screen.record.payload == {"message": long_text}


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_the_lock_banner_sits_below_the_header_not_over_it(
        dao: object, clock: FixedClock, size: tuple[int, int]) -> None:
    """Both were docked top, so the kill-switch banner covered PAPER/LOCKED and the run id."""
    def locked(n: int) -> BrainSnapshot:
        snap = sample_snapshot(n)
        five = tuple(replace(snap.regimes[i % 2], symbol=sym) for i, sym in enumerate(
            ("BTC/USDT:USDT", "ETH/USDT:USDT", "EURUSD", "GBPUSD", "XAUUSD")))
        return replace(snap, regimes=five, risk=replace(snap.risk, kill_switch=True,
                                          lock_reason="kill switch engaged manually: drill"))

    brain = FakeBrain(dao, clock, script=locked)  # type: ignore[arg-type]
    app = fake_app(brain, clock)
    async with app.run_test(size=size) as pilot:
        await app.cycle_once()
        await settle(pilot)
        header, banner = app.desk.query_one(DeskHeader), app.desk.banner  # type: ignore[union-attr]
        assert banner.display and banner.region.height >= 2
        assert header.region.height >= 1
        assert header.region.bottom <= banner.region.y  # stacked, not overlapping
        desk = app.desk.query_one("#desk")  # type: ignore[union-attr]
        assert banner.region.bottom <= desk.region.y
        if size == (120, 40):  # one screen: the event log keeps at least three lines
            lines = app.desk.query_one("#log-lines")  # type: ignore[union-attr]
            assert lines.region.height >= 3, lines.region
