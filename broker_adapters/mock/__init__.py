"""The built-in mock market (no network): deterministic regime-switching paths, full trading."""

from broker_adapters.mock.market import DEFAULT_SYMBOLS, MockMarket, parse_start
from broker_adapters.mock.profiles import RegimeParams, Scenario, SymbolProfile, profile_for

__all__ = [
    "DEFAULT_SYMBOLS",
    "MockMarket",
    "RegimeParams",
    "Scenario",
    "SymbolProfile",
    "parse_start",
    "profile_for",
]
