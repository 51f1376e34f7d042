"""`ats doctor` shows ledger vs venue; an unexplained difference stops trading until resolved."""

from __future__ import annotations

from pathlib import Path

from ats.domain import Position
from storage.dao import PersistDAO
from tests.account.helpers import ats, rows

RUN = ["run", "--paper", "--use-mock-feed", "--speed", "20000"]


def _stale_position(db: Path) -> None:
    with PersistDAO(db) as dao:
        dao.upsert_position(Position("EURUSD", 1000.0, 1.1, 1, stop=1.09, venue="paper:mock"),
                            "legacy")


def test_difference_blocks_trading_until_adopted(tmp_path: Path) -> None:
    db = tmp_path / "doc.db"
    _stale_position(db)
    blocked = ats(*RUN, "--max-cycles", "20", "--db", str(db), "--run-id", "b1")
    assert blocked.returncode == 0, blocked.stderr
    out = " ".join(blocked.stdout.split())
    assert "NOT TRADING" in out and "EURUSD" in out
    assert rows(db, "SELECT count(*) FROM orders WHERE run_id = 'b1'")[0][0] == 0
    shown = ats("doctor", "--db", str(db))
    assert shown.returncode == 1 and "DIFFERS" in shown.stdout
    fixed = ats("doctor", "--adopt", "--db", str(db))
    assert fixed.returncode == 0, fixed.stderr
    assert rows(db, "SELECT count(*) FROM positions WHERE symbol = 'EURUSD'")[0][0] == 0
    assert rows(db, "SELECT count(*) FROM journal WHERE kind = 'doctor'")[0][0] == 1
    assert ats("doctor", "--db", str(db)).returncode == 0
    again = ats(*RUN, "--max-cycles", "3", "--db", str(db), "--run-id", "b2")
    assert again.returncode == 0 and "NOT TRADING" not in again.stdout


def test_flatten_closes_what_the_paper_venue_holds_with_a_fill(tmp_path: Path) -> None:
    db = tmp_path / "flat.db"
    with PersistDAO(db) as dao:
        dao.ensure_account("paper", currency="USD", starting_equity=10_000, ts=1)
        dao.save_state("paper_venue", {
            "version": 1, "venue": "paper:mock", "balance": 10_000.0,
            "positions": {"EURUSD": [1000.0, 1.10, 0.0, 1, "s"]}, "marks": {"EURUSD": 1.12},
            "open_orders": []}, ts=1)
    res = ats("doctor", "--flatten", "--db", str(db))
    assert res.returncode == 0, res.stderr
    fills = rows(db, "SELECT side, qty, price FROM fills")
    assert fills == [("sell", 1000.0, 1.12)]
    assert ats("doctor", "--db", str(db)).returncode == 0
