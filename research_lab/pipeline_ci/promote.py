"""Promotion: write a candidate under ``challengers`` of the enable map (shadow only).

By default nothing tracked is written: the candidate goes into the git-ignored local layer
``configs/local/enable_map.yaml`` (its DSL document into ``configs/local/challengers/``),
which the config loader merges over the shipped ``enable_map.yaml``; ``shipped=True`` edits
the shipped file instead (a maintainer adopting a challenger for everyone). The file is
edited with a round-trip YAML parser so every comment, key order and the rest of the file
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

from ats.config.loader import (
    LOCAL_DIR,
    ConfigError,
    file_hash,
    local_override,
    merge_enable_map,
    validate,
)
from ats.config.models import EnableMap
from research_lab.dsl.errors import dump_spec
from research_lab.dsl.models import StrategySpec

CHALLENGER_DIR = "challengers"
LOCAL_HEADER = (
    "# Local overrides of the shipped enable_map.yaml, written by `ats research promote`.\n"
    "# Git-ignored; the config loader merges this file over the shipped one. Delete it to\n"
    "# go back to the shipped configuration.\n"
)


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


def render_enable_map(text: str, spec: StrategySpec, *, promoted_at: str, source_run: str,
                      spec_dir: str = CHALLENGER_DIR) -> str:
    """The enable map text with ``spec`` added to (or replaced in) ``challengers``.

    ``text`` may hold only comments (a new local layer): they are kept above the new key.
    """
    y = _yaml()
    doc = y.load(text)
    prefix = ""
    if doc is None:
        doc, prefix = CommentedMap(), text
    if not isinstance(doc, CommentedMap):
        raise ConfigError("enable_map.yaml", "top level must be a mapping")
    entry = CommentedMap()
    entry["name"] = spec.name
    entry["spec"] = f"{spec_dir}/{spec.name}.json"
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
    return prefix + out.getvalue()


def unified(old: str, new: str, a: str, b: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(keepends=True),
                                        new.splitlines(keepends=True), fromfile=a, tofile=b))


def promote(spec: StrategySpec, config_dir: Path | str, *, promoted_at: str, source_run: str,
            patch_dir: Path | str | None = None, dry_run: bool = False,
            shipped: bool = False) -> Promotion:
    """Add ``spec`` as a shadow challenger; returns the diff (written only if not dry_run).

    The target is the local layer (``<configs>/local/``) unless ``shipped``.
    """
    cfg = Path(config_dir)
    shipped_path = cfg / "enable_map.yaml"
    em_path = shipped_path if shipped else local_override(shipped_path)
    spec_dir = CHALLENGER_DIR if shipped else f"{LOCAL_DIR}/{CHALLENGER_DIR}"
    gov_path = cfg / "governance.yaml"
    gov_hash = file_hash(gov_path) if gov_path.exists() else None
    try:
        base_text = shipped_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(shipped_path, "file not found; copy it from the shipped configs/"
                          ) from None
    if shipped:
        old = base_text
    else:
        old = em_path.read_text(encoding="utf-8") if em_path.exists() else ""
    new = render_enable_map(old or LOCAL_HEADER, spec, promoted_at=promoted_at,
                            source_run=source_run, spec_dir=spec_dir)
    data = yaml.safe_load(new)
    if not shipped:  # what the loader will see: the shipped file with this layer over it
        base = yaml.safe_load(base_text)
        if not isinstance(base, dict):
            raise ConfigError(shipped_path, "top level must be a mapping")
        data = merge_enable_map(base, data)
    validate(em_path, EnableMap, data, yaml.compose(new, Loader=yaml.SafeLoader))
    spec_rel = f"{spec_dir}/{spec.name}.json"
    em_rel = "enable_map.yaml" if shipped else f"{LOCAL_DIR}/enable_map.yaml"
    spec_path = cfg / spec_rel
    spec_text = dump_spec(spec)
    old_spec = spec_path.read_text(encoding="utf-8") if spec_path.exists() else ""
    diff = unified(old, new, f"a/{em_rel}" if old else "/dev/null", f"b/{em_rel}") + unified(
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
