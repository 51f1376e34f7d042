"""A fake ``MetaTrader5`` package, faithful to the documented API (see INTEGRATIONS.md §A).

Importable as ``MetaTrader5`` (put ``tests/fakes`` on PYTHONPATH, as the bridge test does for
its RPyC server subprocess) or as ``fakes.MetaTrader5`` in-process. The module-level
functions are bound to one ``TradingTerminal``; ``_reset(**kw)`` replaces it with a fresh one
(tests call it, remotely through the bridge too) and ``_terminal`` gives the test controls
(``fail_next``, ``drop_ipc``, ``retcodes_next``, ``advance``, ``set_now``).
``make_module()`` builds an independent module object for in-process tests.
"""

from __future__ import annotations

import types
from typing import Any

from ._constants import *  # noqa: F403  (the official package exports its constants flat)
from ._constants import __dict__ as _constants_ns  # type: ignore[attr-defined]
from ._structs import RATES_DTYPE, TICKS_DTYPE  # noqa: F401
from ._terminal import DEFAULT_NOW_MS  # noqa: F401
from ._trading import TradingTerminal

__version__ = "5.0.6231"
__author__ = "MetaQuotes Ltd."

API = (
    "initialize", "login", "shutdown", "version", "last_error", "account_info",
    "terminal_info", "symbols_total", "symbols_get", "symbol_info", "symbol_info_tick",
    "symbol_select", "copy_rates_from", "copy_rates_from_pos", "copy_rates_range",
    "copy_ticks_from", "copy_ticks_range", "orders_total", "orders_get", "positions_total",
    "positions_get", "history_orders_total", "history_orders_get", "history_deals_total",
    "history_deals_get", "order_calc_margin", "order_calc_profit", "order_check", "order_send",
)


def _bind(namespace: dict[str, Any], terminal: TradingTerminal) -> None:
    for name in API:
        namespace[name] = getattr(terminal, name)
    namespace["_terminal"] = terminal


def _reset(**kwargs: Any) -> TradingTerminal:
    """A fresh terminal behind the module functions; returns it for test controls."""
    terminal = TradingTerminal(**kwargs)
    _bind(globals(), terminal)
    return terminal


def make_module(terminal: TradingTerminal | None = None) -> types.ModuleType:
    """An independent ``MetaTrader5`` module object for in-process injection."""
    mod = types.ModuleType("MetaTrader5")
    mod.__dict__.update({k: v for k, v in _constants_ns.items() if k.isupper()})
    mod.__version__ = __version__
    _bind(mod.__dict__, terminal or TradingTerminal())
    return mod


_terminal: TradingTerminal
_reset()
