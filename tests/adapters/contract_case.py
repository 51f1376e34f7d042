"""What a venue module hands the shared contract suite (see ``conftest.py`` for the rules)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from broker_adapters.base import BrokerAdapter


@dataclass(frozen=True)
class VenueCase:
    """One venue under test.

    ``open`` builds a *fresh* venue (start its local fake server inside the context manager if
    it needs one) and yields an adapter that is **not yet connected**; the suite calls
    ``connect()`` and ``close()`` itself. Everything must stay on this machine.
    """

    open: Callable[[], AbstractAsyncContextManager[BrokerAdapter]]
    symbol: str
    timeframe: str = "1h"
    qty: float = 0.01  # a small valid order size for ``symbol`` (fills fully at once)
    min_history: int = 120  # closed bars the venue can serve before "now" on ``timeframe``
    far_ratio: float = 0.9  # resting limit buys are placed at bid * far_ratio


@dataclass(frozen=True)
class VenueControl:
    """What the SL/TP and adoption contracts need beyond the adapter, registered by the venue
    module inside ``open`` (``register``): ``advance(ms)`` moves the venue's market and the
    adapter's clock on; ``reopen()`` gives a fresh, unconnected adapter on the *same* venue
    state, as a restarted process would get."""

    advance: Callable[[int], Awaitable[None]]
    reopen: Callable[[], BrokerAdapter]


CONTROLS: dict[int, VenueControl] = {}


def register(adapter: BrokerAdapter, control: VenueControl) -> None:
    CONTROLS[id(adapter)] = control


def unregister(adapter: BrokerAdapter) -> None:
    CONTROLS.pop(id(adapter), None)


def control(adapter: BrokerAdapter) -> VenueControl:
    try:
        return CONTROLS[id(adapter)]
    except KeyError:
        raise AssertionError("the venue module registered no VenueControl for this adapter "
                             "(contract_case.register inside its open())") from None
