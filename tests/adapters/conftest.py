"""Venue discovery for the shared adapter contract suite (``test_contract.py``).

How to add a venue
------------------
Create ``tests/adapters/venue_<name>.py`` exposing one module-level name::

    from contract_case import VenueCase   # tests/adapters is on sys.path here

    VENUES: dict[str, VenueCase] = {
        "bingx": VenueCase(open=_open_bingx, symbol="BTC/USDT:USDT", timeframe="1h", qty=0.001),
    }

(a plain ``dict`` with the same keys as ``VenueCase`` is accepted too). ``open`` is a
zero-argument callable returning an *async context manager* that starts whatever local fake
the venue needs, yields a fresh, **not yet connected** ``BrokerAdapter`` and tears everything
down on exit. The suite calls ``await adapter.connect()`` before and ``await adapter.close()``
after each test. Every test gets a fresh venue, so state never leaks between tests.

What the suite expects (the contract, precisely)
------------------------------------------------
* ``server_time()`` is ms UTC; ``instruments()`` contains ``case.symbol`` keyed by its own name.
* ``history(symbol, tf, since, limit)`` returns at most ``limit`` closed bars with
  ``ts >= since`` (bar open time, ms), strictly increasing, aligned to ``tf``; paging with
  ``since = last_ts + tf_ms`` continues without overlap. The venue must serve at least
  ``case.min_history`` closed bars before "now".
* ``latest_bars(symbol, tf, n)`` never includes the forming bar: ``last_ts + tf_ms <=
  server_time()``. Bars are valid: finite positive prices, ``low <= open, close <= high``.
* ``quote()``: ``0 < bid < ask``.
* ``order_book()`` / ``funding_rate()`` work when ``capabilities.depth`` / ``.funding`` are
  True and raise ``CapabilityError`` when they are False.
* ``account().equity > 0``.
* A GTC limit buy of ``case.qty`` at ``bid * case.far_ratio`` (rounded to the tick) rests with
  status ``NEW``; ``fetch_order`` returns it; ``cancel_order`` returns status ``CANCELED``.
  With ``capabilities.stop_orders`` a far buy stop rests the same way, otherwise placing one
  raises ``CapabilityError``.
* A market buy of ``case.qty`` ends ``FILLED`` (immediately, or on ``fetch_order`` within a few
  polls); ``fills_since(t0)`` holds its fills summing to ``case.qty``; ``positions()`` shows
  ``+case.qty``; a reduce-only market sell flattens it.
* Placing the same ``client_order_id`` twice returns the existing order and never fills twice.
* **Rejections raise** (a REJECTED order is never *returned* by ``place_order``): quantity
  ``<= 0`` raises ``InvalidOrderError``; an unknown symbol raises ``BadSymbolError``; a
  reduce-only order that would increase exposure raises an ``OrderFatalError`` subclass
  (``InvalidOrderError``) when ``capabilities.reduce_only``, else ``CapabilityError``.
  ``fetch_order``/``cancel_order`` of an unknown client id raise ``InvalidOrderError``.
  The status ``REJECTED`` is kept for *asynchronous* refusals (an accepted order the venue
  refuses later), with ``Order.reason`` saying why.
* ``close()`` may be called twice.
* Protection and adoption (``test_contract_protection.py``): the venue module registers a
  ``VenueControl`` (``contract_case.register``) inside ``open`` — ``advance(ms)`` moves its
  market and clock, ``reopen()`` gives a fresh adapter on the same venue state. An entry with
  ``stop_loss``/``take_profit`` leaves them resting at the venue; ``set_protection`` moves
  them; the market closes the position near the stop; ``cancel_protection`` removes them;
  a reduce-only exit leaves nothing protective behind; a reopened adapter lists resting
  orders by client id (``open_orders``) and the positions.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from contract_case import VenueCase  # noqa: E402


def _as_case(name: str, raw: Any) -> VenueCase:
    if isinstance(raw, VenueCase):
        return raw
    if isinstance(raw, dict):
        return VenueCase(**raw)
    raise TypeError(f"venue {name!r}: VENUES values must be VenueCase or dict, got {raw!r}")


def collect_venues() -> dict[str, VenueCase]:
    """Import every ``venue_*.py`` next to this file and merge their ``VENUES``.

    A venue module that fails to import is an error, not a silent skip: a broken fake must
    be seen.
    """
    venues: dict[str, VenueCase] = {}
    for path in sorted(HERE.glob("venue_*.py")):
        mod_name = f"_ats_adapter_{path.stem}"
        spec = importlib.util.spec_from_file_location(mod_name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[mod_name] = module
        spec.loader.exec_module(module)
        found = getattr(module, "VENUES", None)
        if not isinstance(found, dict):
            raise TypeError(f"{path.name} must define VENUES: dict[str, VenueCase]")
        for name, raw in found.items():
            if name in venues:
                raise ValueError(f"venue name {name!r} defined twice ({path.name})")
            venues[name] = _as_case(name, raw)
    return venues


VENUE_CASES = collect_venues()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "venue_case" in metafunc.fixturenames:
        names = sorted(VENUE_CASES)
        metafunc.parametrize("venue_case", [VENUE_CASES[n] for n in names], ids=names)


@pytest.fixture
async def venue(venue_case: VenueCase):  # type: ignore[no-untyped-def]
    """A connected adapter for one venue case; closed afterwards."""
    async with venue_case.open() as adapter:
        await adapter.connect()
        try:
            yield adapter
        finally:
            await adapter.close()
