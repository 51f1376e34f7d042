"""Promotion: write a candidate into ``enable_map.yaml`` under ``challengers`` (shadow only).

The DSL document is saved beside the configs (``challengers/<name>.json``); the enable map
is edited with a round-trip YAML parser so every comment, key order and the rest of the file
stay as the trader wrote them; the new text is validated with the same model ``ats run``
loads before anything is written; a unified diff is returned and kept as a patch file.
``governance.yaml`` is never opened for writing — and its hash is checked before and after.
"""

from __future__ import annotations

import difflib
import io
from dataclasses import dataclass
from pathlib import Path

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ats.config.loader import ConfigError, file_hash, validate
from ats.config.models import EnableMap
from research_lab.dsl.errors import dump_spec
from research_lab.dsl.models import StrategySpec

CHALLENGER_DIR = "challengers"


@dataclass(frozen=True, slots=True)
class Promotion:
    name: str
    spec_path: Path
    enable_map: Path
    diff: str
    patch_path: Path | None


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 100
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def render_enable_map(text: str, spec: StrategySpec, *, promoted_at: str, source_run: str
                      ) -> str:
    """The enable map text with ``spec`` added to (or replaced in) ``challengers``."""
    y = _yaml()
    doc = y.load(text)
    if not isinstance(doc, CommentedMap):
        raise ConfigError("enable_map.yaml", "top level must be a mapping")
    entry = CommentedMap()
    entry["name"] = spec.name
    entry["spec"] = f"{CHALLENGER_DIR}/{spec.name}.json"
    regimes = CommentedSeq([r.value for r in spec.regimes])
    regimes.fa.set_flow_style()
    entry["regimes"] = regimes
    entry["promoted_at"] = promoted_at
    entry["source_run"] = source_run
    current = doc.get("challengers")
    seq = CommentedSeq()
    if isinstance(current, list):
        seq.extend(c for c in current if not (isinstance(c, dict) and c.get("name") == spec.name))
    seq.append(entry)
    seq.fa.set_block_style()
    if "challengers" in doc:
        doc["challengers"] = seq
    else:
        doc.insert(len(doc), "challengers", seq)
    out = io.StringIO()
    y.dump(doc, out)
    return out.getvalue()


def unified(old: str, new: str, a: str, b: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(keepends=True),
                                        new.splitlines(keepends=True), fromfile=a, tofile=b))


def promote(spec: StrategySpec, config_dir: Path | str, *, promoted_at: str, source_run: str,
            patch_dir: Path | str | None = None, dry_run: bool = False) -> Promotion:
    """Add ``spec`` as a shadow challenger; returns the diff (written only if not dry_run)."""
    cfg = Path(config_dir)
    em_path = cfg / "enable_map.yaml"
    gov_path = cfg / "governance.yaml"
    gov_hash = file_hash(gov_path) if gov_path.exists() else None
    try:
        old = em_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(em_path, "file not found; copy it from the shipped configs/") from None
    new = render_enable_map(old, spec, promoted_at=promoted_at, source_run=source_run)
    data = yaml.safe_load(new)
    validate(em_path, EnableMap, data, yaml.compose(new, Loader=yaml.SafeLoader))
    spec_rel = f"{CHALLENGER_DIR}/{spec.name}.json"
    spec_path = cfg / spec_rel
    spec_text = dump_spec(spec)
    old_spec = spec_path.read_text(encoding="utf-8") if spec_path.exists() else ""
    diff = unified(old, new, "a/enable_map.yaml", "b/enable_map.yaml") + unified(
        old_spec, spec_text, f"a/{spec_rel}" if old_spec else "/dev/null", f"b/{spec_rel}")
    patch_path = None
    if patch_dir is not None:
        patch_path = Path(patch_dir) / "promote.patch"
        patch_path.parent.mkdir(parents=True, exist_ok=True)
        patch_path.write_text(diff, encoding="utf-8")
    if not dry_run:
        spec_path.parent.mkdir(parents=True, exist_ok=True)
        spec_path.write_text(spec_text, encoding="utf-8")
        tmp = em_path.with_suffix(".yaml.tmp")
        tmp.write_text(new, encoding="utf-8")
        tmp.replace(em_path)
    if gov_hash is not None and file_hash(gov_path) != gov_hash:
        raise ConfigError(gov_path, "governance.yaml changed during promotion; it is locked "
                          "and the research lab never writes it — restore it from git")
    return Promotion(spec.name, spec_path, em_path, diff, patch_path)
