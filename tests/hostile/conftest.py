"""Fixtures of the hostile battery: a seeded database, a configs copy, a CLI runner that
checks the contract every case shares (exit code, one line on stderr naming the thing, no
traceback, the database unchanged)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import socket
import sqlite3
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

REPO = Path(__file__).resolve().parent.parent.parent
TESTS = REPO / "tests"
if str(TESTS) not in sys.path:  # the fakes package lives in tests/
    sys.path.insert(0, str(TESTS))
CONFIGS = REPO / "configs"
DANGEROUS_ENV = ("MODE", "ATS_LANG", "USE_VIRTUAL_TRADING", "ATS_CONFIG_DIR", "ATS_DB",
                 "VIRTUAL_EQUITY", "PROMETHEUS_PORT", "MT5_LOGIN", "ATS_DEBUG",
                 "BINGX_API_KEY", "BINGX_API_SECRET")


def fingerprint(path: Path) -> str | None:
    """Every row of every table (via a read-only dump): equal means nothing was written."""
    if not path.exists():
        return None
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return hashlib.sha256("\n".join(conn.iterdump()).encode()).hexdigest()
    finally:
        conn.close()


@pytest.fixture(scope="session")
def seeded_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small real database: instruments, bars, a run with a journal (built once)."""
    from ats.cli.main import main

    d = tmp_path_factory.mktemp("seed")
    db = d / "seed.db"
    res = CliRunner().invoke(main, ["sync", "--once", "--adapter", "mock", "--symbols", "EURUSD",
                                    "--timeframes", "1h", "--db", str(db), "--config-dir",
                                    str(CONFIGS)])
    assert res.exit_code == 0, res.output
    from storage.dao import PersistDAO

    with PersistDAO(db) as dao:
        dao.open_run("seed-run", mode="paper", adapter="mock", ts=1_767_571_200_000, meta={})
        dao.journal("event", {"message": "kill switch engaged"}, ts=1_767_571_200_000,
                    run_id="seed-run", text="kill switch engaged")
        dao.db.checkpoint()
    return db


@pytest.fixture
def db(seeded_db_file: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "ats.db"
    shutil.copy(seeded_db_file, dst)
    return dst


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    dst = tmp_path / "configs"
    shutil.copytree(CONFIGS, dst)
    return dst


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return [ln for ln in self.stderr.splitlines() if ln.strip()]


def check_one_line(out: Outcome, code: int, *needles: str) -> str:
    """The shared contract: exit code, exactly one stderr line containing every needle
    (case-insensitive), no traceback anywhere. Returns the line."""
    assert out.code == code, (out.code, out.stderr, out.stdout[-800:])
    assert "Traceback" not in out.stderr and "Traceback" not in out.stdout, out.stderr
    assert len(out.lines) == 1, out.stderr
    line = out.lines[0]
    for n in needles:
        assert n.lower() in line.lower(), (n, line)
    return line


@dataclass
class Ats:
    """Runs ``ats`` in-process with a clean environment in a scratch working directory."""

    cwd: Path
    db: Path
    cfg: Path

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> Outcome:
        from ats.cli.main import main

        full_env = {name: None for name in DANGEROUS_ENV}  # type: ignore[misc]
        full_env.update(env or {})
        old = os.getcwd()
        os.chdir(self.cwd)
        try:
            res: Result = CliRunner().invoke(main, list(args), env=full_env,
                                             catch_exceptions=True)
        finally:
            os.chdir(old)
        if res.exception is not None and not isinstance(res.exception, SystemExit):
            raise AssertionError(f"uncaught {res.exception!r}") from res.exception
        return Outcome(res.exit_code, res.stdout, res.stderr)


@pytest.fixture
def ats(tmp_path: Path, db: Path, cfg: Path) -> Iterator[Ats]:
    work = tmp_path / "work"
    work.mkdir()
    before = fingerprint(db)
    runner = Ats(work, db, cfg)
    yield runner
    assert fingerprint(db) == before, "the database changed"
    assert not (work / "data").exists(), "a default database was created"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def fake_bingx() -> Iterator[str]:
    """The faithful BingX fake (checks keys and signatures) served from its own thread."""
    from fakes.bingx_server import FakeBingx

    loop = asyncio.new_event_loop()
    fake = FakeBingx()
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(fake.start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield fake.base_url
    finally:
        asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
