"""Database faults: a damaged, header-corrupt or read-only file is refused before anything
writes, with one line and exit code 4; `ats db check` tells healthy from damaged."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from .conftest import Ats, check_one_line, fingerprint


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def damage_middle(path: Path) -> None:
    """Garbage over the middle of the file: the header is fine, some pages are not."""
    size = path.stat().st_size
    with path.open("r+b") as fh:
        fh.seek(size // 2)
        fh.write(b"\xde\xad\xbe\xef" * 2048)


def damage_header(path: Path) -> None:
    with path.open("r+b") as fh:
        fh.write(b"garbage!garbage!")


WRITERS = {
    "run": ("run", "--max-cycles", "1"),
    "sync": ("sync", "--once", "--symbols", "EURUSD", "--timeframes", "1h"),
    "unlock": ("unlock", "--kill-switch", "--reason", "test"),
    "backup": ("db", "backup", "BACKUP"),
    "cleanup": ("db", "cleanup", "--older-than", "1d"),
}


def _args(ats: Ats, args: tuple[str, ...], db: Path) -> list[str]:
    out = [a if a != "BACKUP" else str(ats.cwd / "backup.db") for a in args]
    out += ["--db", str(db)]
    if args[0] in ("run", "sync"):
        out += ["--config-dir", str(ats.cfg)]
    return out


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_damaged_middle_refused_before_writing(command: str, ats: Ats, tmp_path: Path) -> None:
    bad = tmp_path / "damaged.db"
    shutil.copy(ats.db, bad)
    damage_middle(bad)
    before = file_hash(bad)
    out = ats(*_args(ats, WRITERS[command], bad))
    check_one_line(out, 4, str(bad), "damaged", "ats db check")
    assert file_hash(bad) == before
    assert "Backup written" not in out.stdout
    assert not (ats.cwd / "backup.db").exists()


HEADER_COMMANDS = dict(WRITERS, report=("report", "seed-run"), stats=("db", "stats"),
                       search=("search", "kill"), check=("db", "check"))


@pytest.mark.parametrize("command", sorted(HEADER_COMMANDS))
def test_header_corrupt_refused(command: str, ats: Ats, tmp_path: Path) -> None:
    bad = tmp_path / "header.db"
    shutil.copy(ats.db, bad)
    damage_header(bad)
    before = file_hash(bad)
    out = ats(*_args(ats, HEADER_COMMANDS[command], bad))
    check_one_line(out, 4, str(bad), "not an SQLite database")
    assert file_hash(bad) == before


def test_db_check_says_damaged_file_is_damaged(ats: Ats, tmp_path: Path) -> None:
    bad = tmp_path / "damaged.db"
    shutil.copy(ats.db, bad)
    damage_middle(bad)
    out = ats("db", "check", "--db", str(bad))
    assert out.code == 4 and "Traceback" not in out.stderr + out.stdout
    assert "corrupt" in (out.stdout + out.stderr).lower() or "integrity" in out.stdout


@pytest.fixture
def read_only_db(ats: Ats, tmp_path: Path) -> Path:
    ro = tmp_path / "ro.db"
    shutil.copy(ats.db, ro)
    os.chmod(ro, 0o444)
    return ro


@pytest.mark.parametrize("command", ["run", "sync", "unlock", "cleanup"])
def test_read_only_refused_in_one_line(command: str, ats: Ats, read_only_db: Path) -> None:
    before = fingerprint(read_only_db)
    out = ats(*_args(ats, WRITERS[command], read_only_db))
    check_one_line(out, 4, str(read_only_db), "read-only")
    assert fingerprint(read_only_db) == before


@pytest.mark.parametrize("command", [("db", "check"), ("db", "stats"), ("search", "kill"),
                                     ("report", "seed-run")])
def test_healthy_read_only_file_reads_fine(command: tuple[str, ...], ats: Ats,
                                            read_only_db: Path) -> None:
    out = ats(*command, "--db", str(read_only_db),
              *(["--out", str(ats.cwd / "reports")] if command[0] == "report" else []))
    assert out.code == 0, out.stderr
    assert out.lines == [], out.stderr
    if command == ("db", "check"):
        assert "healthy" in out.stdout and "problem" not in out.stdout


def test_directory_as_database(ats: Ats, tmp_path: Path) -> None:
    d = tmp_path / "adir.db"
    d.mkdir()
    out = ats("run", "--max-cycles", "1", "--db", str(d), "--config-dir", str(ats.cfg))
    assert out.code in (2, 4)
    check_one_line(out, out.code, str(d))


def test_missing_database_for_readers(ats: Ats, tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "x.db"
    for args in (("db", "stats"), ("report", "seed-run"), ("unlock", "--kill-switch",
                                                              "--reason", "r")):
        out = ats(*args, "--db", str(missing))
        check_one_line(out, 2, str(missing))
    assert not missing.parent.exists()


def test_quick_check_is_bounded_and_honest(ats: Ats, tmp_path: Path) -> None:
    """Healthy: True. Out of time: False (inconclusive, the open goes on). Damaged: refused."""
    import apsw

    from storage.db import quick_check
    from storage.errors import CorruptDatabaseError

    conn = apsw.Connection(str(ats.db), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        assert quick_check(conn, ats.db) is True
        assert quick_check(conn, ats.db, budget_s=-1.0) is False
    finally:
        conn.close()
    bad = tmp_path / "damaged.db"
    shutil.copy(ats.db, bad)
    damage_middle(bad)
    conn = apsw.Connection(str(bad), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        with pytest.raises(CorruptDatabaseError, match="damaged"):
            quick_check(conn, bad)
    finally:
        conn.close()


def test_empty_file_is_a_new_database(ats: Ats, tmp_path: Path) -> None:
    """A zero-byte file is what SQLite creates: not refused as corrupt."""
    empty = tmp_path / "empty.db"
    empty.touch()
    out = ats("db", "stats", "--db", str(empty))
    assert out.code == 0, out.stderr
