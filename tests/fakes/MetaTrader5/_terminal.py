"""The fake terminal: connection state, account, Market Watch, history and the data functions.

Trading (``order_check`` / ``order_send``) lives in ``_trading.py``; this class holds the state
both share. Every public method mirrors the official function of the same name: same
arguments (keyword-only options by name), same return types, ``None`` plus ``last_error()`` on
failure, and the "No IPC connection" error before ``initialize()`` or after ``shutdown()``.
"""

from __future__ import annotations

import calendar
import fnmatch
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from . import _constants as C
from . import _market as M
from ._structs import (
    AccountInfo,
    SymbolInfo,
    TerminalInfo,
    Tick,
    TradeDeal,
    TradeOrder,
    TradePosition,
)

#: 2026-01-05 12:00:30 UTC, a Monday: 14:00:30 on a UTC+2 trade server.
DEFAULT_NOW_MS = 1_767_614_430_000
NO_IPC = (C.RES_E_INTERNAL_FAIL_CONNECT, "No IPC connection")
OK = (C.RES_S_OK, "Success")


def to_seconds(value: Any) -> int:
    """Dates may be ``datetime`` or int seconds since 1970 (INTEGRATIONS A.1)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return calendar.timegm(value.timetuple())
        return int(value.timestamp())
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("invalid date argument")
    return int(value)


@dataclass
class FakeTerminal:
    now_utc_ms: int = DEFAULT_NOW_MS
    offset_s: int = 7200
    login_id: int = 5012345
    password: str = "demo-pass"
    server: str = "FakeBroker-Demo"
    trade_mode: int = C.ACCOUNT_TRADE_MODE_DEMO
    margin_mode: int = C.ACCOUNT_MARGIN_MODE_RETAIL_HEDGING
    balance: float = 10_000.0
    leverage: int = 100
    maxbars: int = 100_000
    algo_trading: bool = True
    symbols: dict[str, M.SymbolSpec] = field(default_factory=lambda: dict(M.DEFAULT_SYMBOLS))
    initialized: bool = False
    logged_in: bool = False
    ipc_alive: bool = True
    selected: set[str] = field(default_factory=lambda: {"EURUSD"})
    positions: dict[int, dict[str, Any]] = field(default_factory=dict)
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    history_orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    deals: list[dict[str, Any]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    failures: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    retcodes_next: list[int] = field(default_factory=list)
    delays: dict[str, list[float]] = field(default_factory=dict)
    next_ticket: int = 50_000_001
    quiet_s: int = 0  # no tick for this long: the newest tick and bar are this old
    _last_error: tuple[int, str] = NO_IPC

    # ------------------------------------------------------------------ test controls
    def fail_next(self, name: str, code: int, message: str, times: int = 1) -> None:
        """The next ``times`` calls of ``name`` return None with ``last_error() == (code, msg)``."""
        self.failures.setdefault(name, []).extend([(code, message)] * times)

    def delay_next(self, name: str, seconds: float, times: int = 1) -> None:
        """The next ``times`` calls of ``name`` block for ``seconds`` first (a hung terminal)."""
        self.delays.setdefault(name, []).extend([seconds] * times)

    def drop_ipc(self) -> None:
        """The terminal went away: every call fails with "No IPC connection" until initialize."""
        self.ipc_alive = False

    def set_now(self, utc_ms: int) -> None:
        self.now_utc_ms = int(utc_ms)

    def ticket(self) -> int:
        self.next_ticket += 1
        return self.next_ticket

    @property
    def now_s(self) -> int:
        """Trade-server wall clock, in seconds, written as if it were UTC."""
        return self.now_utc_ms // 1000 + self.offset_s

    def last_trade_s(self) -> int:
        """Server second of the newest tick (a quiet market's is ``quiet_s`` old)."""
        return M.last_open_second(self.now_s - self.quiet_s)

    def _enter(self, name: str) -> bool:
        self.calls.append(name)
        pending = self.delays.get(name)
        if pending:
            time.sleep(pending.pop(0))
        queued = self.failures.get(name)
        if queued:
            self._last_error = queued.pop(0)
            return False
        if not (self.initialized and self.ipc_alive):
            self._last_error = NO_IPC
            return False
        self._last_error = OK
        return True

    def _fail(self, code: int, message: str) -> None:
        self._last_error = (code, message)

    # ------------------------------------------------------------------ session
    def initialize(self, path: str | None = None, *, login: int | None = None,
                   password: str | None = None, server: str | None = None,
                   timeout: int = 60_000, portable: bool = False) -> bool:
        self.calls.append("initialize")
        queued = self.failures.get("initialize")
        if queued:
            self._last_error = queued.pop(0)
            return False
        self.ipc_alive = True
        self.initialized = True
        if login is not None:
            return self.login(login, password=password, server=server, timeout=timeout)
        self._last_error = OK
        return True

    def login(self, login: int, *, password: str | None = None, server: str | None = None,
              timeout: int = 60_000) -> bool:
        if not self._enter("login"):
            return False
        if login != self.login_id or password != self.password or (
                server is not None and server != self.server):
            self.logged_in = False
            self._fail(C.RES_E_AUTH_FAILED, "Terminal: Authorization failed")
            return False
        self.logged_in = True
        return True

    def shutdown(self) -> None:
        self.calls.append("shutdown")
        self.initialized = False

    def version(self) -> tuple[int, int, str] | None:
        if not self._enter("version"):
            return None
        return (500, 5430, "14 Nov 2025")

    def last_error(self) -> tuple[int, str]:
        return self._last_error

    # ------------------------------------------------------------------ account / terminal
    def unrealized(self) -> float:
        return sum(self.position_profit(p) for p in self.positions.values())

    def used_margin(self) -> float:
        return sum(self.margin_for(p["symbol"], p["volume"], p["price_open"])
                   for p in self.positions.values())

    def margin_for(self, symbol: str, volume: float, price: float) -> float:
        spec = self.symbols[symbol]
        notional = volume * spec.contract_size * (1.0 if spec.currency_base == "USD" else price)
        return notional / self.leverage

    def to_usd(self, spec: M.SymbolSpec, amount: float, price: float) -> float:
        return amount / price if spec.currency_profit != "USD" else amount

    def position_profit(self, p: dict[str, Any]) -> float:
        spec = self.symbols[p["symbol"]]
        bid, ask = M.bid_ask(spec, M.last_open_second(self.now_s))
        exit_px = bid if p["type"] == C.POSITION_TYPE_BUY else ask
        sign = 1 if p["type"] == C.POSITION_TYPE_BUY else -1
        raw = (exit_px - p["price_open"]) * sign * p["volume"] * spec.contract_size
        return round(self.to_usd(spec, raw, exit_px), 2)

    def account_info(self) -> AccountInfo | None:
        if not self._enter("account_info") or not self.logged_in:
            if self._last_error == OK:
                self._fail(C.RES_E_AUTH_FAILED, "Terminal: Not logged in")
            return None
        profit = self.unrealized()
        equity = self.balance + profit
        margin = self.used_margin()
        return AccountInfo(
            self.login_id, self.trade_mode, self.leverage, 200, 0, True, True, self.margin_mode,
            2, False, round(self.balance, 2), 0.0, round(profit, 2), round(equity, 2),
            round(margin, 2), round(equity - margin, 2),
            round(equity / margin * 100, 2) if margin else 0.0, 50.0, 30.0, 0.0, 0.0, 0.0, 0.0,
            0.0, "ATS Tester", self.server, "USD", "Fake Broker Ltd.")

    def terminal_info(self) -> TerminalInfo | None:
        if not self._enter("terminal_info"):
            return None
        return TerminalInfo(
            False, False, self.ipc_alive, False, self.algo_trading, False, False, False, False,
            False, 5430, self.maxbars, 0, 1500, 0.0, 0.0, "Fake Broker Ltd.", "MetaTrader 5",
            "English", "C:\\Program Files\\MetaTrader 5", "C:\\Users\\ats\\AppData\\MT5",
            "C:\\Users\\ats\\AppData\\Common")

    # ------------------------------------------------------------------ symbols
    def symbols_total(self) -> int | None:
        return len(self.symbols) if self._enter("symbols_total") else None

    def symbols_get(self, group: str | None = None) -> tuple[SymbolInfo, ...] | None:
        if not self._enter("symbols_get"):
            return None
        pats = [p.strip() for p in (group or "*").split(",")]
        names = [n for n in self.symbols
                 if any(fnmatch.fnmatch(n, p) for p in pats if not p.startswith("!"))
                 and not any(fnmatch.fnmatch(n, p[1:]) for p in pats if p.startswith("!"))]
        return tuple(self._symbol_info(n) for n in names)

    def symbol_select(self, symbol: str, enable: bool = True) -> bool:
        if not self._enter("symbol_select"):
            return False
        if symbol not in self.symbols:
            self._fail(C.RES_E_NOT_FOUND, "Terminal: Not found")
            return False
        if enable:
            self.selected.add(symbol)
        elif any(p["symbol"] == symbol for p in self.positions.values()):
            self._fail(C.RES_E_FAIL, "Terminal: Call failed")
            return False
        else:
            self.selected.discard(symbol)
        return True

    def _symbol_info(self, name: str) -> SymbolInfo:
        s = self.symbols[name]
        bid, ask = M.bid_ask(s, M.last_open_second(self.now_s))
        # What one tick of one lot is worth in the (USD) account, as the terminal reports
        # it: the profit currency converted at the symbol's own price (USDJPY: 100/price).
        tick_value = round(self.to_usd(s, s.point * s.contract_size, (bid + ask) / 2), 8)
        values: dict[str, Any] = {f: 0 for f in SymbolInfo._fields}
        values.update(
            select=name in self.selected, visible=name in self.selected, time=self.now_s,
            digits=s.digits, spread=s.spread_points, spread_float=True,
            trade_calc_mode=s.trade_calc_mode, trade_mode=C.SYMBOL_TRADE_MODE_FULL,
            trade_exemode=s.trade_exemode, filling_mode=s.filling_mode, order_mode=127,
            bid=bid, ask=ask, point=s.point, trade_tick_value=tick_value,
            trade_tick_value_profit=tick_value, trade_tick_value_loss=tick_value,
            trade_tick_size=s.point,
            trade_contract_size=s.contract_size, volume_min=s.volume_min,
            volume_max=s.volume_max, volume_step=s.volume_step, volume_limit=s.volume_limit,
            trade_stops_level=s.stops_level, trade_freeze_level=s.freeze_level,
            bidhigh=bid, bidlow=bid, askhigh=ask, asklow=ask, currency_base=s.currency_base,
            currency_profit=s.currency_profit, currency_margin=s.currency_base, name=name,
            description=name, path=s.path, basis="", category="", bank="", exchange="",
            formula="", isin="", page="",
        )
        return SymbolInfo(**values)

    def symbol_info(self, symbol: str) -> SymbolInfo | None:
        if not self._enter("symbol_info"):
            return None
        if symbol not in self.symbols:
            self._fail(C.RES_E_NOT_FOUND, "Terminal: Not found")
            return None
        return self._symbol_info(symbol)

    def symbol_info_tick(self, symbol: str) -> Tick | None:
        if not self._enter("symbol_info_tick"):
            return None
        if symbol not in self.symbols or symbol not in self.selected:
            self._fail(C.RES_E_NOT_FOUND, "Terminal: Not found")
            return None
        t = self.last_trade_s()
        bid, ask = M.bid_ask(self.symbols[symbol], t)
        msc = t * 1000 + (self.now_utc_ms % 1000 if t == self.now_s else 0)
        return Tick(t, bid, ask, 0.0, 0, msc, C.TICK_FLAG_BID | C.TICK_FLAG_ASK, 0.0)

    # ------------------------------------------------------------------ bars and ticks
    def _series(self, name: str, symbol: str, timeframe: int) -> M.SymbolSpec | None:
        if not self._enter(name):
            return None
        if symbol not in self.symbols:
            self._fail(C.RES_E_INVALID_PARAMS, 'Invalid "symbol" argument')
            return None
        if timeframe not in M.TF_SECONDS:
            self._fail(C.RES_E_INVALID_PARAMS, 'Invalid "timeframe" argument')
            return None
        return self.symbols[symbol]

    def _rates(self, spec: M.SymbolSpec, timeframe: int, opens: np.ndarray) -> np.ndarray | None:
        oldest = self.now_s - self.maxbars * M.TF_SECONDS[timeframe]
        opens = opens[opens >= oldest]
        if not len(opens):
            self._fail(C.RES_E_NOT_FOUND, "Terminal: Not found")
            return None
        return M.rates(spec, timeframe, opens, self.now_s)

    def copy_rates_from_pos(self, symbol: str, timeframe: int, start_pos: int,
                            count: int) -> np.ndarray | None:
        spec = self._series("copy_rates_from_pos", symbol, timeframe)
        if spec is None:
            return None
        count = min(int(count), self.maxbars)
        opens = M.bar_opens_back(timeframe, self.last_trade_s(), count, int(start_pos))
        return self._rates(spec, timeframe, opens)

    def copy_rates_from(self, symbol: str, timeframe: int, date_from: Any,
                        count: int) -> np.ndarray | None:
        spec = self._series("copy_rates_from", symbol, timeframe)
        if spec is None:
            return None
        before = min(to_seconds(date_from), self.now_s)
        opens = M.bar_opens_back(timeframe, before, min(int(count), self.maxbars))
        return self._rates(spec, timeframe, opens)

    def copy_rates_range(self, symbol: str, timeframe: int, date_from: Any,
                         date_to: Any) -> np.ndarray | None:
        spec = self._series("copy_rates_range", symbol, timeframe)
        if spec is None:
            return None
        opens = M.bar_opens_between(timeframe, to_seconds(date_from), to_seconds(date_to),
                                    self.now_s)
        return self._rates(spec, timeframe, opens)

    def copy_ticks_from(self, symbol: str, date_from: Any, count: int,
                        flags: int) -> np.ndarray | None:
        spec = self._series("copy_ticks_from", symbol, C.TIMEFRAME_M1)
        if spec is None:
            return None
        return M.ticks(spec, to_seconds(date_from), self.now_s, int(count), self.now_s)

    def copy_ticks_range(self, symbol: str, date_from: Any, date_to: Any,
                         flags: int) -> np.ndarray | None:
        spec = self._series("copy_ticks_range", symbol, C.TIMEFRAME_M1)
        if spec is None:
            return None
        return M.ticks(spec, to_seconds(date_from), to_seconds(date_to), 10**9, self.now_s)

    # ------------------------------------------------------------------ orders, positions, deals
    def _select(self, rows: list[dict[str, Any]], symbol: str | None, group: str | None,
                ticket: int | None) -> list[dict[str, Any]]:
        if symbol is not None:
            return [r for r in rows if r["symbol"] == symbol]
        if ticket is not None:
            return [r for r in rows if r["ticket"] == ticket]
        if group is not None:
            return [r for r in rows if fnmatch.fnmatch(r["symbol"], group)]
        return rows

    def positions_total(self) -> int | None:
        return len(self.positions) if self._enter("positions_total") else None

    def positions_get(self, *, symbol: str | None = None, group: str | None = None,
                      ticket: int | None = None) -> tuple[TradePosition, ...] | None:
        if not self._enter("positions_get"):
            return None
        rows = self._select(list(self.positions.values()), symbol, group, ticket)
        out = []
        for p in rows:
            spec = self.symbols[p["symbol"]]
            bid, ask = M.bid_ask(spec, M.last_open_second(self.now_s))
            cur = bid if p["type"] == C.POSITION_TYPE_BUY else ask
            out.append(TradePosition(**{**p, "price_current": cur,
                                        "profit": self.position_profit(p)}))
        return tuple(out)

    def orders_total(self) -> int | None:
        return len(self.orders) if self._enter("orders_total") else None

    def orders_get(self, *, symbol: str | None = None, group: str | None = None,
                   ticket: int | None = None) -> tuple[TradeOrder, ...] | None:
        if not self._enter("orders_get"):
            return None
        return tuple(TradeOrder(**o) for o in
                     self._select(list(self.orders.values()), symbol, group, ticket))

    def _history(self, name: str, rows: list[dict[str, Any]], time_key: str, args: tuple,
                 group: str | None, ticket: int | None,
                 position: int | None) -> list[dict[str, Any]] | None:
        if not self._enter(name):
            return None
        if ticket is not None:
            return [r for r in rows if r["ticket"] == ticket]
        if position is not None:
            return [r for r in rows if r["position_id"] == position]
        if len(args) != 2:
            self._fail(C.RES_E_INVALID_PARAMS, "Invalid arguments")
            return None
        lo, hi = to_seconds(args[0]), to_seconds(args[1])
        rows = [r for r in rows if lo <= r[time_key] <= hi]
        return [r for r in rows if group is None or fnmatch.fnmatch(r["symbol"], group)]

    def history_orders_total(self, date_from: Any, date_to: Any) -> int | None:
        rows = self._history("history_orders_total", list(self.history_orders.values()),
                             "time_setup", (date_from, date_to), None, None, None)
        return None if rows is None else len(rows)

    def history_orders_get(self, *args: Any, group: str | None = None,
                           ticket: int | None = None,
                           position: int | None = None) -> tuple[TradeOrder, ...] | None:
        rows = self._history("history_orders_get", list(self.history_orders.values()),
                             "time_setup", args, group, ticket, position)
        return None if rows is None else tuple(TradeOrder(**o) for o in rows)

    def history_deals_total(self, date_from: Any, date_to: Any) -> int | None:
        rows = self._history("history_deals_total", self.deals, "time", (date_from, date_to),
                             None, None, None)
        return None if rows is None else len(rows)

    def history_deals_get(self, *args: Any, group: str | None = None,
                          ticket: int | None = None,
                          position: int | None = None) -> tuple[TradeDeal, ...] | None:
        rows = self._history("history_deals_get", self.deals, "time", args, group, ticket,
                             position)
        return None if rows is None else tuple(TradeDeal(**d) for d in rows)
