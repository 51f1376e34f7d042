"""Time every awaited venue call (the venue round trip) and note the spread of each quote.

The brain talks to its venue through many call sites (bars, quotes, orders, fills,
recovery); wrapping the adapter once measures all of them the same way, whatever venue
sits behind it. The wrapper is transparent: attributes read and written go to the adapter,
and ``isinstance`` sees the adapter's class, so the brain treats it as the adapter itself.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from time import perf_counter
from typing import Any

from ats.brain.latency import LatencyBook

_OWN = frozenset({"_venue", "_book", "_spreads"})


class TimedVenue:
    """Proxy an adapter: coroutine methods are timed into ``book`` under their name."""

    def __init__(self, venue: Any, book: LatencyBook, spreads: dict[str, float]) -> None:
        object.__setattr__(self, "_venue", venue)
        object.__setattr__(self, "_book", book)
        object.__setattr__(self, "_spreads", spreads)

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # isinstance(proxy, PaperBroker) answers for the adapter
        return type(object.__getattribute__(self, "_venue"))

    @property
    def wrapped(self) -> Any:
        return object.__getattribute__(self, "_venue")

    def __getattr__(self, name: str) -> Any:
        value = getattr(object.__getattribute__(self, "_venue"), name)
        if inspect.iscoroutinefunction(value):
            return self._timed(name, value)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _OWN:
            object.__setattr__(self, name, value)
        else:
            setattr(object.__getattribute__(self, "_venue"), name, value)

    def _timed(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        book: LatencyBook = object.__getattribute__(self, "_book")
        spreads: dict[str, float] = object.__getattribute__(self, "_spreads")

        async def call(*args: Any, **kwargs: Any) -> Any:
            t0 = perf_counter()
            try:
                result = await fn(*args, **kwargs)
            finally:
                book.observe(name, perf_counter() - t0)
            if name == "quote":
                _note_spread(spreads, result)
            return result

        return call


def _note_spread(spreads: dict[str, float], quote: Any) -> None:
    """Spread as a ratio of the mid (0.0002 = 2 bps); a one-sided quote is not a spread."""
    try:
        bid, ask = float(quote.bid), float(quote.ask)
    except (AttributeError, TypeError, ValueError):
        return
    mid = (bid + ask) / 2.0
    if bid > 0 and ask >= bid and mid > 0:
        spreads[str(quote.symbol)] = (ask - bid) / mid
