"""A lock carried over a restart reads in Russian on the ru desk, with the unlock command
for the account the desk trades.

The real brain on the mock market and a real database: the drawdown guard (the real tool)
engages the daily lock on a non-default account, the desk quits, a new brain opens the same
database and account, and the ru banner states the saved cause in Russian and the
``ats unlock --daily-lock ... --account NAME`` command. Then the trader engages the kill
switch from the desk, and after the next restart the banner states that cause in Russian.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ats import i18n
from ats.brain.runtime import RunOptions, build_orchestrator
from ats.domain import FixedClock
from ats.i18n.said import render
from ats.tui.app import DeskApp
from ats.tui.launch import desk_for
from storage.dao import PersistDAO
from tests.test_ru_complete import english_words
from tests.tui.conftest import settle
from tests.tui.real_brain import CLOCK_START, MOCK_START, SEED, run_minutes

ACCOUNT = "desk-2"
SIZE = (160, 48)


def _desk(db: Path, clock: FixedClock, run_id: str) -> DeskApp:
    o = build_orchestrator(RunOptions(db_path=db, clock=clock, run_id=run_id, seed=SEED,
                                      account=ACCOUNT), env={})
    app = desk_for(o, tick_interval=None, refresh_interval=None)
    app.animation_level = "none"
    return app


def _banner(app: DeskApp) -> str:
    banner = app.desk.banner
    assert banner.has_class("shown")
    return " ".join((banner._shown or "").split())  # the plain text the banner shows


async def _restart(db: Path, clock: FixedClock, run_id: str) -> tuple[DeskApp, str]:
    app = _desk(db, clock, run_id)
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, clock, 1)
        await settle(pilot)
        text = _banner(app)
        await pilot.press("f10")
        await pilot.pause()
    return app, text


@pytest.mark.slow
async def test_a_carried_lock_reads_in_russian_with_the_accounts_unlock_command(
        tmp_path: Path) -> None:
    db = tmp_path / "ats.db"
    with PersistDAO(db, account=ACCOUNT) as dao:
        dao.create_account(ACCOUNT, currency="USD", starting_equity=10_000.0, ts=MOCK_START)
    clock = FixedClock(CLOCK_START)
    i18n.set_language("ru")

    # 1. a losing day: the real drawdown guard engages the daily lock
    app = _desk(db, clock, "run-1")
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, clock, 2)
        o = app.brain
        limit = o.governance.locks.daily_max_loss
        guard = o.registry.call("guard_drawdown", o.ctx, daily_pnl_pct=-limit - 0.002,
                                trailing_dd_pct=0.0)
        o.lock_events(list(o.locks.apply_guard(guard, clock.now_ms())))
        await run_minutes(app, clock, 1)
        await settle(pilot)
        assert o.snapshot.risk.daily_lock
        await pilot.press("f10")
        await pilot.pause()

    # 2. restart on the same database and account: the lock and its cause come back
    _, text = await _restart(db, clock, "run-2")
    want = f"дневной лимит убытка: PnL за день -{limit + 0.002:.2%} <= -{limit:.2%}"
    assert want in text, text
    assert f'ats unlock --daily-lock --reason "…" --account {ACCOUNT} --db {db}' in text, text
    assert not english_words(text.split("ats unlock")[0]), text  # the command stays as typed

    # 3. the trader engages the kill switch from the desk; it outlives the next restart too
    app = _desk(db, clock, "run-3")
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, clock, 1)
        await app.engage_kill_switch("учебная тревога")
        await settle(pilot)
        assert app.brain.snapshot.risk.kill_switch
        await pilot.press("f10")
        await pilot.pause()
    _, text = await _restart(db, clock, "run-4")
    assert "аварийный стоп включён вручную: учебная тревога" in text, text
    assert f'ats unlock --kill-switch --reason "…" --account {ACCOUNT} --db {db}' in text, text
    # the journal's restart note quotes the saved cause; the desk's log reads it in Russian
    with PersistDAO(db, account=ACCOUNT) as dao:
        note = [r for r in dao.journal_tail(20, kind="lock") if "after restart" in r.text][-1]
    assert render(note.text, note.payload.get("said"), "ru") == (
        "аварийный стоп всё ещё включён после перезапуска: аварийный стоп включён вручную: "
        "учебная тревога")

    # 4. the English desk reads the same saved causes in English
    i18n.set_language("en")
    _, text = await _restart(db, clock, "run-5")
    assert "kill switch engaged manually: учебная тревога" in text, text
