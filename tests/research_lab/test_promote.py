"""Promotion edits only the challengers of enable_map.yaml, keeps the rest of the file (with
its comments) byte for byte, validates before writing and never touches governance.yaml."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ats.config.loader import ConfigError, file_hash, load_enable_map
from research_lab.dsl import read_spec
from research_lab.generators import DeterministicGenerator
from research_lab.pipeline_ci.promote import promote, render_enable_map

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    dst = tmp_path / "configs"
    shutil.copytree(ROOT / "configs", dst)
    return dst


def test_promotion_adds_a_challenger_and_preserves_everything_else(cfg: Path,
                                                                    tmp_path: Path) -> None:
    before = (cfg / "enable_map.yaml").read_text()
    gov = file_hash(cfg / "governance.yaml")
    spec = DeterministicGenerator(seed=1).generate(1)[0]
    res = promote(spec, cfg, promoted_at="2026-11-23T10:00:00Z", source_run="r1",
                  patch_dir=tmp_path / "rep")
    after = (cfg / "enable_map.yaml").read_text()
    kept = [ln for ln in before.splitlines() if not ln.startswith("challengers")]
    assert after.splitlines()[: len(kept)] == kept  # comments and order untouched
    em = load_enable_map(cfg / "enable_map.yaml")
    [ch] = em.challengers
    assert (ch.name, ch.spec, ch.source_run) == (spec.name, f"challengers/{spec.name}.json",
                                                 "r1")
    assert ch.regimes == tuple(spec.regimes)
    assert read_spec(cfg / ch.spec) == spec
    assert file_hash(cfg / "governance.yaml") == gov
    assert res.patch_path is not None and res.patch_path.read_text() == res.diff
    assert "-challengers: []" in res.diff and f"+++ b/challengers/{spec.name}.json" in res.diff


def test_promoting_again_replaces_the_same_name_and_appends_others(cfg: Path) -> None:
    a, b = DeterministicGenerator(seed=2).generate(2)
    promote(a, cfg, promoted_at="t1", source_run="r1")
    promote(b, cfg, promoted_at="t2", source_run="r2")
    promote(a, cfg, promoted_at="t3", source_run="r3")
    em = load_enable_map(cfg / "enable_map.yaml")
    assert [(c.name, c.source_run) for c in em.challengers] == [(b.name, "r2"), (a.name, "r3")]


def test_dry_run_writes_nothing(cfg: Path) -> None:
    before = (cfg / "enable_map.yaml").read_bytes()
    spec = DeterministicGenerator(seed=3).generate(1)[0]
    res = promote(spec, cfg, promoted_at="t", source_run="r", dry_run=True)
    assert res.diff and (cfg / "enable_map.yaml").read_bytes() == before
    assert not (cfg / "challengers" / f"{spec.name}.json").exists()


def test_a_broken_enable_map_is_refused_with_its_path(cfg: Path) -> None:
    (cfg / "enable_map.yaml").write_text("regimes:\n  trend_up: [a]\n")
    spec = DeterministicGenerator(seed=3).generate(1)[0]
    with pytest.raises(ConfigError, match="enable_map.yaml"):
        promote(spec, cfg, promoted_at="t", source_run="r")
    assert not (cfg / "challengers").exists()
    (cfg / "enable_map.yaml").unlink()
    with pytest.raises(ConfigError, match="file not found"):
        promote(spec, cfg, promoted_at="t", source_run="r")


def test_render_adds_challengers_when_the_key_is_missing() -> None:
    text = "# top comment\nmin_bars_hold: 3\nregimes:\n  panic: []\n"
    spec = DeterministicGenerator(seed=4).generate(1)[0]
    out = render_enable_map(text, spec, promoted_at="t", source_run="r")
    assert out.startswith("# top comment\nmin_bars_hold: 3\n")
    assert f"challengers:\n  - name: {spec.name}\n" in out
