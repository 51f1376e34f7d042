"""Faithful local fakes of external systems (BingX REST, the MetaTrader5 module, its bridge)."""
