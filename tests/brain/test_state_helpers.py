"""Locks, shadow book, reconciliation and journal text."""

from __future__ import annotations

import numpy as np
import pytest

from ats.brain.locks import DAILY, KILL, LockManager
from ats.brain.recovery import reconcile
from ats.brain.report import cycle_text, percentile
from ats.brain.shadow import ShadowBook
from ats.brain.tools import GuardResult
from ats.domain import Bars, Position, Side, StrategySignal
from ats.risk import TradePlan
from tests.brain.fakes import MemoryDAO

DAY = 86_400_000


def test_daily_lock_engages_persists_and_releases_next_utc_day() -> None:
    dao = MemoryDAO()
    lm = LockManager(dao)
    ev = lm.apply_guard(GuardResult(False, True, False, "daily lock: -1.9%"), ts=DAY * 10 + 5)
    assert [e.name for e in ev] == [DAILY] and lm.daily_lock and lm.blocked
    assert lm.apply_guard(GuardResult(False, True, False, "daily lock"), ts=DAY * 10 + 6) == []
    again = LockManager(dao)
    again.load()
    assert again.daily_lock and again.status()[0] == "daily_lock"
    assert again.roll_day(DAY * 11 - 1) is None
    rel = again.roll_day(DAY * 11)
    assert rel is not None and rel.kind == "unlock" and not again.daily_lock
    assert dao.locks[DAILY]["engaged"] is False


def test_kill_switch_stays_until_unlocked_and_survives_reload() -> None:
    dao = MemoryDAO()
    lm = LockManager(dao)
    lm.apply_guard(GuardResult(False, True, True, "kill switch: dd; daily lock: x"), ts=1)
    assert lm.kill_switch and lm.kill_reason.startswith("kill switch")
    assert lm.status()[0] == "kill_switch"
    lm.roll_day(DAY * 5)
    assert lm.kill_switch  # a new day does not release it
    re = LockManager(dao)
    re.load()
    assert re.kill_switch
    ev = re.unlock_kill("checked the venue", ts=DAY * 5)
    assert ev.kind == "unlock" and "checked the venue" in ev.reason and not re.kill_switch
    assert dao.locks[KILL]["released_at"] == DAY * 5
    manual = re.engage_kill("news", ts=DAY * 6)
    assert "manually" in manual.reason and re.kill_switch


def test_release_by_another_process_is_picked_up() -> None:
    dao = MemoryDAO()
    lm = LockManager(dao)
    lm.engage_kill("x", ts=1)
    assert lm.refresh_released(2) == (False, False)
    dao.locks[KILL] = {"engaged": False, "released_at": 3}
    assert lm.refresh_released(4) == (True, False)
    assert not lm.kill_switch and lm.kill_released_at == 3
    lm.apply_guard(GuardResult(False, True, False, "daily lock: x"), ts=5)
    dao.locks[DAILY] = {"engaged": False}
    assert lm.refresh_released(6) == (False, True) and not lm.daily_lock


def test_governance_lock_wins_status() -> None:
    lm = LockManager(MemoryDAO())
    ev = lm.lock_governance("configs/governance.yaml", ts=1)
    assert ev is not None and "changed on disk" in ev.reason
    assert lm.lock_governance("configs/governance.yaml", ts=2) is None
    assert lm.status()[0] == "governance_lock"


def _plan(side: Side = Side.BUY, strategy: str = "ch") -> TradePlan:
    stop, take = (95.0, 110.0) if side is Side.BUY else (105.0, 90.0)
    return TradePlan("X", side, 2.0, 100.0, stop, take, 10.0, 0.001, 200.0, strategy,
                     timeframe="1m", ts=0)


def _bar(high: float, low: float, ts: int = 60_000) -> Bars:
    a = np.array
    return Bars.from_arrays("X", "1m", a([ts]), a([100.0]), a([high]), a([low]), a([100.0]),
                            a([1.0]))


def test_shadow_book_scores_virtual_trades() -> None:
    book = ShadowBook()
    assert book.open(_plan())
    assert not book.open(_plan())  # one virtual position per symbol
    assert book.on_bar("X", _bar(101.0, 99.0)) == []
    closed = book.on_bar("X", _bar(111.0, 99.0))
    assert closed == [("ch", pytest.approx(20.0))]
    book.open(_plan(Side.SELL))
    assert book.on_bar("X", _bar(106.0, 89.0)) == [("ch", pytest.approx(-10.0))]  # stop first
    book.open(_plan())
    same_side = StrategySignal("ch", "X", "1m", Side.BUY, 103.0, None, 1.0, "exit", 0,
                               is_exit=True)
    assert book.exit_signal(same_side) is None  # an exit on the entry side closes nothing
    sig = StrategySignal("ch", "X", "1m", Side.SELL, 103.0, None, 1.0, "exit", 0, is_exit=True)
    assert book.exit_signal(sig) == pytest.approx(6.0)
    sc = book.scores["ch"]
    assert (sc.trades, sc.wins, sc.plans, sc.open_positions) == (3, 2, 4, 0)
    assert sc.pnl == pytest.approx(16.0) and sc.win_rate == pytest.approx(2 / 3)


def test_reconcile_reports_every_disagreement() -> None:
    db = [Position("A", 1.0, 10.0, 0, stop=9.0, take=12.0, strategy="s"),
          Position("B", 2.0, 10.0, 0), Position("C", 1.0, 10.0, 0)]
    venue = [Position("A", 1.0, 10.0, 0), Position("B", 3.0, 10.0, 0),
             Position("D", -1.0, 5.0, 0)]
    rec = reconcile(db, venue, venue_name="mock")
    by = {p.symbol: p for p in rec.positions}
    assert set(by) == {"A", "B", "D"} and by["B"].qty == 3.0
    assert by["A"].stop == 9.0 and by["A"].strategy == "s"  # remembered stop re-attached
    text = " ".join(rec.mismatches)
    assert "C: database has 1" in text and "B: database has 2, venue on mock has 3" in text
    assert "D: the venue on mock has -1" in text and not rec.ok
    assert reconcile(db[:1], venue[:1]).ok


def test_cycle_text_names_locks_and_reasons() -> None:
    text = cycle_text({
        "cycle": 4, "regime_changes": {"X": "panic"}, "signals": ["BUY X"], "plans": [
            {"strategy": "s", "side": "buy", "qty": 1.0, "symbol": "X", "stop": None,
             "take": 2.0, "risk_pct": 0.001}],
        "rejections": [{"strategy": "s", "symbol": "Y", "code": "risk_cap", "reason": "full"}],
        "locks": {"daily_lock": True, "kill_switch": True, "governance_lock": True,
                  "safe_mode": True, "max_correlation": 0.9},
        "connected": False, "errors": {"regime": "boom"},
    })
    for word in ("daily lock", "kill switch", "governance", "safe mode", "X -> panic",
                 "risk_cap", "disconnected", "boom"):
        assert word in text
    assert percentile([], 50) == 0.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 100.0], 99) == 100.0
    assert percentile([1.0, 2.0, 3.0], 50) == 2.0
