"""Runs are findable: ``ats run`` and the desk print the run id on exit, ``ats runs`` lists
it with its cycles and P&L, and ``ats report`` with an unknown id points to ``ats runs``."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from ats.cli.main import main
from ats.tui.app import DeskApp


def ats(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, ["--lang", "en", *args], catch_exceptions=False)
    return res.exit_code, " ".join(res.output.split())


def test_run_prints_its_id_and_runs_lists_it(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    code, out = ats("run", "--paper", "--max-cycles", "3", "--speed", "6000", "--db", str(db),
                    "--run-id", "run-findable-0001-with-a-long-id")
    assert code == 0, out
    assert "Run id: run-findable-0001-with-a-long-id" in out
    assert f"ats runs --db {db}" in out
    code, out = ats("runs", "--db", str(db))
    assert code == 0, out
    assert "run-findable-0001-with-a-long-id" in out.replace(" ", "")  # whole, maybe folded
    assert "paper" in out and "mock" in out
    assert re.search(r" 3 [+-][\d,]+\.\d\d ", out)  # cycles and P&L from the run summary
    code, out = ats("report", "no-such-run", "--db", str(db), "--out", str(tmp_path))
    assert code == 2 and "`ats runs` lists the runs" in out
    res = CliRunner().invoke(main, ["--lang", "ru", "report", "no-such-run", "--db", str(db),
                                    "--out", str(tmp_path)], catch_exceptions=False)
    ru = " ".join(res.output.split())
    assert res.exit_code == 2 and "запуска 'no-such-run' нет в базе данных" in ru, ru


def test_runs_without_a_database_says_how_to_point_at_one(tmp_path: Path) -> None:
    code, out = ats("runs", "--db", str(tmp_path / "missing.db"))
    assert code == 2 and "pass --db or set ATS_DB" in out


def test_the_desk_prints_the_run_id_on_exit(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """``ats tui`` with the app driven headlessly for two cycles, then quit."""

    def headless(self: DeskApp) -> None:
        async def drive() -> None:
            async with self.run_test(size=(120, 40)):
                await self.ensure_started()
                for _ in range(2):
                    await self.cycle_once()
                await self.shutdown_brain()

        asyncio.run(drive())

    monkeypatch.setattr(DeskApp, "run", headless)
    db = tmp_path / "desk.db"
    code, out = ats("tui", "--paper", "--db", str(db), "--speed", "6000")
    assert code == 0, out
    assert "Run id: " in out and f"ats runs --db {db}" in out
    run_id = out.split("Run id: ", 1)[1].split(" ", 1)[0]
    code, listed = ats("runs", "--db", str(db))
    assert run_id in listed.replace(" ", "")


def test_a_run_id_already_in_the_database_is_refused_and_the_first_run_kept(
        tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    code, out = ats("run", "--paper", "--max-cycles", "3", "--speed", "6000", "--db", str(db),
                    "--run-id", "twice")
    assert code == 0, out
    import apsw

    def runs_and_cycles() -> list[tuple[object, ...]]:
        conn = apsw.Connection(str(db), flags=apsw.SQLITE_OPEN_READONLY)
        try:
            return list(conn.execute("SELECT run_id, started_ts, ended_ts, summary FROM runs"))
        finally:
            conn.close()

    before = runs_and_cycles()
    res = CliRunner().invoke(main, ["--lang", "en", "run", "--paper", "--max-cycles", "3",
                                    "--speed", "6000", "--db", str(db), "--run-id", "twice"])
    assert res.exit_code == 2
    lines = [x for x in res.output.splitlines() if x.strip()]
    assert len(lines) == 1 and "--run-id" in lines[0] and "already exists" in lines[0], lines
    assert runs_and_cycles() == before  # the first run's record is untouched
