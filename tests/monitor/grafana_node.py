"""Grafana's own data-frame code (npm ``@grafana/data``) for the node-graph test.

The package is installed once into the git-ignored ``.cache/npm`` at the version pinned in
``tests/monitor/nodegraph/package.json`` (with its lock file): by ``.ci/run``, or here the
first time a test needs it. Missing ``node``/``npm`` is a test failure, never a skip: the
node-graph proof is part of the suite.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
PIN_DIR = Path(__file__).resolve().parent / "nodegraph"
CACHE = REPO / ".cache" / "npm"
SCRIPT = PIN_DIR / "nodegraph_frames.cjs"


def pinned_version() -> str:
    return str(json.loads((PIN_DIR / "package.json").read_text())["dependencies"]["@grafana/data"])


def _installed_version() -> str | None:
    pkg = CACHE / "node_modules" / "@grafana" / "data" / "package.json"
    try:
        return str(json.loads(pkg.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None


def ensure_grafana_data() -> str:
    """Install the pinned ``@grafana/data`` into ``.cache/npm`` if it is not there; the
    ``node`` binary to run scripts with."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("node and npm are needed for the Grafana node-graph test "
                    "(Debian: apt-get install nodejs npm; .ci/run installs them)")
    want = pinned_version()
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two pytest processes never install at once
        if _installed_version() != want:
            for name in ("package.json", "package-lock.json"):
                shutil.copyfile(PIN_DIR / name, CACHE / name)
            res = subprocess.run(
                [npm, "install", "--no-audit", "--no-fund", "--ignore-scripts",
                 "--loglevel=error"], cwd=CACHE, capture_output=True, text=True, timeout=600,
            )
            if res.returncode != 0 or _installed_version() != want:
                pytest.fail(f"npm install of @grafana/data {want} into {CACHE} failed: "
                            f"{res.stdout[-2000:]}{res.stderr[-2000:]}")
    return node


def node_graph_frames(panel: dict[str, Any], results: dict[str, Any]) -> dict[str, Any]:
    """What Grafana's node graph reads from ``panel`` fed with Prometheus ``results``."""
    node = ensure_grafana_data()
    res = subprocess.run(
        [node, str(SCRIPT)], input=json.dumps({"panel": panel, "results": results}),
        capture_output=True, text=True, timeout=120,
        env={"NODE_PATH": str(CACHE / "node_modules"), "PATH": "/usr/bin:/bin"},
    )
    assert res.returncode == 0, res.stderr[-4000:]
    out: dict[str, Any] = json.loads(res.stdout)
    return out
