"""Conversion to the account currency: what one unit of a currency is worth in the account's.

Money the brain reasons about (risk at the stop, PnL, margin, the daily lock, the kill
switch) is in the account currency. A price difference of an instrument is in its quote
currency (JPY for USDJPY, GBP for EURGBP), so every amount passes through one rate taken
from the venue: MT5's tick value, the mock market's own FX paths, BingX's USDT settlement.

Stablecoins (USDT, USDC) count at par with USD: BingX settles USDT perpetuals in USDT and a
paper account over it is kept in USD; a rate nobody quotes would be an invented number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from ats.domain.types import InstrumentSpec

USD_PAR = frozenset({"USD", "USDT", "USDC"})


def same_money(a: str, b: str) -> bool:
    """True when one unit of ``a`` is one unit of ``b`` (equal, or both USD at par)."""
    a, b = a.upper(), b.upper()
    return a == b or (a in USD_PAR and b in USD_PAR)


@dataclass(frozen=True, slots=True)
class FxRates:
    """Account-currency value of one unit of each currency, as the venue quotes it now.

    ``rates[ccy]`` is how many account units one ``ccy`` buys (JPY on a USD account at
    USDJPY 150: 0.006667). The account currency itself and USD-par stablecoins need no
    entry. ``rate`` returns None for a currency the venue gave no rate for: callers refuse
    the trade with that reason rather than assume 1.
    """

    account: str = "USD"
    rates: Mapping[str, float] = field(default_factory=dict)
    source: str = ""

    def rate(self, currency: str) -> float | None:
        if same_money(currency, self.account):
            return 1.0
        r = self.rates.get(currency.upper())
        if r is None:
            for other, value in self.rates.items():
                if same_money(other, currency):
                    r = value
                    break
        return r if r is not None and math.isfinite(r) and r > 0 else None

    def quote_rate(self, spec: InstrumentSpec) -> float | None:
        """Account units per one unit of ``spec``'s quote currency (None: no rate)."""
        return self.rate(spec.quote_currency)

    def convert(self, amount: float, currency: str) -> float | None:
        r = self.rate(currency)
        return None if r is None else amount * r


def point_value(spec: InstrumentSpec, fx: FxRates) -> float | None:
    """Account-currency PnL of one unit of quantity over a price move of 1.0."""
    r = fx.quote_rate(spec)
    return None if r is None else spec.contract_size * r
