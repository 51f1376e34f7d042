"""The mock market's one FX set: every currency valued in USD from the mock's own paths.

Conversion rates must come from the venue, and on the mock market the venue is the path
generator. Each currency gets its USD value from the path of its USD pair (EUR from EURUSD,
JPY from 1 / USDJPY, XAU from XAUUSD) at the last closed minute — the same minute the
quotes show — whether or not that pair is subscribed. A cross (EURGBP) converts its GBP PnL
through GBPUSD. Rates to a non-USD account divide through that account currency's USD
value, so every conversion in one minute comes from one consistent set.

Kept apart from ``market.py`` (its caches and paths belong to the market itself); this
module only reads prices.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from ats.domain.fx import USD_PAR, FxRates
from broker_adapters.mock.paths import MINUTE_MS
from broker_adapters.mock.profiles import SymbolProfile, profile_for

# Currency -> (its USD pair, True when USD is the pair's quote currency).
USD_PAIRS: dict[str, tuple[str, bool]] = {
    "EUR": ("EURUSD", True),
    "GBP": ("GBPUSD", True),
    "XAU": ("XAUUSD", True),
    "JPY": ("USDJPY", False),
}


class _Paths(Protocol):
    def minutes(self, prof: SymbolProfile, m0: int, m1: int) -> dict: ...


class MockPrices(Protocol):
    """What the FX set needs from the mock market."""

    gen: _Paths
    origin_ms: int


def usd_value(market: MockPrices, currency: str, now_ms: int) -> float | None:
    """USD per one unit of ``currency`` at the last closed minute (None: no USD pair)."""
    ccy = currency.upper()
    if ccy in USD_PAR:
        return 1.0
    pair = USD_PAIRS.get(ccy)
    if pair is None:
        return None
    m = (now_ms - market.origin_ms) // MINUTE_MS - 1
    if m < 0:
        return None
    close = float(market.gen.minutes(profile_for(pair[0]), m, m + 1)["close"][0])
    if not close > 0:
        return None
    return close if pair[1] else 1.0 / close


def mock_fx(market: MockPrices, account: str, currencies: Iterable[str],
            now_ms: int) -> FxRates:
    """Rates to ``account`` for ``currencies`` (those without a USD pair are left out)."""
    acct = usd_value(market, account, now_ms)
    rates: dict[str, float] = {}
    if acct is not None:
        for ccy in {c.upper() for c in currencies}:
            v = usd_value(market, ccy, now_ms)
            if v is not None:
                rates[ccy] = v / acct
    return FxRates(account.upper(), rates, source="mock paths")
