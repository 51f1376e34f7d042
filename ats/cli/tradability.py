"""Can this account trade each configured instrument at the configured risk?

A $300 account cannot risk 0.8 % (2.40) on a 0.01-lot EURUSD position with a 4-hour stop
(about 5 dollars at risk): every entry there would be refused below the minimum lot. This
estimate tells the trader before the run, from the instrument's reference profile (the mock
market's price level, volatility, lot and contract size, quote currency and typical spread),
the venue's fees and slippage, and the tightest stop the brain plans (1.2 x ATR). It is a
warning, not an error: real volatility differs, and a wider strategy stop only makes the
minimum riskier.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ats.config.models import AdaptersConfig, Governance, SymbolsConfig
from ats.domain import timeframe_ms
from ats.risk.edge import round_trip_cost
from broker_adapters.factory import ADAPTERS, cost_model_for
from broker_adapters.mock.fx import USD_PAIRS
from broker_adapters.mock.profiles import KNOWN, MINUTES_PER_YEAR

STOP_ATR = 1.2  # the tightest stop the risk layer plans (PlanStops' default)
RANGE_PER_SIGMA = 1.6  # mean true range of a bar in units of its close-to-close sigma


@dataclass(frozen=True, slots=True)
class Tradability:
    adapter: str
    symbol: str
    timeframe: str
    min_lot_risk: float  # account currency lost at the stop by the minimum lot
    budget: float  # account currency the configured risk allows per trade
    currency: str

    @property
    def ok(self) -> bool:
        return self.min_lot_risk <= self.budget


def _usd_rate(currency: str) -> float | None:
    """USD per unit of ``currency`` at the reference profiles' price levels."""
    if currency.upper() in ("USD", "USDT", "USDC"):
        return 1.0
    pair = USD_PAIRS.get(currency.upper())
    if pair is None or pair[0] not in KNOWN:
        return None
    px = KNOWN[pair[0]].price
    return px if pair[1] else 1.0 / px


def check_tradability(symbols: SymbolsConfig, adapters: AdaptersConfig, gov: Governance,
                      equity: float, account: str = "USD") -> list[Tradability]:
    """One row per configured (adapter, symbol, timeframe) with a reference profile."""
    out: list[Tradability] = []
    acct = _usd_rate(account)
    if acct is None or not (math.isfinite(equity) and equity > 0):
        return out
    budget = equity * gov.risk.max_risk_per_trade
    for name, section in symbols.adapters.items():
        costs = cost_model_for(name, adapters) if name in ADAPTERS else None
        for sym in section.symbols:
            prof = KNOWN.get(sym)
            rate = _usd_rate(prof.quote_currency) if prof is not None else None
            if prof is None or rate is None:
                continue
            for tf in symbols.timeframes_for(name):
                minutes = timeframe_ms(tf) / 60_000
                atr = RANGE_PER_SIGMA * prof.annual_vol * math.sqrt(minutes / MINUTES_PER_YEAR) \
                    * prof.price
                stop = STOP_ATR * atr
                cost = 0.0
                if costs is not None:
                    fees = costs.for_class(prof.asset_class)
                    cost = round_trip_cost(prof.price, prof.price - stop,
                                           prof.price * prof.spread_bps / 1e4, fees.taker_fee,
                                           fees.slippage_bps_base)
                risk = prof.min_qty * prof.contract_size * (stop + cost) * rate / acct
                out.append(Tradability(name, sym, tf, risk, budget, account))
    return out
