from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ats.cli.main import main
from ats.domain import Fill, Side
from ats.monitor.report import ReportError, collect, max_drawdown, write_report
from storage.dao import PersistDAO
from storage.protocol import EquityPoint

T0 = 1_767_571_200_000  # 2026-01-05 00:00 UTC


def _fill_db(path: Path, *, virtual: str | None = None, close: bool = True) -> None:
    dao = PersistDAO(path)
    dao.open_run("r1", mode="vst" if virtual else "paper", adapter="mock", ts=T0,
                 meta={"virtual_asset": virtual} if virtual else {})
    equities = [10_000, 10_100, 9_900, 10_050, 9_800, 10_200]
    for i, eq in enumerate(equities):
        dao.record_equity(EquityPoint(T0 + i * 60_000, eq, eq, 0.0, 0.0, "r1"))
        payload = {"cycle": i + 1, "latency_ms": float(i + 1),
                   "rejections": [{"code": "risk_cap", "reason": "cap"}] if i % 2 else [],
                   "errors": {}}
        dao.journal("cycle", payload, ts=T0 + i * 60_000, run_id="r1", text=f"cycle {i + 1}")
    dao.record_fill(Fill("f1", "o1", "BTC", Side.BUY, 1.0, 100.0, 0.05, T0, venue="mock",
                         virtual_asset=virtual), "r1")
    if close:
        dao.close_run("r1", ts=T0 + 3_600_000, summary={
            "cycles": 6, "pnl": 200.0, "locks": ["daily lock engaged at cycle 4"], "errors": 0,
            "shadow": {"ch1": {"plans": 3, "trades": 2, "pnl": 12.5}}})
    dao.close()


def test_max_drawdown_from_running_peak() -> None:
    pts = [EquityPoint(i, v, v, 0, 0, "r") for i, v in enumerate([100, 120, 90, 130, 117])]
    assert max_drawdown(pts) == pytest.approx(90 / 120 - 1)
    assert max_drawdown([]) == 0.0


def test_report_files_and_figures(tmp_path: Path) -> None:
    db = tmp_path / "ats.db"
    _fill_db(db)
    dao = PersistDAO(db)
    facts, series = collect(dao, "r1")
    assert facts.cycles == 6 and facts.trades == 1 and facts.closed
    assert facts.rejections == {"risk_cap": 3}
    assert facts.max_drawdown_pct == pytest.approx(9_800 / 10_100 - 1)
    assert facts.latency_ms["max"] == 6.0
    written = write_report(dao, "r1", tmp_path / "reports")
    dao.close()
    names = {p.name for p in written}
    assert names == {"summary.md", "equity.png"}
    md = (tmp_path / "reports" / "run_r1" / "summary.md").read_text()
    assert "| cycles | 6 |" in md and "risk_cap | 3" in md and "daily lock engaged" in md
    assert "ch1" in md and "![equity" in md
    png = (tmp_path / "reports" / "run_r1" / "equity.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_virtual_run_gets_virtual_summary(tmp_path: Path) -> None:
    db = tmp_path / "ats.db"
    _fill_db(db, virtual="VST", close=False)
    dao = PersistDAO(db)
    written = write_report(dao, "r1", tmp_path / "reports")
    dao.close()
    virtual = tmp_path / "reports" / "run_r1" / "virtual_summary.md"
    assert virtual in written
    text = virtual.read_text()
    assert "virtual asset: **VST**" in text and "did not close cleanly" in text


def test_unknown_run(tmp_path: Path) -> None:
    db = tmp_path / "ats.db"
    _fill_db(db)
    dao = PersistDAO(db)
    with pytest.raises(ReportError, match="nope"):
        collect(dao, "nope")
    dao.close()


def test_report_cli(tmp_path: Path) -> None:
    db = tmp_path / "ats.db"
    _fill_db(db)
    runner = CliRunner()
    res = runner.invoke(main, ["report", "r1", "--db", str(db), "--out", str(tmp_path / "rep")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "rep" / "run_r1" / "summary.md").exists()
    res = runner.invoke(main, ["report", "zzz", "--db", str(db), "--out", str(tmp_path / "rep")])
    assert res.exit_code != 0 and "zzz" in res.output
    res = runner.invoke(main, ["report", "r1", "--db", str(tmp_path / "missing.db")])
    assert res.exit_code != 0 and "missing.db" in res.output


def test_the_report_names_the_account_currency(tmp_path: Path) -> None:
    """``ats run`` records the account currency in the run summary; the report says it."""
    db = tmp_path / "ats.db"
    res = CliRunner().invoke(main, ["run", "--paper", "--max-cycles", "3", "--speed", "6000",
                                    "--db", str(db), "--run-id", "cur-1", "--no-metrics"])
    assert res.exit_code == 0, res.output
    dao = PersistDAO(db)
    try:
        facts, _ = collect(dao, "cur-1")
        write_report(dao, "cur-1", tmp_path / "reports")
    finally:
        dao.close()
    assert facts.currency == "USD"  # the mock account's currency
    md = (tmp_path / "reports" / "run_cur-1" / "summary.md").read_text()
    assert "account currency: **USD**" in md
