"""Load and validate the YAML configuration files with errors a trader can act on.

A broken file must say *which* file, the line (where YAML knows it), the field, what was
expected and what was found — a bare pydantic traceback tells a trader nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from ats.config.errors import ConfigError
from ats.config.models import AdaptersConfig, EnableMap, Governance, SymbolsConfig
from ats.config.safe_yaml import load_yaml

M = TypeVar("M", bound=BaseModel)

DEFAULT_CONFIG_DIR = Path("configs")

FILES: dict[str, type[BaseModel]] = {
    "governance.yaml": Governance,
    "enable_map.yaml": EnableMap,
    "symbols.yaml": SymbolsConfig,
    "adapters.yaml": AdaptersConfig,
}


def config_dir(path: Path | str | None = None) -> Path:
    """The configs directory: explicit, ``$ATS_CONFIG_DIR``, ``./configs``, or the packaged one."""
    import os

    if path is not None:
        return Path(path)
    env = os.environ.get("ATS_CONFIG_DIR")
    if env:
        return Path(env)
    if DEFAULT_CONFIG_DIR.is_dir():
        return DEFAULT_CONFIG_DIR
    packaged = Path(__file__).resolve().parent.parent.parent / "configs"
    return packaged


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """Walk a composed YAML node along a pydantic error location to find its line (1-based)."""
    best = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = None
            for k, v in node.value:
                if str(k.value) == str(key):
                    nxt = v
                    best = k.start_mark.line + 1
                    break
            if nxt is None:
                return best
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            if key >= len(node.value):
                return best
            node = node.value[key]
            best = node.start_mark.line + 1
        else:
            return best
    return best


def read_yaml(path: Path) -> tuple[Any, yaml.Node | None, bytes]:
    """Parse a YAML file, returning data, the node tree (for line numbers) and raw bytes.

    Every limit of ``load_yaml`` applies (size, depth, aliases, duplicate keys, UTF-8, tags).
    """
    doc = load_yaml(path)
    return doc.data, doc.node, doc.raw


def validate(path: Path, model: type[M], data: Any, node: yaml.Node | None) -> M:
    if data is None:
        raise ConfigError(path, "file is empty", expected=f"a mapping for {model.__name__}")
    if not isinstance(data, dict):
        raise ConfigError(
            path, "top level must be a mapping", expected="key: value pairs",
            found=type(data).__name__,
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err.get("loc", ()))
        field = ".".join(str(p) for p in loc) or None
        etype = err.get("type", "")
        msg = err.get("msg", "invalid value")
        expected = msg
        if etype in ("number_not_bool", "number_not_text", "finite_number"):
            # Say it once: "invalid value ... expected: a finite number; found: inf".
            msg = "invalid value"
            expected = expected.replace("Input should be ", "")
        if etype == "extra_forbidden":
            msg = "unknown key"
            expected = "one of the documented keys (see the shipped file)"
        found = "missing" if etype == "missing" else repr(err.get("input"))
        if len(found) > 120:
            found = found[:117] + "..."
        more = len(exc.errors()) - 1
        if more:
            msg += f" (and {more} more problem{'s' if more > 1 else ''})"
        raise ConfigError(
            path, msg, line=_line_of(node, loc), field=field, expected=expected, found=found
        ) from None


def load_model(path: Path | str, model: type[M]) -> M:
    p = Path(path)
    data, node, _ = read_yaml(p)
    return validate(p, model, data, node)


def file_hash(path: Path | str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass(frozen=True)
class LockedGovernance:
    """Governance plus the hash of the file it came from, to detect edits while running."""

    governance: Governance
    path: Path
    sha256: str

    def changed_on_disk(self) -> bool:
        """True when the file's bytes differ from what was loaded (or it vanished)."""
        try:
            return file_hash(self.path) != self.sha256
        except OSError:
            return True


def load_governance(path: Path | str | None = None) -> LockedGovernance:
    p = Path(path) if path is not None else config_dir() / "governance.yaml"
    data, node, raw = read_yaml(p)
    gov = validate(p, Governance, data, node)
    return LockedGovernance(gov, p, hashlib.sha256(raw).hexdigest())


LOCAL_DIR = "local"
"""The git-ignored override layer inside a configs directory: ``configs/local/``.

Whatever a program writes at run time (the research lab's promotions) goes here, never into
the tracked files; the loader merges it over the shipped file of the same name.
"""


def local_override(path: Path | str) -> Path:
    """Where the local override of a shipped config file lives (it may not exist)."""
    p = Path(path)
    return p.parent / LOCAL_DIR / p.name


def merge_enable_map(shipped: dict[str, Any], local: dict[str, Any]) -> dict[str, Any]:
    """The shipped enable map with the local layer over it.

    Scalars replace; ``regimes`` replace per regime; ``challengers`` merge by name (a local
    entry replaces a shipped one of the same name, new ones are appended).
    """
    out = dict(shipped)
    for key, value in local.items():
        if key == "regimes" and isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        elif key == "challengers" and isinstance(value, list):
            names = {c.get("name") for c in value if isinstance(c, dict)}
            base = [c for c in (out.get(key) or [])
                    if not (isinstance(c, dict) and c.get("name") in names)]
            out[key] = base + list(value)
        else:
            out[key] = value
    return out


def load_enable_map(
    path: Path | str | None = None, known_strategies: set[str] | None = None,
    *, local: bool = True,
) -> EnableMap:
    """Load the enable map (merged with ``local/enable_map.yaml`` when there is one).

    With ``known_strategies``, unknown names are an error. ``local=False`` reads the shipped
    file alone.
    """
    p = Path(path) if path is not None else config_dir() / "enable_map.yaml"
    data, node, _ = read_yaml(p)
    em = validate(p, EnableMap, data, node)
    over = local_override(p)
    if local and over.is_file():
        ldata, lnode, _ = read_yaml(over)
        if ldata is not None:
            if not isinstance(ldata, dict):
                raise ConfigError(over, "top level must be a mapping",
                                  expected="key: value pairs", found=type(ldata).__name__)
            merged = merge_enable_map(data, ldata)
            em = validate(over, EnableMap, merged, lnode)
            p, node = over, lnode
    if known_strategies is not None:
        for regime, names in em.regimes.items():
            for i, name in enumerate(names):
                if name not in known_strategies:
                    raise ConfigError(
                        p, f"regime {regime.value} maps to unknown strategy {name!r}",
                        line=_line_of(node, ("regimes", regime.value, i)),
                        field=f"regimes.{regime.value}[{i}]",
                        expected="one of " + ", ".join(sorted(known_strategies)),
                        found=repr(name),
                    )
        for i, ch in enumerate(em.challengers):
            if ch.spec is None and ch.name not in known_strategies:
                raise ConfigError(
                    p, f"challenger {ch.name!r} is neither a known strategy nor has a spec",
                    line=_line_of(node, ("challengers", i)), field=f"challengers[{i}]",
                    expected="a known strategy name or a `spec:` path", found=repr(ch.name),
                )
    return em


def load_symbols(path: Path | str | None = None) -> SymbolsConfig:
    p = Path(path) if path is not None else config_dir() / "symbols.yaml"
    return load_model(p, SymbolsConfig)


def load_adapters(path: Path | str | None = None) -> AdaptersConfig:
    p = Path(path) if path is not None else config_dir() / "adapters.yaml"
    return load_model(p, AdaptersConfig)
