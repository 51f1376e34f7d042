"""The desk shows the last ``ats audit`` verdict of its account, on the real brain.

The verdict comes from the real audit (``run_audit``) over the desk's own database; a
breach is produced by auditing the same ledger against limits tighter than the ones it
traded under, so the header must show what the audit stored, not a value the test set.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ats.audit import last_verdict, run_audit
from ats.config import load_governance
from ats.domain import FixedClock
from ats.tui.app import AUDIT_EVERY
from ats.tui.widgets.risk import RiskPanel
from tests.tui.real_brain import CLOCK_START, real_desk, run_minutes

SIZE = (160, 40)


def header_text(app: object) -> str:
    """What the risk panel's bottom border says (where the desk shows the verdict)."""
    from rich.text import Text

    sub = app.desk.query_one(RiskPanel).border_subtitle  # type: ignore[attr-defined]
    return "" if sub is None else Text.from_markup(str(sub)).plain


def tightened(gov: object) -> object:
    """The shipped governance with a per-trade risk limit no real entry can meet."""
    risk = gov.risk.model_copy(update={"max_risk_per_trade": 1e-9})  # type: ignore[attr-defined]
    return gov.model_copy(update={"risk": risk})  # type: ignore[attr-defined]


async def test_desk_shows_never_then_ok_then_breaches(tmp_path: Path) -> None:
    clock = FixedClock(CLOCK_START)
    app = real_desk(tmp_path / "desk.db", clock)
    gov = load_governance().governance
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, clock, 20)
        await pilot.pause()
        assert "audit: never run" in header_text(app)
        dao = app.brain.dao
        account = dao.account
        checks = run_audit(dao, gov, account, ts=CLOCK_START)
        assert all(c.ok for c in checks), [c.breaches[:1] for c in checks if not c.ok]
        # not re-read on every tick: only after AUDIT_EVERY refreshes
        for _ in range(AUDIT_EVERY - 1 - app.ticks % AUDIT_EVERY):
            app.refresh_desk()
        await pilot.pause()
        assert "audit: never run" in header_text(app)
        app.refresh_desk()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "audit ok 2026-01-05 03:55" in header_text(app)

        with dao.db.read() as conn:
            n_fills = conn.execute("SELECT count(*) FROM fills").fetchall()[0][0]
        if n_fills == 0:
            pytest.fail("the real brain made no fill in 20 minutes; the breach needs one")
        checks = run_audit(dao, tightened(gov), account, ts=CLOCK_START + 60_000)
        n = sum(len(c.breaches) for c in checks)
        assert n > 0, n
        assert last_verdict(dao, account).breaches == n  # type: ignore[union-attr]
        app.reload_audit()
        await app.workers.wait_for_complete()
        await pilot.pause()
        word = "breach" if n == 1 else "breaches"
        assert f"audit: {n} {word} — run ats audit" in header_text(app)
        await pilot.press("f10")
        await pilot.pause()


def test_audit_field_in_russian() -> None:
    from ats.i18n import language, set_language
    from ats.tui.widgets.header import audit_segment

    before = language()
    set_language("ru")
    try:
        assert audit_segment(True, 0, None).plain == "аудит: не проводился"
        assert audit_segment(False, 3, CLOCK_START).plain == \
            "аудит: нарушений 3 — запустите ats audit"
        assert audit_segment(True, 0, CLOCK_START).plain == "аудит ок 2026-01-05 03:55"
    finally:
        set_language(before)
