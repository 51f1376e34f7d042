"""Two ways to reach the MetaTrader5 API with one synchronous call interface.

``NativeTerminal`` calls an imported ``MetaTrader5`` module (Windows, or a test fake).
``BridgeTerminal`` talks to a Windows Python over an RPyC *classic* connection. It never
touches remote objects attribute by attribute: a small helper is executed once on the remote
side, and each call ships pickled builtin arguments in and pickled plain results out (one
round trip, by value). That avoids rpyc netrefs for dicts and structs, the unpicklable MT5
struct types, numpy version skew and the repr-eval pitfalls of mt5linux (INTEGRATIONS §B).

Both return ``(result, last_error)`` and serialise calls with a lock: the MetaTrader5 module
has one global state, so two threads must never interleave a call and its ``last_error``.

Supported bridge servers (``SUPPORTED_SERVERS``): any rpyc **6.x** classic server — the
``mt5linux`` 1.1.x server entry (``python -m mt5linux``; it is rpyc's ClassicServer) or
``rpyc_classic`` from ``rpyc>=6,<7``. The mt5linux 0.1.x/0.2.x servers most guides install
pin rpyc 5, whose wire protocol an rpyc 6 client cannot read: rpyc raises a bare
``ValueError: invalid message type: 18`` inside ``connect``; ``open`` turns that (and a
major-version difference it reads from the server) into an error saying what to install.
"""

from __future__ import annotations

import inspect
import pickle
import threading
import types
from typing import Any, Protocol

from broker_adapters.mt5 import plain

LastError = tuple[int, str]
SUPPORTED_SERVERS = ("an rpyc 6.x classic server: mt5linux 1.1.x (rpyc 6) or rpyc_classic "
                     "from rpyc>=6,<7")


class Mt5Terminal(Protocol):
    description: str

    def open(self) -> None: ...

    def call(self, name: str, *args: Any, **kwargs: Any) -> tuple[Any, LastError]: ...

    def close(self) -> None: ...


class TransportError(Exception):
    """The bridge itself failed (server down, connection dropped, protocol mismatch)."""

    def __init__(self, message: str, *, fatal: bool = False) -> None:
        super().__init__(message)
        self.fatal = fatal


def _err(value: Any) -> LastError:
    if not value:
        return (1, "Success")
    code, text = value[0], value[1] if len(value) > 1 else ""
    return int(code), str(text)


class NativeTerminal:
    """The ``MetaTrader5`` module in this process (``import MetaTrader5`` unless injected)."""

    def __init__(self, module: types.ModuleType | Any | None = None) -> None:
        self._module = module
        self._lock = threading.Lock()
        self.description = "MetaTrader5 (native)"

    def open(self) -> None:
        if self._module is None:
            try:
                import MetaTrader5  # type: ignore[import-not-found]
            except ImportError as exc:
                raise TransportError(
                    "the MetaTrader5 package is not importable here (it exists only for "
                    "Windows); set mt5.mode: bridge in adapters.yaml and run the bridge "
                    "server described in docs/mt5_bridge.md", fatal=True) from exc
            self._module = MetaTrader5

    def call(self, name: str, *args: Any, **kwargs: Any) -> tuple[Any, LastError]:
        if self._module is None:
            self.open()
        with self._lock:
            result = getattr(self._module, name)(*args, **kwargs)
            err = _err(self._module.last_error())
        return plain.from_plain(plain.to_plain(result)), err

    def close(self) -> None:
        """Nothing to release here: ``shutdown()`` is the adapter's call."""


_REMOTE_HELPER = """
import pickle as _ats_pickle
import MetaTrader5 as _ats_mt5
{plain_source}
def _ats_call(name, payload):
    args, kwargs = _ats_pickle.loads(payload)
    result = getattr(_ats_mt5, name)(*args, **kwargs)
    err = _ats_mt5.last_error()
    return _ats_pickle.dumps((to_plain(result), tuple(err) if err else None), protocol=4)
"""


class BridgeTerminal:
    """``MetaTrader5`` in a remote Windows Python, over an RPyC classic server."""

    def __init__(self, host: str, port: int, timeout_seconds: float,
                 margin_seconds: float = 15.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout_seconds
        self.margin = margin_seconds
        self.description = f"MetaTrader5 over the RPyC bridge at {host}:{port}"
        self._conn: Any = None
        self._remote_call: Any = None
        self._lock = threading.Lock()

    def open(self) -> None:
        import rpyc
        from rpyc.core.service import ClassicClient
        from rpyc.utils.factory import connect

        self.close()
        try:
            # initialize/login may block for their own timeout; leave rpyc room beyond it.
            conn = connect(self.host, self.port, ClassicClient, keepalive=True,
                           config={"sync_request_timeout": self.timeout + self.margin})
        except OSError as exc:
            raise TransportError(
                f"cannot reach the MT5 bridge at {self.host}:{self.port} ({exc}); is the "
                "RPyC server running on the Windows side? See docs/mt5_bridge.md") from exc
        except (ValueError, EOFError) as exc:  # rpyc 5 server: "invalid message type: 18"
            raise TransportError(self._mismatch(str(exc), "5"), fatal=True) from None
        try:
            remote = str(conn.eval("__import__('rpyc').__version__"))
        except (ValueError, EOFError) as exc:
            conn.close()
            raise TransportError(self._mismatch(str(exc), "5"), fatal=True) from None
        if remote.split(".")[0] != rpyc.__version__.split(".")[0]:
            conn.close()
            raise TransportError(self._mismatch(f"server rpyc {remote}", remote), fatal=True)
        try:
            conn.execute(_REMOTE_HELPER.format(plain_source=inspect.getsource(plain.to_plain)))
            self._remote_call = conn.namespace["_ats_call"]
        except ModuleNotFoundError as exc:
            conn.close()
            raise TransportError(
                "the bridge's Python cannot import MetaTrader5; pip install MetaTrader5 "
                "into the Windows Python that runs the RPyC server", fatal=True) from exc
        except (ValueError, EOFError) as exc:
            conn.close()
            raise TransportError(
                f"the MT5 bridge speaks another RPyC protocol ({exc}); install the same rpyc "
                f"major version on both sides (this side has {rpyc.__version__})",
                fatal=True) from exc
        self._conn = conn

    def _mismatch(self, detail: str, server_rpyc: str) -> str:
        import rpyc

        return (
            f"the MT5 bridge at {self.host}:{self.port} speaks another RPyC protocol ({detail}): "
            f"its server runs rpyc {server_rpyc.split('.')[0]}.x (mt5linux 0.1.x/0.2.x pin rpyc "
            f"5), this side has rpyc {rpyc.__version__}. On the Windows Python install "
            "\"mt5linux==1.1.1\" (rpyc 6) or \"rpyc>=6,<7\" and restart the server; supported: "
            f"{SUPPORTED_SERVERS}. See docs/mt5_bridge.md")

    def call(self, name: str, *args: Any, **kwargs: Any) -> tuple[Any, LastError]:
        with self._lock:
            if self._conn is None:  # the session re-opens it (and re-initializes the terminal)
                raise TransportError(f"the MT5 bridge connection is closed before {name}")
            payload = pickle.dumps((args, kwargs), protocol=4)
            try:
                raw = self._remote_call(name, payload)
            except TimeoutError as exc:  # rpyc's "result expired": the terminal hangs
                self.close()
                raise TransportError(f"the MT5 bridge gave no answer to {name} within "
                                     f"{self.timeout + self.margin:.0f} s ({exc})") from exc
            except (EOFError, OSError) as exc:
                self.close()
                raise TransportError(f"the MT5 bridge dropped during {name}: {exc}") from exc
            result, err = pickle.loads(bytes(raw))  # noqa: S301 (our own helper's output)
        return plain.from_plain(result), _err(err)

    def close(self) -> None:
        conn, self._conn, self._remote_call = self._conn, None, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - a dead socket cannot be closed more
                pass
