"""``ats research ...`` one stage at a time into a temporary copy of configs/, and
``ats backtest`` for a shipped strategy and a DSL document."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ats.cli.main import main
from ats.config.loader import file_hash, load_enable_map
from research_lab.dsl import dump_spec
from research_lab.generators import DeterministicGenerator
from research_lab.pipeline_ci.state import RunState
from storage.dao import PersistDAO

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["--lang", "en", *args], catch_exceptions=False)


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    cfg = tmp_path / "configs"
    shutil.copytree(ROOT / "configs", cfg, ignore=shutil.ignore_patterns("local"))
    return cfg, tmp_path / "reports"


def test_stage_by_stage_then_promote(dirs: tuple[Path, Path]) -> None:
    cfg, rep = dirs
    gov = file_hash(cfg / "governance.yaml")
    common = ["--run", "cli", "--reports-dir", str(rep), "--config-dir", str(cfg)]
    r = run("research", "generate", *common, "-n", "6", "--history-bars", "1500",
            "--shadow-cycles", "480")
    assert r.exit_code == 0, r.output
    assert "6 candidate(s) generated in run cli" in r.output
    r = run("research", "promote", *common)
    assert r.exit_code == 2 and "nothing to promote" in r.output
    for stage in ("backtest", "walkforward", "gate", "shadow"):
        r = run("research", stage, *common)
        assert r.exit_code == 0, (stage, r.output)
    assert "Report:" in r.output and (rep / "cli" / "report.md").is_file()
    r = run("research", "promote", *common, "--dry-run")
    assert r.exit_code == 0 and "+challengers:" in r.output
    assert load_enable_map(cfg / "enable_map.yaml").challengers == ()
    r = run("research", "promote", *common, "--db", str(rep / "ats.db"))
    assert r.exit_code == 0, r.output
    assert "promoted as a shadow challenger" in r.output
    dao = PersistDAO(rep / "ats.db")
    hits = dao.search("shadow challenger")
    dao.close()
    assert hits and hits[0].kind == "research"
    [ch] = load_enable_map(cfg / "enable_map.yaml").challengers
    assert (rep / "cli" / "promote.patch").read_text().count(ch.name) >= 2
    assert file_hash(cfg / "governance.yaml") == gov
    r = run("research", "status", "--reports-dir", str(rep))
    assert r.exit_code == 0 and "cli" in r.output and "promoted" in r.output
    r = run("research", "status", "--reports-dir", str(rep), "--run", "cli")
    assert r.exit_code == 0 and "Research run cli" in r.output and "pass" in r.output
    # the next run mutates the promoted challenger too
    r = run("research", "generate", "--run", "cli2", "--reports-dir", str(rep),
            "--config-dir", str(cfg), "-n", "6", "--history-bars", "1500")
    assert r.exit_code == 0, r.output
    st = RunState.load(rep, "cli2")
    assert any(n.startswith(ch.name[:36] + "_m") for n in st.candidates)


def test_clear_errors(dirs: tuple[Path, Path]) -> None:
    cfg, rep = dirs
    r = run("research", "backtest", "--run", "nope", "--reports-dir", str(rep))
    assert r.exit_code == 2 and "no research run 'nope'" in r.output
    r = run("research", "status", "--reports-dir", str(rep))
    assert "No research runs" in r.output
    r = run("research", "generate", "--run", "bad id!", "--reports-dir", str(rep))
    assert r.exit_code == 2 and "run id" in r.output
    r = run("backtest", "no_such_strategy")
    assert r.exit_code == 2 and "unknown strategy" in r.output
    r = run("backtest", "breakout_4h", "--from", "2025-12-01", "--to", "2025-11-01")
    assert r.exit_code == 2 and "must be after" in r.output


def test_backtest_a_shipped_strategy_and_a_dsl_document(tmp_path: Path) -> None:
    r = run("backtest", "breakout_4h", "--from", "2025-06-01", "--to", "2025-10-01",
            "--out", str(tmp_path / "bt"))
    assert r.exit_code == 0, r.output
    flat = " ".join(r.output.split())  # rich wraps to the terminal width
    assert "breakout_4h on BTC/USDT:USDT 4h" in flat and "profit_factor" in flat
    assert (tmp_path / "bt" / "equity.png").is_file()
    spec = DeterministicGenerator(seed=0).generate(1)[0]
    doc = tmp_path / "cand.json"
    doc.write_text(dump_spec(spec))
    r = run("backtest", str(doc), "--from", "2025-09-01", "--to", "2025-10-01")
    assert r.exit_code == 0, r.output
    assert spec.name in r.output


def test_cli_constants_match_the_lab() -> None:
    from ats.cli import research_cmd
    from research_lab.pipeline_ci import market, state

    assert research_cmd.MARKETS == market.MARKETS and research_cmd.STAGES == state.STAGES
