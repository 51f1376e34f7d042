"""Storage faults a trader can act on.

apsw raises one exception class per SQLite result code; a trader seeing ``NotADBError`` or
``FullError`` learns nothing about what to do next. Every low-level failure is mapped here to
a ``StorageError`` that names the file and says how to recover.
"""

from __future__ import annotations

from pathlib import Path

import apsw


class StorageError(Exception):
    """Base of every storage fault; ``path`` is the database file and ``hint`` the way out."""

    def __init__(self, message: str, *, path: Path | str = "", hint: str = "") -> None:
        self.path = str(path)
        self.hint = hint
        self.message = message
        text = f"{self.path}: {message}" if self.path else message
        super().__init__(f"{text}. {hint}" if hint else text)


class CorruptDatabaseError(StorageError):
    """The file is not an SQLite database or its pages are damaged."""


class ReadOnlyDatabaseError(StorageError):
    """The file or its directory cannot be written (permissions, read-only mount)."""


class DiskFullError(StorageError):
    """The disk (or the configured page limit) is full; the batch was rolled back."""


class DatabaseLockedError(StorageError):
    """Another process held the write lock for longer than the busy timeout (and retries)."""


class CannotOpenError(StorageError):
    """The file cannot be opened or created (missing directory, permissions)."""


class SchemaVersionError(StorageError):
    """The file was written by a newer ATS than this one."""


class InvalidDataError(StorageError, ValueError):
    """A row handed to the DAO is not storable (NaN price, unknown timeframe)."""


class FillConflictError(StorageError):
    """A fill arrived with the id of a stored fill but different content.

    Identical content is the same fill seen twice (idempotent); different content means two
    fills claim one identity — keeping either silently would falsify the ledger.
    """


def _hint_restore(path: str) -> str:
    return (
        f"Move the file aside (mv {path} {path}.broken) and restore the latest copy made "
        "with `ats db backup`, or start with an empty database"
    )


def translate(exc: BaseException, path: Path | str) -> StorageError:
    """Map an apsw exception to the ``StorageError`` that explains it; others pass through."""
    p = str(path)
    if isinstance(exc, StorageError):
        return exc
    if isinstance(exc, apsw.NotADBError):
        return CorruptDatabaseError("not an SQLite database", path=p, hint=_hint_restore(p))
    if isinstance(exc, apsw.CorruptError):
        return CorruptDatabaseError(
            "the database file is corrupt", path=p, hint=_hint_restore(p)
        )
    if isinstance(exc, apsw.FullError):
        return DiskFullError(
            "the disk is full (or the database reached its size limit); the batch was rolled "
            "back and nothing of it was stored",
            path=p,
            hint="Free disk space or run `ats db cleanup --older-than 90d`, then retry",
        )
    if isinstance(exc, apsw.ReadOnlyError):
        return ReadOnlyDatabaseError(
            "the database is read-only; nothing was written",
            path=p,
            hint="Make the file and its directory writable, or point --db / ATS_DB elsewhere",
        )
    if isinstance(exc, apsw.BusyError | apsw.LockedError):
        return DatabaseLockedError(
            "the database stayed locked by another process",
            path=p,
            hint="Another writer (ats sync, ats tui) holds it; retry, or stop that process",
        )
    if isinstance(exc, apsw.CantOpenError):
        return CannotOpenError(
            "cannot open or create the database file",
            path=p,
            hint="Check that the directory exists and is writable, or use --db / ATS_DB",
        )
    if isinstance(exc, apsw.IOError):
        return StorageError(
            f"disk I/O error ({exc})",
            path=p,
            hint="Check the disk (space, permissions, a removed drive) and retry",
        )
    if isinstance(exc, apsw.Error):
        return StorageError(f"database error: {exc}", path=p)
    raise TypeError(f"not a storage exception: {exc!r}")
