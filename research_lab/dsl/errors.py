"""Turn pydantic errors into one line per bad field: ``path: what is wrong, got X``.

An LLM retry prompt and a trader both need the exact field
(``entry.long.rules[1].left.params.period: must be >= 2, got 0``), not a pydantic dump.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from research_lab.dsl.models import StrategySpec

# Tags pydantic inserts into error locations for discriminated unions.
_UNION_TAGS = {"indicator", "price", "const"}


class DslError(ValueError):
    """A DSL document is invalid; ``problems`` lists ``path: message`` lines."""

    def __init__(self, problems: list[str], source: str = "") -> None:
        self.problems = problems
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(where + "; ".join(problems))


def format_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in _UNION_TAGS or str(part).startswith("function-"):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "(document)"


def _message(err: dict[str, Any]) -> str:
    ctx = err.get("ctx") or {}
    got = err.get("input")
    etype = err.get("type", "")
    bounds = {
        "greater_than_equal": (">=", "ge"),
        "greater_than": (">", "gt"),
        "less_than_equal": ("<=", "le"),
        "less_than": ("<", "lt"),
    }
    if etype in bounds:
        sym, key = bounds[etype]
        bound = ctx.get(key)
        shown = f"{bound:g}" if isinstance(bound, int | float) else str(bound)
        return f"must be {sym} {shown}, got {got!r}"
    if etype == "missing":
        return "is required"
    if etype == "extra_forbidden":
        return f"unknown field (got {got!r})"
    if etype == "literal_error":
        return f"must be one of {ctx.get('expected')}, got {got!r}"
    if etype == "union_tag_invalid":
        return f"kind must be one of {ctx.get('expected_tags')}, got {ctx.get('tag')!r}"
    if etype == "string_pattern_mismatch":
        return f"must match {ctx.get('pattern')}, got {got!r}"
    if etype in ("too_short", "too_long"):
        return f"{err.get('msg', 'bad length').lower()}"
    msg = str(err.get("msg", "invalid value"))
    msg = msg.removeprefix("Value error, ")
    return f"{msg} (got {got!r})" if etype != "value_error" else msg


def problems_of(exc: ValidationError) -> list[str]:
    return [f"{format_path(tuple(e['loc']))}: {_message(e)}" for e in exc.errors()]  # type: ignore[arg-type]


def parse_spec(data: dict[str, Any] | str, source: str = "") -> StrategySpec:
    """Validate a document (dict or JSON text); raise ``DslError`` naming every bad field."""
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise DslError([f"(document): not valid JSON: {exc.msg} at line {exc.lineno} "
                            f"column {exc.colno}"], source) from None
    if not isinstance(data, dict):
        raise DslError([f"(document): must be a JSON object, got {type(data).__name__}"], source)
    try:
        return StrategySpec.model_validate(data)
    except ValidationError as exc:
        raise DslError(problems_of(exc), source) from None


def read_spec(path: Path | str) -> StrategySpec:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DslError(["(document): file not found"], str(p)) from None
    except OSError as exc:
        raise DslError([f"(document): cannot read: {exc.strerror or exc}"], str(p)) from None
    return parse_spec(text, source=str(p))


def dump_spec(spec: StrategySpec) -> str:
    """Canonical JSON text of a document (stable key order, so diffs and hashes are stable)."""
    return json.dumps(spec.model_dump(mode="json", exclude_none=True), indent=2,
                      sort_keys=True) + "\n"
