"""``ats research run`` with its defaults (./configs, ./reports/research) inside a git
checkout leaves every tracked file of configs/ untouched: the promotion lands in the
git-ignored ``configs/local/`` layer, the command says so, and the loader sees it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from ats.cli.main import main
from ats.config.loader import load_enable_map
from research_lab.dsl import load_strategy

ROOT = Path(__file__).resolve().parents[2]


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


@pytest.mark.slow
def test_research_run_with_defaults_keeps_git_status_of_configs_clean(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "checkout"
    shutil.copytree(ROOT / "configs", repo / "configs",
                    ignore=shutil.ignore_patterns("local"))
    shutil.copy2(ROOT / ".gitignore", repo / ".gitignore")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "shipped")
    monkeypatch.chdir(repo)
    monkeypatch.delenv("ATS_CONFIG_DIR", raising=False)
    r = CliRunner().invoke(main, ["--lang", "en", "research", "run", "--run", "r1", "-n", "6",
                                  "--history-bars", "1500"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert git(repo, "status", "--porcelain", "--", "configs") == ""
    assert "promoted as a shadow challenger" in r.output
    flat = " ".join(r.output.split())
    assert "local override layer" in flat and "configs/local/enable_map.yaml" in flat
    em = load_enable_map(Path("configs/enable_map.yaml"))
    [ch] = em.challengers
    assert ch.source_run == "r1" and ch.spec == f"local/challengers/{ch.name}.json"
    assert load_strategy(Path("configs") / ch.spec).name == ch.name
    # ignored, not merely untracked: the files exist and git says they are ignored
    ignored = git(repo, "status", "--porcelain", "--ignored", "--", "configs")
    assert "!! configs/local/" in ignored
