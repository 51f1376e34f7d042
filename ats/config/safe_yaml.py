"""A YAML reader that cannot be abused: bounded size, depth, nodes and alias expansion.

PyYAML's ``SafeLoader`` refuses Python objects but not resource abuse: a "billion laughs"
file (aliases of aliases) expands to gigabytes, 5,000 nested brackets raise
``RecursionError``, a duplicate key silently wins, and invalid UTF-8 becomes U+FFFD and
flows into the database. ``load_yaml`` refuses each of these with a ``ConfigError`` that
names the file and the line (or byte offset) — before constructing a single Python object.

It is the one entry point for reading a configuration file, so any layer (the shipped
configs, a local override file) gets the same guarantees by calling it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ats.config.errors import ConfigError

MAX_BYTES = 256 * 1024  # a configuration file is a few KiB; 256 KiB is generous and parses in ~1 s
MAX_DEPTH = 64  # nesting of mappings/sequences
MAX_NODES = 20_000  # nodes as written
MAX_ALIASES = 1_000  # `*alias` references
MAX_EXPANDED = 50_000  # nodes after every alias is expanded (what a consumer walks)
_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass(frozen=True, slots=True)
class YamlDocument:
    """The parsed data, its node tree (for line numbers) and the exact bytes read."""

    data: Any
    node: yaml.Node | None
    raw: bytes


class _GuardedLoader(yaml.SafeLoader):
    """SafeLoader whose composer counts depth, nodes and aliases and refuses tags."""

    def __init__(self, stream: str, path: Path) -> None:
        super().__init__(stream)
        self._path = path
        self._depth = 0
        self._nodes = 0
        self._aliases = 0

    def _refuse(self, message: str, mark: Any, expected: str) -> ConfigError:
        line = mark.line + 1 if mark is not None else None
        return ConfigError(self._path, message, line=line, expected=expected)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise self._refuse(f"more than {MAX_ALIASES} aliases",
                                   self.peek_event().start_mark, "a plain configuration file")
            return super().compose_node(parent, index)
        event = self.peek_event()
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!":
            raise self._refuse(f"YAML tag {tag} is not allowed", event.start_mark,
                               "plain values without !tags")
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise self._refuse(f"more than {MAX_NODES} values", event.start_mark,
                               "a configuration file, not a data dump")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise self._refuse(f"nesting deeper than {MAX_DEPTH} levels", event.start_mark,
                                   f"at most {MAX_DEPTH} levels of nesting")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _decode(path: Path, raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            path, f"not valid UTF-8 at byte offset {exc.start}", line=line,
            expected="a UTF-8 text file", found=repr(raw[exc.start: exc.start + 4]),
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


def _check_tree(path: Path, root: yaml.Node) -> None:
    """Refuse duplicate keys and runaway alias expansion; walks each node object once."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        line = node.start_mark.line + 1
        if key in active:
            raise ConfigError(path, "an alias refers to its own parent (recursive data)",
                              line=line, expected="aliases of complete values only")
        if depth > MAX_DEPTH * 4:
            raise ConfigError(path, "aliases nest too deeply", line=line,
                              expected=f"at most {MAX_DEPTH * 4} levels after expansion")
        active.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            for child in node.value:
                total += size(child, depth + 1)
        elif isinstance(node, yaml.MappingNode):
            seen: dict[tuple[str, str], int] = {}
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.tag != _MERGE_TAG:
                    ident = (k.tag, str(k.value))
                    here = k.start_mark.line + 1
                    if ident in seen:
                        raise ConfigError(
                            path, f"duplicate key {k.value!r} on lines {seen[ident]} and {here}",
                            line=here, field=str(k.value), expected="each key once",
                        )
                    seen[ident] = here
                total += size(k, depth + 1) + size(v, depth + 1)
        active.discard(key)
        if total > MAX_EXPANDED:
            raise ConfigError(path, f"aliases expand to more than {MAX_EXPANDED} values",
                              line=line, expected="a plain configuration file (no alias bombs)")
        sizes[key] = total
        return total

    size(root, 0)


def parse_yaml(path: Path | str, raw: bytes) -> YamlDocument:
    """Parse ``raw`` (the bytes of ``path``) under every limit; ``ConfigError`` on abuse."""
    p = Path(path)
    if len(raw) > MAX_BYTES:
        raise ConfigError(p, f"file is larger than {MAX_BYTES // 1024} KiB",
                          expected="a configuration file of a few KiB", found=f"{len(raw)} bytes")
    text = _decode(p, raw)
    loader: _GuardedLoader | None = None
    try:
        loader = _GuardedLoader(text, p)
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(None, None, raw)
        _check_tree(p, node)
        data = loader.construct_document(node)
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[0])
        raise ConfigError(p, f"control character U+{char:04X} is not allowed in YAML",
                          line=line, expected="printable text") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "syntax error"
        raise ConfigError(p, f"invalid YAML: {problem}", line=line) from None
    except yaml.YAMLError as exc:
        raise ConfigError(p, f"invalid YAML: {exc}") from None
    except RecursionError:
        raise ConfigError(p, "nesting too deep", expected=f"at most {MAX_DEPTH} levels") from None
    finally:
        if loader is not None:
            loader.dispose()
    return YamlDocument(data, node, raw)


def load_yaml(path: Path | str) -> YamlDocument:
    """Read and parse one configuration file; the size cap applies before reading it all."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
            if len(raw) > MAX_BYTES:
                fh.seek(0, 2)
                total = fh.tell()
                raise ConfigError(p, f"file is larger than {MAX_BYTES // 1024} KiB",
                                  expected="a configuration file of a few KiB",
                                  found=f"{total} bytes")
    except FileNotFoundError:
        raise ConfigError(p, "file not found; copy it from the shipped configs/") from None
    except IsADirectoryError:
        raise ConfigError(p, "is a directory, not a file") from None
    except OSError as exc:
        raise ConfigError(p, f"cannot read file: {exc.strerror or exc}") from None
    return parse_yaml(p, raw)
