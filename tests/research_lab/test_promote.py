"""Promotion writes the git-ignored local layer by default (the shipped enable_map.yaml stays
byte for byte), the loader merges it; ``shipped=True`` edits only the challengers of the
shipped file, keeping the rest (with its comments); it validates before writing and never
touches governance.yaml."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ats.config.loader import ConfigError, file_hash, load_enable_map, local_override
from research_lab.dsl import read_spec
from research_lab.generators import DeterministicGenerator
from research_lab.pipeline_ci.promote import promote, render_enable_map

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    dst = tmp_path / "configs"
    shutil.copytree(ROOT / "configs", dst, ignore=shutil.ignore_patterns("local"))
    return dst


def test_default_promotion_goes_to_the_local_layer_and_the_loader_merges_it(
        cfg: Path, tmp_path: Path) -> None:
    shipped = {p: p.read_bytes() for p in cfg.rglob("*") if p.is_file()}
    spec = DeterministicGenerator(seed=1).generate(1)[0]
    res = promote(spec, cfg, promoted_at="2026-11-23T10:00:00Z", source_run="r1",
                  patch_dir=tmp_path / "rep")
    assert {p: p.read_bytes() for p in shipped} == shipped  # no shipped file changed
    assert res.enable_map == local_override(cfg / "enable_map.yaml") == cfg / "local" / \
        "enable_map.yaml"
    assert res.spec_path == cfg / "local" / "challengers" / f"{spec.name}.json"
    em = load_enable_map(cfg / "enable_map.yaml")
    [ch] = em.challengers
    assert (ch.name, ch.spec) == (spec.name, f"local/challengers/{spec.name}.json")
    assert read_spec(cfg / ch.spec) == spec
    assert em.regimes == load_enable_map(cfg / "enable_map.yaml", local=False).regimes
    assert load_enable_map(cfg / "enable_map.yaml", local=False).challengers == ()
    assert res.enable_map.read_text().startswith("# Local overrides")
    assert "+++ b/local/enable_map.yaml" in res.diff


def test_a_local_layer_replaces_scalars_and_regimes_and_merges_challengers(cfg: Path) -> None:
    (cfg / "local").mkdir()
    (cfg / "local" / "enable_map.yaml").write_text(
        "cooldown_bars: 9\nregimes:\n  panic: [breakout_4h]\n"
        "challengers:\n  - name: breakout_4h\n")
    em = load_enable_map(cfg / "enable_map.yaml")
    assert em.cooldown_bars == 9
    assert [r.value for r, names in em.regimes.items() if names == ("breakout_4h",)] == [
        "panic"]
    assert [c.name for c in em.challengers] == ["breakout_4h"]
    (cfg / "local" / "enable_map.yaml").write_text("cooldown_bars: -1\n")
    with pytest.raises(ConfigError, match="local/enable_map.yaml"):
        load_enable_map(cfg / "enable_map.yaml")


def test_promotion_into_shipped_adds_a_challenger_and_preserves_everything_else(
        cfg: Path, tmp_path: Path) -> None:
    before = (cfg / "enable_map.yaml").read_text()
    gov = file_hash(cfg / "governance.yaml")
    spec = DeterministicGenerator(seed=1).generate(1)[0]
    res = promote(spec, cfg, promoted_at="2026-11-23T10:00:00Z", source_run="r1",
                  patch_dir=tmp_path / "rep", shipped=True)
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
    assert load_enable_map(cfg / "enable_map.yaml", local=False).challengers == ()
    em = load_enable_map(cfg / "enable_map.yaml")
    assert [(c.name, c.source_run) for c in em.challengers] == [(b.name, "r2"), (a.name, "r3")]


def test_dry_run_writes_nothing(cfg: Path) -> None:
    before = (cfg / "enable_map.yaml").read_bytes()
    spec = DeterministicGenerator(seed=3).generate(1)[0]
    res = promote(spec, cfg, promoted_at="t", source_run="r", dry_run=True)
    assert res.diff and (cfg / "enable_map.yaml").read_bytes() == before
    assert not (cfg / "local").exists()


def test_a_broken_enable_map_is_refused_with_its_path(cfg: Path) -> None:
    (cfg / "enable_map.yaml").write_text("regimes:\n  trend_up: [a]\n")
    spec = DeterministicGenerator(seed=3).generate(1)[0]
    with pytest.raises(ConfigError, match="enable_map.yaml"):
        promote(spec, cfg, promoted_at="t", source_run="r")
    assert not (cfg / "challengers").exists() and not (cfg / "local").exists()
    (cfg / "enable_map.yaml").unlink()
    with pytest.raises(ConfigError, match="file not found"):
        promote(spec, cfg, promoted_at="t", source_run="r")


def test_render_adds_challengers_when_the_key_is_missing() -> None:
    text = "# top comment\nmin_bars_hold: 3\nregimes:\n  panic: []\n"
    spec = DeterministicGenerator(seed=4).generate(1)[0]
    out = render_enable_map(text, spec, promoted_at="t", source_run="r")
    assert out.startswith("# top comment\nmin_bars_hold: 3\n")
    assert f"challengers:\n  - name: {spec.name}\n" in out
