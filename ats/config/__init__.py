"""Configuration: locked governance, enable map, symbols, adapters, process settings."""

from ats.config.loader import (
    ConfigError,
    LockedGovernance,
    config_dir,
    load_adapters,
    load_enable_map,
    load_governance,
    load_symbols,
    local_override,
)
from ats.config.models import (
    AdaptersConfig,
    Challenger,
    EnableMap,
    Governance,
    SymbolsConfig,
)
from ats.config.settings import LiveTradingRefused, Settings, load_settings, refuse_live

__all__ = [
    "AdaptersConfig",
    "Challenger",
    "ConfigError",
    "EnableMap",
    "Governance",
    "LiveTradingRefused",
    "LockedGovernance",
    "Settings",
    "SymbolsConfig",
    "config_dir",
    "load_adapters",
    "load_enable_map",
    "load_governance",
    "load_settings",
    "load_symbols",
    "local_override",
    "refuse_live",
]
