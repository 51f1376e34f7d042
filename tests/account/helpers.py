"""Run the real ``ats`` CLI in a separate process (restarts and kills need real processes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import apsw

REPO = Path(__file__).resolve().parents[2]
ATS = [sys.executable, "-c", "from ats.cli.main import main; main()"]


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(REPO) + os.pathsep + e.get("PYTHONPATH", "")
    e["ATS_CONFIG_DIR"] = str(REPO / "configs")
    e.pop("MODE", None)
    e["COLUMNS"] = "200"
    return e


def ats(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ATS, *args], capture_output=True, text=True, env=env(),
                          timeout=timeout, check=False)


def spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*ATS, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env())


def rows(db: Path, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = apsw.Connection(str(db), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        return [tuple(r) for r in conn.execute(sql, args)]
    finally:
        conn.close()


def state(db: Path, key: str, account: str = "paper") -> dict[str, Any] | None:
    got = rows(db, "SELECT state FROM account_state WHERE account = ? AND key = ?",
               (account, key))
    return json.loads(got[0][0]) if got else None
