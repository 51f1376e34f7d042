"""The ccxt exchange object as ATS needs it: strict about bodies, silent about secrets."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

import ccxt.async_support as ccxt


class RedactingLogger:
    """ccxt logs every request's headers at DEBUG, API key included: scrub before logging."""

    _SIG = re.compile(r"signature=[0-9a-fA-F]+")

    def __init__(self, secrets: Sequence[str]) -> None:
        self._log = logging.getLogger("broker_adapters.bingx.http")
        self._secrets = [s for s in secrets if s]

    def _emit(self, level: int, msg: str, *args: Any) -> None:
        if not self._log.isEnabledFor(level):
            return
        text = msg % args if args else msg
        for secret in self._secrets:
            text = text.replace(secret, "***")
        self._log.log(level, self._SIG.sub("signature=***", text))

    def debug(self, msg: str, *args: Any, **_: Any) -> None:
        self._emit(logging.DEBUG, msg, *args)

    def info(self, msg: str, *args: Any, **_: Any) -> None:
        self._emit(logging.INFO, msg, *args)

    def warning(self, msg: str, *args: Any, **_: Any) -> None:
        self._emit(logging.WARNING, msg, *args)

    def error(self, msg: str, *args: Any, **_: Any) -> None:
        self._emit(logging.ERROR, msg, *args)


class StrictBingx(ccxt.bingx):  # type: ignore[misc]
    """ccxt's bingx, but a 2xx body that is not JSON raises instead of parsing as empty.

    Stock ccxt returns the raw text, and e.g. ``fetch_ohlcv`` then yields ``[]`` — a truncated
    or HTML body would look like "no data" and a backfill would silently stop.
    """

    def handle_errors(self, httpCode: int, reason: str, url: str, method: str,  # noqa: N803
                      headers: dict[str, Any], body: str, response: Any,
                      requestHeaders: Any, requestBody: Any) -> Any:  # noqa: N803
        if response is None and 200 <= int(httpCode or 0) < 300:
            path = url.split("?", 1)[0]  # the query carries the signature: never echo it
            raise ccxt.BadResponse(
                f"{self.id} {method} {path} returned a body that is not JSON: {body[:80]!r}")
        return super().handle_errors(httpCode, reason, url, method, headers, body, response,
                                     requestHeaders, requestBody)
