"""ccxt exceptions → the ATS error taxonomy, with messages a trader can act on.

The order of the checks matters: ccxt's hierarchy nests (``RateLimitExceeded`` and
``DDoSProtection`` are ``NetworkError`` children, ``OnMaintenance`` is an
``ExchangeNotAvailable``, ``PermissionDenied`` is an ``AuthenticationError``,
``BadSymbol`` is a ``BadRequest``), so the most specific class is tested first.

Every text that leaves here is scrubbed (``scrub``): BingX echoes API keys in some error
bodies and ccxt puts signed URLs in others, and these messages end up in logs, in
``sync_logs`` and on the trader's screen. The mapped error does not chain the ccxt exception
(its text is the unscrubbed one); ``origin`` names ccxt's class instead.

Code 100410 is BingX's rate limit ("rate limited", "frequency limit ... unblocked after
<ms>"), so it is a ``RateLimitError`` like HTTP 429 — ccxt calls it ``OperationFailed``.
Codes 100421 ("Null timestamp or timestamp mismatch") and 80014 ("timestamp is invalid")
mean this machine's clock is outside ``recvWindow``: ccxt calls 100421 ``BadSymbol``, which
would blame the symbol.

Malformed responses (a truncated body, an HTML error page from a proxy) are classified as
``VenueBusyError``: they are transient far more often than not, so the caller's retry helper
backs off and tries again; if they persist the final error still says "malformed response"
and names the endpoint, never a bare ``JSONDecodeError`` or ``TypeError``.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterable

import ccxt.async_support as ccxt

from broker_adapters.errors import (
    AuthenticationError,
    BadSymbolError,
    ConnectionLostError,
    InsufficientFundsError,
    InvalidOrderError,
    PermissionDeniedError,
    RateLimitError,
    SessionFatalError,
    VenueBusyError,
    VenueError,
    VenueTimeoutError,
)

VENUE = "bingx"
_BUSY_CODES = {"100500", "109500", "110500"}
_RATE_CODES = {"100410"}
_CLOCK_CODES = {"100421", "80014"}
_ORDER_ACTIONS = {"create_order", "cancel_order", "fetch_order"}
_CODE_RE = re.compile(r'"code"\s*:\s*"?(-?\d+)')
_MSG_RE = re.compile(r'"msg"\s*:\s*"([^"]*)"')


_SIG_RE = re.compile(r"(signature=)[0-9a-fA-F]+")
_KEY_HDR_RE = re.compile(r"(X-BX-APIKEY['\"]?\s*[:=]\s*['\"]?)[^'\",\s}]+", re.IGNORECASE)


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without API key, secret or request signature."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    text = _SIG_RE.sub(r"\1***", text)
    return _KEY_HDR_RE.sub(r"\1***", text)


def _detail(text: str) -> tuple[str, str | None]:
    """The venue's own message and code out of ccxt's ``"bingx {json body}"`` text."""
    code = _CODE_RE.search(text)
    msg = _MSG_RE.search(text)
    return (msg.group(1) if msg and msg.group(1) else text[:200]), (code.group(1) if code else None)


def map_ccxt_error(exc: BaseException, action: str,
                   secrets: Iterable[str] = ()) -> VenueError:
    """Translate one exception raised during ``action`` (e.g. "fetch_ohlcv BTC/USDT:USDT"),
    scrubbed of ``secrets``; ``origin`` on the result names the original class."""
    if isinstance(exc, VenueError):
        return exc
    mapped = _map(exc, scrub(str(exc), secrets), scrub(action, secrets))
    mapped.origin = type(exc).__name__  # type: ignore[attr-defined]
    return mapped


def _map(exc: BaseException, text: str, action: str) -> VenueError:
    msg, code = _detail(text)
    where = f"{action}: "
    if code in _RATE_CODES:
        return RateLimitError(where + "BingX rate limit hit (code 100410): " + msg
                              + "; backing off", venue=VENUE, code=code)
    if code in _CLOCK_CODES:
        return SessionFatalError(
            where + f"BingX refused the request time ({msg}): this computer's clock is off "
            "by more than recvWindow (5 s); sync it with NTP", venue=VENUE, code=code)
    if isinstance(exc, ccxt.RateLimitExceeded | ccxt.DDoSProtection):
        return RateLimitError(
            where + "BingX rate limit hit (HTTP 429/418); back off before the next request",
            venue=VENUE, code=code or 429,
        )
    if isinstance(exc, ccxt.RequestTimeout | asyncio.TimeoutError):
        return VenueTimeoutError(
            where + "BingX did not answer within the configured timeout (adapters.yaml "
            "bingx.timeout_ms)", venue=VENUE, code=code,
        )
    if isinstance(exc, ccxt.OnMaintenance):
        return VenueBusyError(where + "BingX is under maintenance: " + msg, venue=VENUE, code=code)
    if isinstance(exc, ccxt.ExchangeNotAvailable):
        return VenueBusyError(
            where + "BingX is not available (connection refused or HTTP 5xx): " + msg,
            venue=VENUE, code=code,
        )
    if isinstance(exc, ccxt.PermissionDenied):
        return PermissionDeniedError(
            where + "BingX refused the API key's permissions (" + msg + "); enable trading "
            "for the key or whitelist this IP", venue=VENUE, code=code,
        )
    if isinstance(exc, ccxt.AuthenticationError):
        return AuthenticationError(
            where + "BingX rejected the credentials (" + msg + "); check BINGX_API_KEY and "
            "BINGX_API_SECRET in the environment or .env", venue=VENUE, code=code,
        )
    if isinstance(exc, ccxt.InsufficientFunds):
        return InsufficientFundsError(where + "insufficient margin: " + msg, venue=VENUE,
                                      code=code)
    if isinstance(exc, ccxt.BadSymbol):
        return BadSymbolError(where + "unknown or restricted symbol: " + msg, venue=VENUE,
                              code=code)
    if isinstance(exc, ccxt.InvalidOrder | ccxt.BadRequest | ccxt.ArgumentsRequired):
        return InvalidOrderError(where + "request rejected: " + msg, venue=VENUE, code=code)
    if isinstance(exc, ccxt.BadResponse | json.JSONDecodeError | TypeError | KeyError | ValueError):
        return VenueBusyError(
            where + f"BingX sent a malformed response ({type(exc).__name__}: {text[:120]})",
            venue=VENUE, code=code,
        )
    if code in _BUSY_CODES or (isinstance(exc, ccxt.OperationFailed)
                               and not isinstance(exc, ccxt.NetworkError)):
        return VenueBusyError(where + "BingX says it is busy: " + msg, venue=VENUE, code=code)
    if isinstance(exc, ccxt.NetworkError):
        return ConnectionLostError(where + "network error talking to BingX: " + msg,
                                   venue=VENUE, code=code)
    if isinstance(exc, ccxt.ExchangeError) and action.split(" ")[0] in _ORDER_ACTIONS:
        return InvalidOrderError(where + "BingX refused the order request: " + msg,
                                 venue=VENUE, code=code)
    return VenueError(where + f"unexpected {type(exc).__name__}: {text[:200]}", venue=VENUE,
                      code=code)
