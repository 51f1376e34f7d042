"""``ats tui``: live refused, defaults that need no set-up, options passed to the brain."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ats.cli import tui_cmd
from ats.cli.main import main
from ats.domain import Mode


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    calls: list[dict[str, object]] = []
    monkeypatch.setattr(tui_cmd, "run_desk", lambda opts, port=None: calls.append(opts))
    return calls


@pytest.mark.parametrize("args", [["--live"], ["--mode", "live"], ["--paper", "--live"]])
def test_live_is_refused_with_exit_code_3(args: list[str], captured: list[object]) -> None:
    res = CliRunner().invoke(main, ["tui", *args])
    assert res.exit_code == 3
    assert "live trading refused" in res.output
    assert captured == []


def test_live_from_the_environment_is_refused(
    captured: list[object], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MODE", "live")
    res = CliRunner().invoke(main, ["tui", "--paper"])
    assert res.exit_code == 3 and captured == []


def test_paper_defaults_to_the_mock_market_and_creates_the_db_dir(
    captured: list[dict[str, object]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, ["tui", "--paper"])
    assert res.exit_code == 0, res.output
    (opts,) = captured
    assert opts == {"mode": Mode.PAPER, "adapter": "mock", "db_path": Path("data/ats.db")}
    assert (tmp_path / "data").is_dir()


def test_options_reach_the_brain(
    captured: list[dict[str, object]], tmp_path: Path
) -> None:
    db = tmp_path / "deep" / "dir" / "x.db"
    res = CliRunner().invoke(main, ["tui", "--mode", "vst", "--speed", "120", "--seed", "9",
                                    "--db", str(db), "--lang", "ru"])
    assert res.exit_code == 0, res.output
    (opts,) = captured
    assert opts == {"mode": Mode.VST, "adapter": "bingx", "db_path": db, "speed": 120.0,
                    "seed": 9}
    assert db.parent.is_dir()
    from ats.i18n import language

    assert language() == "ru"


def test_an_unwritable_db_dir_is_a_clear_error(captured: list[object], tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    res = CliRunner().invoke(main, ["tui", "--db", str(blocker / "sub" / "ats.db")])
    assert res.exit_code == 2
    assert "cannot create the database directory" in res.output and "--db" in res.output
    assert captured == []


def test_help_lists_the_tui_options() -> None:
    res = CliRunner().invoke(main, ["tui", "--help"])
    assert res.exit_code == 0
    for option in ("--paper", "--adapter", "--speed", "--seed", "--lang", "--db",
                   "--metrics-port"):
        assert option in res.output


def test_run_desk_closes_the_brain_even_if_the_app_dies(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from ats.brain.orchestrator import BrainOrchestrator
    from ats.tui.app import DeskApp

    stopped: list[bool] = []
    built: list[DeskApp] = []

    def dying_run(self: DeskApp) -> None:
        built.append(self)
        raise RuntimeError("terminal went away")

    async def stop(self: BrainOrchestrator) -> None:
        stopped.append(True)

    monkeypatch.setattr(DeskApp, "run", dying_run)
    monkeypatch.setattr(BrainOrchestrator, "stop", stop)
    served: list[tuple[str, int]] = []
    unserved: list[bool] = []

    def attach(orchestrator: object, host: str, port: int) -> object:
        served.append((host, port))
        return lambda: unserved.append(True)

    monkeypatch.setattr("ats.cli.run_cmd.attach_metrics", attach)
    with pytest.raises(RuntimeError, match="terminal went away"):
        tui_cmd.run_desk({"mode": Mode.PAPER, "adapter": "mock", "db_path": tmp_path / "a.db",
                          "speed": 120.0}, metrics_port=0)
    assert stopped == [True] and served == [("127.0.0.1", 0)] and unserved == [True]
    (app,) = built
    assert app.mode == "paper" and app.venue == "mock" and app.speed == 120.0
    assert app.pacer is not None and app.refresh_interval == 0.2


def test_a_brain_that_cannot_be_built_is_a_clear_error(tmp_path: Path) -> None:
    empty = tmp_path / "no-configs"
    empty.mkdir()
    res = CliRunner().invoke(main, ["tui", "--db", str(tmp_path / "x.db"),
                                    "--config-dir", str(empty)])
    assert res.exit_code == 2
    out = res.output.replace("\n", "")  # the console wraps long paths
    assert "cannot prepare the brain" in out and "governance.yaml: file not found" in out


def test_a_broken_database_is_a_database_fault_like_ats_run(tmp_path: Path) -> None:
    """`ats run` says a damaged file is a database fault (exit 4); the desk said exit 2."""
    bad = tmp_path / "bad.db"
    bad.write_text("not a database at all, just text\n")
    codes = []
    for command in ("tui", "run"):
        res = CliRunner().invoke(main, [command, "--db", str(bad), "--no-metrics"])
        out = res.output.replace("\n", "")
        assert "not an SQLite database" in out and "ats db backup" in out, out
        codes.append(res.exit_code)
    assert codes == [4, 4]
    assert bad.read_text() == "not a database at all, just text\n"  # nothing overwritten
