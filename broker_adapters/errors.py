"""One error taxonomy for every venue: it decides retry vs reject-the-order vs stop-the-session.

- ``RetryableError``: timeouts, rate limits, venue busy, connection lost — back off and retry.
- ``OrderFatalError``: insufficient funds, invalid order, bad symbol — this order is rejected,
  the session goes on.
- ``SessionFatalError``: authentication, permission — stop trading on this venue and tell the
  trader.
"""

from __future__ import annotations


class VenueError(Exception):
    """Base of every adapter error; ``venue`` and ``code`` say where it came from."""

    def __init__(self, message: str, *, venue: str = "", code: str | int | None = None) -> None:
        self.venue = venue
        self.code = code
        self.message = message
        prefix = f"[{venue}] " if venue else ""
        suffix = f" (code {code})" if code is not None else ""
        super().__init__(f"{prefix}{message}{suffix}")


class RetryableError(VenueError):
    """Transient: the same call may succeed later."""


class RateLimitError(RetryableError):
    pass


class VenueBusyError(RetryableError):
    pass


class ConnectionLostError(RetryableError):
    pass


class VenueTimeoutError(RetryableError):
    pass


class OrderFatalError(VenueError):
    """This order cannot succeed as sent; retrying it is pointless."""


class InsufficientFundsError(OrderFatalError):
    pass


class InvalidOrderError(OrderFatalError):
    pass


class BadSymbolError(OrderFatalError):
    pass


class SessionFatalError(VenueError):
    """The session cannot continue: credentials, permissions, a live account where refused."""


class AuthenticationError(SessionFatalError):
    pass


class PermissionDeniedError(SessionFatalError):
    pass


class CapabilityError(VenueError):
    """The venue does not offer this feature (see ``Capabilities``)."""


class BadBarError(ValueError):
    """A bar failed validation and could not be repaired."""
