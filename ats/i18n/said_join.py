"""A list of sentences said as one: ``said_join(parts, "reason.list.semicolon")`` nests each
part in a two-place catalogue message (``{first}; {more}``), so every part keeps its own
key and arguments and the whole renders in the reader's language (plain strings stay as
they are, inside)."""

from __future__ import annotations

from collections.abc import Sequence

from ats.i18n.said import Said


def said_join(parts: Sequence[str], key: str = "reason.list.semicolon") -> str:
    """The parts joined by ``key``'s separator; "" for none, the part itself for one."""
    if not parts:
        return ""
    out: str = parts[0]
    for part in parts[1:]:
        out = Said(key, first=out, more=part)
    return out
