"""Real bridge server packages for the bridge tests, installed beside (not into) the venv.

The tests run two servers nobody here wrote, each in a subprocess on 127.0.0.1 in front of
the fake ``MetaTrader5``:

* ``mt5linux==1.1.1`` (rpyc 6): the server people are told to run. Its wheel pins
  ``plumbum==1.7.0``, which would fight the venv, so it goes in with ``--no-deps`` into its
  own folder; the server needs only rpyc (and plumbum), which the venv has.
* ``rpyc==5.3.1``: what the mt5linux 0.1.x/0.2.x servers run; an rpyc 6 client cannot talk
  to it, and the adapter must say so.

``.ci/run`` runs ``python tests/fakes/bridge_pkgs.py`` first; a test that finds a folder missing
installs it then from the package registry (as the node-graph test does for ``@grafana/data``),
so README's test command works on a fresh machine, and fails naming this command if pip cannot.
The folder is ``$ATS_BRIDGE_PKGS`` or ``.cache/bridge-pkgs`` in the repository (git-ignored).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = {"mt5linux-1.1.1": "mt5linux==1.1.1", "rpyc-5.3.1": "rpyc==5.3.1"}


def root() -> Path:
    return Path(os.environ.get("ATS_BRIDGE_PKGS") or REPO / ".cache" / "bridge-pkgs")


def package_dir(name: str) -> Path:
    """The folder holding ``name`` (a key of ``PACKAGES``), installed on first use;
    AssertionError when it cannot be installed."""
    path = root() / name
    if not (path / ".complete").exists():
        try:
            install()
        except (OSError, subprocess.CalledProcessError) as exc:
            raise AssertionError(f"could not install {PACKAGES[name]}: {exc}") from exc
    if not (path / ".complete").exists():
        raise AssertionError(
            f"{PACKAGES[name]} is not installed in {path}; run `python tests/fakes/bridge_pkgs.py`"
            " (CI's .ci/run does)")
    return path


def install() -> None:
    for name, req in PACKAGES.items():
        path = root() / name
        if (path / ".complete").exists():
            continue
        path.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                        "--target", str(path), req], check=True)
        (path / ".complete").write_text(req + "\n")
        print(f"installed {req} into {path}")


if __name__ == "__main__":
    install()
