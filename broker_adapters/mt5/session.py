"""The terminal session: initialize/login, one async call path, reconnect after IPC failures.

Every MetaTrader5 call blocks (named-pipe IPC, or a socket round trip over the bridge), so it
runs in ``asyncio.to_thread``. A ``None`` result is turned into the exception its
``last_error()`` code stands for; an IPC failure (codes -10000..-10005, or the bridge dropping)
triggers one re-initialize and one retry of the call before ``ConnectionLostError``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from ats.config.settings import Settings
from broker_adapters.errors import ConnectionLostError, SessionFatalError, VenueError
from broker_adapters.mt5 import constants as C
from broker_adapters.mt5.errors import VENUE, last_error_exception
from broker_adapters.mt5.terminal import LastError, Mt5Terminal, NativeTerminal, TransportError

log = logging.getLogger(__name__)


class Mt5Session:
    def __init__(self, terminal: Mt5Terminal, settings: Settings, timeout_seconds: float) -> None:
        self.terminal = terminal
        self._settings = settings
        self._timeout_ms = int(timeout_seconds * 1000)
        self.reconnects = 0

    # ------------------------------------------------------------------ start / stop
    def _login_kwargs(self) -> dict[str, Any]:
        s = self._settings
        if s.mt5_login is None:
            return {}  # use the account the terminal is already logged into
        kw: dict[str, Any] = {"login": int(s.mt5_login)}
        if s.mt5_password is not None:
            kw["password"] = s.mt5_password.get_secret_value()
        if s.mt5_server:
            kw["server"] = s.mt5_server
        return kw

    def _start_sync(self) -> None:
        try:
            self.terminal.open()
            if isinstance(self.terminal, NativeTerminal):
                self.terminal.call("shutdown")  # a clean slate after a dead pipe
            ok, err = self.terminal.call("initialize", timeout=self._timeout_ms,
                                         **self._login_kwargs())
        except TransportError as exc:
            if exc.fatal:
                raise SessionFatalError(str(exc), venue=VENUE) from exc
            raise ConnectionLostError(str(exc), venue=VENUE) from exc
        if not ok:
            raise last_error_exception(err[0], err[1], f"initialize ({self.terminal.description})")

    async def start(self) -> None:
        await asyncio.to_thread(self._start_sync)

    async def stop(self) -> None:
        def _stop() -> None:
            try:
                self.terminal.call("shutdown")
            except (TransportError, OSError, EOFError):
                pass  # already gone: nothing to shut down
            finally:
                self.terminal.close()

        await asyncio.to_thread(_stop)

    async def _reconnect(self, why: str) -> None:
        self.reconnects += 1
        log.warning("mt5: reconnecting to %s after %s", self.terminal.description, why)
        await asyncio.to_thread(self.terminal.close)
        await self.start()

    # ------------------------------------------------------------------ calls
    async def raw(self, name: str, *args: Any, **kwargs: Any) -> tuple[Any, LastError]:
        """``(result, last_error)``; reconnects once on an IPC failure."""
        for attempt in (1, 2):
            try:
                result, err = await asyncio.to_thread(self.terminal.call, name, *args, **kwargs)
            except TransportError as exc:
                if exc.fatal:
                    raise SessionFatalError(str(exc), venue=VENUE) from exc
                if attempt == 2:
                    raise ConnectionLostError(f"{name}: {exc}", venue=VENUE) from exc
                await self._reconnect(str(exc))
                continue
            except VenueError:
                raise
            except Exception as exc:  # a TypeError from the C layer, a remote exception, ...
                raise VenueError(f"{name} raised {type(exc).__name__}: {exc}",
                                 venue=VENUE) from exc
            if result is None and err[0] in C.IPC_ERRORS and attempt == 1:
                await self._reconnect(f"{name} failed with {err}")
                continue
            return result, err
        raise AssertionError("unreachable")  # pragma: no cover

    async def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """The result; ``None`` becomes the exception its ``last_error()`` code maps to."""
        result, err = await self.raw(name, *args, **kwargs)
        if result is None:
            raise last_error_exception(err[0], err[1], name)
        return result

    async def rows(self, name: str, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        """A tuple-returning call (orders, positions, history) as a list.

        ``None`` with "Success" or "not found" means "nothing there" on some terminal builds
        rather than a failure, so it becomes ``[]``; any other code still raises.
        """
        result, err = await self.raw(name, *args, **kwargs)
        if result is None:
            if err[0] in (C.RES_S_OK, C.RES_E_NOT_FOUND):
                return []
            raise last_error_exception(err[0], err[1], name)
        return list(result)
