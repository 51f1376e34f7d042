"""MetaTrader5 ``last_error()`` codes and trade retcodes → the ATS error taxonomy.

Every code the official package defines is listed (INTEGRATIONS A.4/A.5) with a message that
says what to do; an unknown code still gets a class (by range) and its raw number.
"""

from __future__ import annotations

from broker_adapters.errors import (
    AuthenticationError,
    ConnectionLostError,
    InsufficientFundsError,
    InvalidOrderError,
    OrderFatalError,
    PermissionDeniedError,
    RateLimitError,
    SessionFatalError,
    VenueBusyError,
    VenueError,
    VenueTimeoutError,
)

VENUE = "mt5"
CHECKLIST = "reports/02_acceptance_checklist.md"


class LiveAccountRefused(SessionFatalError):
    """The terminal is logged into a REAL account while ATS was asked for demo trading."""


_LAST_ERRORS: dict[int, tuple[type[VenueError], str]] = {
    -1: (VenueBusyError, "the terminal call failed (generic error)"),
    -2: (InvalidOrderError, "invalid arguments passed to the terminal"),
    -3: (VenueBusyError, "the terminal ran out of memory"),
    -4: (InvalidOrderError, "not found (no such symbol, order or history)"),
    -5: (SessionFatalError, "the MetaTrader5 package and the terminal versions do not match; "
                            "update the terminal and `pip install -U MetaTrader5`"),
    -6: (AuthenticationError, "authorization failed; check MT5_LOGIN, MT5_PASSWORD and "
                              "MT5_SERVER in the environment or .env"),
    -7: (InvalidOrderError, "the terminal does not support this call"),
    -8: (PermissionDeniedError, "Algo Trading is disabled in the terminal; enable it (toolbar "
                                "button and Tools > Options > Expert Advisors)"),
    -10000: (ConnectionLostError, "internal terminal failure"),
    -10001: (ConnectionLostError, "IPC send failed (the terminal went away)"),
    -10002: (ConnectionLostError, "IPC receive failed (the terminal went away)"),
    -10003: (SessionFatalError, "IPC initialize failed: is the 64-bit terminal installed and "
                                "running next to this Python?"),
    -10004: (ConnectionLostError, "no IPC connection to the terminal"),
    -10005: (VenueTimeoutError, "IPC timeout: the terminal did not answer"),
}

_RETCODES: dict[int, tuple[type[VenueError], str]] = {
    10004: (VenueBusyError, "requote"),
    10006: (InvalidOrderError, "request rejected by the trade server"),
    10007: (InvalidOrderError, "request canceled by the trader"),
    10011: (VenueBusyError, "request processing error"),
    10012: (VenueTimeoutError, "request canceled by timeout"),
    10013: (InvalidOrderError, "invalid request"),
    10014: (InvalidOrderError, "invalid volume (check volume_min / volume_step)"),
    10015: (InvalidOrderError, "invalid price"),
    10016: (InvalidOrderError, "invalid stops (too close to the price?)"),
    10017: (PermissionDeniedError, "trading is disabled for this account or symbol"),
    10018: (VenueBusyError, "market is closed"),
    10019: (InsufficientFundsError, "not enough money (free margin) for the order"),
    10020: (VenueBusyError, "prices changed"),
    10021: (VenueBusyError, "no quotes to process the request"),
    10022: (InvalidOrderError, "invalid order expiration date"),
    10023: (InvalidOrderError, "order state changed"),
    10024: (RateLimitError, "too many requests"),
    10025: (InvalidOrderError, "no changes in request"),
    10026: (PermissionDeniedError, "Algo Trading disabled by the server"),
    10027: (PermissionDeniedError, "Algo Trading disabled in the client terminal; enable it"),
    10028: (VenueBusyError, "request locked for processing"),
    10029: (InvalidOrderError, "order or position frozen"),
    10030: (InvalidOrderError, "unsupported filling mode for this symbol"),
    10031: (ConnectionLostError, "no connection with the trade server"),
    10032: (PermissionDeniedError, "operation allowed only for live accounts"),
    10033: (OrderFatalError, "the number of pending orders reached the limit"),
    10034: (OrderFatalError, "the volume of orders and positions reached the symbol limit"),
    10035: (InvalidOrderError, "incorrect or prohibited order type"),
    10036: (InvalidOrderError, "position with the given identifier already closed"),
    10038: (InvalidOrderError, "close volume exceeds the position volume"),
    10039: (InvalidOrderError, "a close order already exists for this position"),
    10040: (OrderFatalError, "the number of open positions reached the limit"),
    10041: (InvalidOrderError, "pending order activation rejected, order canceled"),
    10042: (InvalidOrderError, "only long positions are allowed for this symbol"),
    10043: (InvalidOrderError, "only short positions are allowed for this symbol"),
    10044: (InvalidOrderError, "only position closing is allowed for this symbol"),
    10045: (InvalidOrderError, "position closing allowed only by FIFO rule"),
    10046: (InvalidOrderError, "opposite positions on one symbol are prohibited"),
}


def last_error_exception(code: int, text: str, action: str) -> VenueError:
    """The exception for ``last_error() == (code, text)`` after ``action`` failed."""
    cls, meaning = _LAST_ERRORS.get(code, (
        ConnectionLostError if code <= -10000 else VenueError, "unexpected terminal error"))
    return cls(f"{action}: {meaning} [{text}]", venue=VENUE, code=code)


def retcode_exception(retcode: int, comment: str, action: str) -> VenueError:
    """The exception for a trade result whose ``retcode`` is not a success."""
    cls, meaning = _RETCODES.get(retcode, (OrderFatalError, "trade request failed"))
    return cls(f"{action}: {meaning} [{comment}]", venue=VENUE, code=retcode)


def live_account_refused(login: int, server: str) -> LiveAccountRefused:
    return LiveAccountRefused(
        f"MT5 account {login} on {server} is a REAL (live money) account; ATS sends orders "
        f"only to demo accounts until every item of {CHECKLIST} passes. Log the terminal into "
        "a demo account, or use --paper (quotes only).", venue=VENUE)
