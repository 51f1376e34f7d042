"""Keep the brain's conversion rates current: venue rates in, account-currency money out.

Once at start (before positions are restored, so their marks convert right) and once a
cycle, the venue is asked for its rates (``broker_adapters.base.FxSource``: MT5 tick
values, the mock market's own FX paths, a paper account's venue). A venue without rates
(BingX: everything settles in USDT) converts same money only; an instrument in another
currency is then refused at sizing with the missing rate named, never valued at 1:1.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

from ats.domain import FxRates, InstrumentSpec, same_money
from ats.i18n.said import Said
from broker_adapters.base import FxSource
from broker_adapters.errors import VenueError

log = logging.getLogger(__name__)


class _Book(Protocol):
    def set_fx_rate(self, symbol: str, rate: float) -> None: ...


async def fetch_fx(adapter: object, account_currency: str) -> FxRates:
    """The venue's rates, or same-money-only rates for a venue that quotes none."""
    if isinstance(adapter, FxSource):
        return await adapter.fx_rates()
    return FxRates(account_currency, source="same currency only")


def apply_fx(fx: FxRates, instruments: dict[str, InstrumentSpec], book: _Book) -> list[str]:
    """Hand each symbol's quote rate to the book; returns the symbols left without one."""
    missing = []
    for sym, spec in instruments.items():
        rate = fx.quote_rate(spec)
        if rate is None:
            missing.append(sym)
        else:
            book.set_fx_rate(sym, rate)
    return missing


async def refresh_fx(adapter: object, current: FxRates, instruments: dict[str, InstrumentSpec],
                     book: _Book) -> tuple[FxRates, str]:
    """New rates applied to ``book``; on a venue error the last rates stay, with the reason."""
    try:
        fx = await fetch_fx(adapter, current.account)
    except (VenueError, OSError) as exc:
        return current, Said("event.fx.failed", error=str(exc))
    missing = apply_fx(fx, instruments, book)
    note: str = ""
    if missing:
        note = Said("event.fx.missing", currency=fx.account, symbols=", ".join(missing))
    return fx, note


def currency_mismatches(instruments: dict[str, InstrumentSpec],
                        declared: Mapping[str, Any]) -> list[str]:
    """Symbols whose venue currencies differ from ``symbols.yaml`` ``instruments`` (text)."""
    out: list[str] = []
    for sym, spec in instruments.items():
        want = declared.get(sym)
        if want is None:
            continue
        if not same_money(spec.quote_currency, want.quote):
            out.append(Said("event.currency.quote", symbol=sym, venue_ccy=spec.quote_currency,
                            declared=want.quote))
        if spec.margin_currency and not same_money(spec.margin_currency, want.margin):
            out.append(Said("event.currency.margin", symbol=sym, venue_ccy=spec.margin_currency,
                            declared=want.margin))
    return out
