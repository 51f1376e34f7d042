"""Small SQL-building helpers shared by the DAO mixins (parameters always bound, never pasted)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def where(filters: Sequence[tuple[str, Any]]) -> tuple[str, list[Any]]:
    """``" WHERE a = ? AND b >= ?"`` for the filters whose value is not None, and their args.

    A value that is a tuple binds several placeholders (``"status IN (?, ?)"``).
    """
    clauses: list[str] = []
    args: list[Any] = []
    for clause, value in filters:
        if value is None:
            continue
        clauses.append(clause)
        args.extend(value if isinstance(value, tuple) else (value,))
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), args
