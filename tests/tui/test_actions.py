"""The trader's actions, driven through the desk (palette → pick → confirm) on the real
orchestrator, paper engine and mock market: each is confirmed, reaches the brain through its
queue, changes the book or the strategy set, and is journaled; the next cycles respect it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Checkbox, OptionList

from ats.brain.actions import TraderAction
from ats.brain.state import BrainSnapshot
from ats.domain import FixedClock, OrderIntent, OrderType, Side
from ats.tui.app import DeskApp
from ats.tui.screens.actions import ConfirmAction, PickScreen
from ats.tui.screens.kill_switch import KillSwitchDialog
from tests.tui.conftest import settle
from tests.tui.real_brain import CLOCK_START, RUN_ID, real_desk, run_minutes

SIZE = (120, 40)
MINUTES = 175  # the ETH short opens at cycle 171 on seed 7


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(CLOCK_START)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "desk.db"


async def palette(pilot, title: str) -> None:  # type: ignore[no-untyped-def]
    """Run a command palette entry by its exact title (as a trader would pick it)."""
    app = pilot.app
    cmd = next(c for c in app.get_system_commands(app.screen) if c.title == title)
    result = cmd.callback()
    if result is not None:
        await result
    await settle(pilot)


def actions(app: DeskApp) -> list[str]:
    return [r.text for r in app.brain.dao.journal_tail(50, kind="action", run_id=RUN_ID)]


def snap(app: DeskApp) -> BrainSnapshot:
    return app.brain.snapshot


async def test_flatten_a_position_from_the_palette(db: Path, clock: FixedClock) -> None:
    app = real_desk(db, clock)
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, clock, MINUTES)
        await settle(pilot)
        held = snap(app).positions
        assert len(held) == 2  # GBPUSD (warm start, cycle 1) and the ETH short (cycle 171)
        pos = next(p for p in held if p.symbol.startswith("ETH"))
        fills_before = app.brain.counters.fills
        await palette(pilot, "Flatten a position")
        assert isinstance(app.screen, PickScreen)
        app.screen.query_one(OptionList).highlighted = held.index(pos)
        await pilot.press("enter")
        assert isinstance(app.screen, ConfirmAction)
        await pilot.press(*"news in 5 min", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmAction)
        assert [p.symbol for p in snap(app).positions] == ["GBPUSD"]  # only the chosen one
        assert app.brain.counters.fills == fills_before + 1
        [text] = actions(app)
        assert text.startswith(f"trader flattened {pos.symbol}: news in 5 min")
        # the flatten's fill is in the event log and on the chart
        assert any(f.symbol == pos.symbol and f.side == pos.side.opposite.value
                   for f in app.fills)
        await run_minutes(app, clock, 3)  # the brain goes on; the book stays flat
        assert all(p.symbol != pos.symbol or p.ts > pos.ts for p in snap(app).positions)


async def test_cancel_orders_of_a_symbol(db: Path, clock: FixedClock) -> None:
    app = real_desk(db, clock)
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, clock, 2)
        o = app.brain
        q = await o.adapter.quote("EURUSD")
        order = await o.adapter.place_order(OrderIntent(
            "manual-1", "EURUSD", Side.BUY, 0.01, OrderType.LIMIT,
            limit_price=round(q.bid * 0.9, 5)))
        o.exec_agent.open_orders[order.client_order_id] = order
        await run_minutes(app, clock, 1)
        await settle(pilot)
        assert [x.client_order_id for x in snap(app).open_orders] == ["manual-1"]
        await palette(pilot, "Cancel a symbol's orders")
        assert isinstance(app.screen, PickScreen)
        await pilot.press("enter")
        await pilot.press("escape")  # cancelled at the confirmation: nothing happens
        await settle(pilot)
        assert [x.client_order_id for x in snap(app).open_orders] == ["manual-1"]
        assert actions(app) == []
        await palette(pilot, "Cancel a symbol's orders")
        await pilot.press("enter", *"stale", "enter")
        await settle(pilot)
        assert snap(app).open_orders == ()
        assert (await o.adapter.fetch_order("manual-1", "EURUSD")).status.is_terminal
        assert actions(app) == ["trader cancelled 1 order(s) of EURUSD: stale"]


async def test_disable_and_enable_a_strategy(db: Path, clock: FixedClock) -> None:
    app = real_desk(db, clock)
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, clock, 2)
        await settle(pilot)
        await palette(pilot, "Disable a strategy")
        assert isinstance(app.screen, PickScreen)
        picks = app.screen.query_one(OptionList)
        names = [picks.get_option_at_index(i).id for i in range(picks.option_count)]
        target = "volatility_expansion_15m"
        picks.highlighted = names.index(target)
        await pilot.press("enter", *"misbehaving", "enter")
        await settle(pilot)
        view = next(s for s in snap(app).strategies if s.name == target)
        assert view.status == "disabled" and "by the trader: misbehaving" in (view.last_signal
                                                                               or "")
        await run_minutes(app, clock, 30)  # it signals no more while disabled
        assert target not in app.brain.selection.active
        assert next(s for s in snap(app).strategies if s.name == target).status == "disabled"
        await palette(pilot, "Enable a strategy")
        await pilot.press("enter", *"fixed", "enter")
        await settle(pilot)
        assert next(s for s in snap(app).strategies if s.name == target).status != "disabled"
        assert actions(app) == [f"trader disabled strategy {target}: misbehaving",
                                f"trader enabled strategy {target}: fixed"]


async def test_kill_switch_cancels_resting_orders_and_can_flatten(
        db: Path, clock: FixedClock) -> None:
    app = real_desk(db, clock)
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, clock, MINUTES)
        o = app.brain
        q = await o.adapter.quote("EURUSD")
        order = await o.adapter.place_order(OrderIntent(
            "manual-2", "EURUSD", Side.BUY, 0.01, OrderType.LIMIT,
            limit_price=round(q.bid * 0.9, 5)))
        o.exec_agent.open_orders[order.client_order_id] = order
        await settle(pilot)
        assert snap(app).positions
        await pilot.press("f8")
        assert isinstance(app.screen, KillSwitchDialog)
        app.screen.query_one("#kill-flatten", Checkbox).value = True
        await pilot.press(*"drill", "enter")
        await settle(pilot)
        s = snap(app)
        assert s.risk.kill_switch and s.positions == () and s.open_orders == ()
        [text] = actions(app)
        assert text.startswith("trader engaged the kill switch: drill; cancelled 1 resting")
        assert "flattened 2 fill(s)" in text  # both positions closed
        # the banner says it persists and how to release it; the header says locked
        banner = str(app.desk.banner.render())  # type: ignore[union-attr]
        assert "KILL SWITCH" in banner and "ats unlock --kill-switch" in banner
        assert app.header_info().status == "locked"
        await run_minutes(app, clock, 20)  # no new risk while engaged
        assert snap(app).positions == () and snap(app).risk.kill_switch


async def test_actions_wait_for_a_running_cycle(db: Path, clock: FixedClock) -> None:
    """An action queued while a cycle holds the lock is applied after it, never inside it:
    the brain drains the queue at the start of the next cycle, before its stages run."""
    app = real_desk(db, clock)
    async with app.run_test(size=SIZE):
        await run_minutes(app, clock, 1)
        o = app.brain
        seen: list[bool] = []
        real_select = o.selection.select

        def spy(inp):  # type: ignore[no-untyped-def]
            seen.append("breakout_4h" in o.selection.disabled)
            return real_select(inp)

        o.selection.select = spy  # type: ignore[method-assign]
        clock.advance(60_000)
        async with o._cycle_lock:  # a cycle is running: the action must wait for the lock
            o.actions.put(TraderAction("disable", "breakout_4h", "test"))
            assert "breakout_4h" not in o.selection.disabled
        await o.run_cycle()
        assert seen and all(seen)  # already disabled when selection ran in this cycle
        assert len(o.actions) == 0
        records = o.dao.journal_tail(5, run_id=RUN_ID)
        kinds = [r.kind for r in records]
        assert kinds[-2:] == ["action", "cycle"]  # journaled before the cycle's record
        assert records[-2].text == "trader disabled strategy breakout_4h: test"


async def test_screenshot_from_the_palette_lands_in_the_data_dir(db: Path,
                                                                 clock: FixedClock) -> None:
    app = real_desk(db, clock)
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, clock, 1)
        await palette(pilot, "Screenshot")
        shots = list((db.parent / "screenshots").glob("*.svg"))
        assert len(shots) == 1 and shots[0].read_text().startswith("<svg")
        assert any(f"screenshot saved to {shots[0]}" in e.text for e in app.events)
