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
    def __init__(self, port: int = 0, *, with_fake: bool = True) -> None:
        self.port = port
        self.with_fake = with_fake
        self.proc: subprocess.Popen[str] | None = None

    def start(self, timeout: float = 20.0) -> BridgeServer:
        env = dict(os.environ)
        if self.with_fake:
            env["PYTHONPATH"] = os.pathsep.join(
                [str(FAKES), *filter(None, [env.get("PYTHONPATH")])])
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
