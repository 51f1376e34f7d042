"""MetaTrader 5 through the official ``MetaTrader5`` package, natively or over an RPyC bridge."""

from broker_adapters.mt5.adapter import Mt5Adapter
from broker_adapters.mt5.errors import LiveAccountRefused

__all__ = ["LiveAccountRefused", "Mt5Adapter"]
