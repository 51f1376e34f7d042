"""The configuration error: which file (or variable), where, what was expected, what was found.

Kept apart from the loader so the hardened YAML reader, the environment settings and the
loader all raise the same type, and the CLI turns it into one line with exit code 2.
"""

from __future__ import annotations

from pathlib import Path


class ConfigError(Exception):
    """A configuration file or environment variable is missing, unreadable or invalid."""

    def __init__(
        self,
        path: Path | str,
        message: str,
        *,
        line: int | None = None,
        field: str | None = None,
        expected: str | None = None,
        found: str | None = None,
    ) -> None:
        self.path = str(path)
        self.line = line
        self.field = field
        self.expected = expected
        self.found = found
        self.message = message
        super().__init__(self.describe())

    def describe(self) -> str:
        """One line: ``file:line: message; field: ...; expected: ...; found: ...``."""
        where = self.path + (f":{self.line}" if self.line else "")
        parts = [f"{where}: {self.message}"]
        if self.field:
            parts.append(f"field: {self.field}")
        if self.expected:
            parts.append(f"expected: {self.expected}")
        if self.found is not None:
            parts.append(f"found: {self.found}")
        return "; ".join(parts).replace("\n", " ")
