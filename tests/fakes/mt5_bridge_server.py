"""Launch an RPyC *classic* server in a subprocess with the fake ``MetaTrader5`` importable.

This is what the Windows side runs in production (``rpyc_classic`` / mt5linux's server), with
``tests/fakes`` on PYTHONPATH in place of the real package. Run as a script it binds
127.0.0.1 on the given port (0 = any free one) and prints ``PORT <n>`` once listening.
``BridgeServer`` starts it, reads the port, and stops it (terminate, then kill).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

FAKES = Path(__file__).resolve().parent


class BridgeServer:
    """Our own launcher of rpyc's classic server; ``first_path`` goes before everything on
    the server's PYTHONPATH (e.g. a folder holding rpyc 5, to play an old mt5linux server)."""

    def __init__(self, port: int = 0, *, with_fake: bool = True,
                 first_path: Path | None = None) -> None:
        self.port = port
        self.with_fake = with_fake
        self.first_path = first_path
        self.proc: subprocess.Popen[str] | None = None

    def start(self, timeout: float = 20.0) -> BridgeServer:
        env = dict(os.environ)
        if self.with_fake:
            env["PYTHONPATH"] = os.pathsep.join(
                [str(FAKES), *filter(None, [env.get("PYTHONPATH")])])
        if self.first_path is not None:
            env["PYTHONPATH"] = os.pathsep.join(
                [str(self.first_path), *filter(None, [env.get("PYTHONPATH")])])
        args = [sys.executable, str(Path(__file__)), str(self.port)]
        self.proc = subprocess.Popen(
            args + ([] if self.with_fake else ["--no-mt5"]), env=env,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"bridge server did not start: {line!r}")
        self.port = int(line.split()[1])
        return self

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()

    def __enter__(self) -> BridgeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mt5LinuxServer:
    """The real mt5linux 1.1.1 server entry (``mt5linux/__main__.py``, rpyc's ClassicServer)
    in a subprocess on 127.0.0.1, with the fake ``MetaTrader5`` importable.

    ``args`` are the server's command-line options as a user types them after
    ``python -m mt5linux``; ``{port}`` is replaced by a free port. The entry file is run by
    path: the package's ``__init__`` imports mt5linux's *client*, which needs Python >= 3.12
    (PEP 701 f-strings), while its server entry runs on any Python rpyc 6 supports.
    """

    def __init__(self, package_dir: Path, args: list[str]) -> None:
        self.package_dir = package_dir
        self.port = free_port()
        self.args = [a.replace("{port}", str(self.port)) for a in args]
        self.proc: subprocess.Popen[str] | None = None

    def start(self, timeout: float = 20.0) -> Mt5LinuxServer:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(FAKES), *filter(None, [env.get("PYTHONPATH")])])
        entry = self.package_dir / "mt5linux" / "__main__.py"
        self.proc = subprocess.Popen([sys.executable, str(entry), *self.args], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True, cwd=str(self.package_dir))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read() if self.proc.stderr else ""
                raise RuntimeError(f"mt5linux server exited: {err[-400:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"mt5linux server did not listen on {self.port} in {timeout} s")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stderr is not None:
            proc.stderr.close()


def _serve(port: int, require_mt5: bool) -> None:
    if require_mt5:
        import MetaTrader5  # noqa: F401  (fail fast if the fake is not importable)
    else:  # a server without the package: hide the fake that sits next to this script
        sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != FAKES]
    from rpyc.core.service import SlaveService
    from rpyc.utils.server import ThreadedServer

    server = ThreadedServer(SlaveService, hostname="127.0.0.1", port=port, reuse_addr=True,
                            protocol_config={"allow_all_attrs": True, "allow_pickle": True})
    thread = threading.Thread(target=server.start, daemon=True)
    thread.start()
    for _ in range(500):  # announce the port only once connections are accepted
        try:
            socket.create_connection(("127.0.0.1", server.port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.01)
    print(f"PORT {server.port}", flush=True)
    thread.join()


if __name__ == "__main__":
    _serve(int(sys.argv[1]) if len(sys.argv) > 1 else 0, "--no-mt5" not in sys.argv)
