"""Deterministic quotes, bars and ticks in *server* time (UTC+2 by default), with weekend gaps.

Like a real MT5 broker feed, every time here is the trade server's wall clock written as if it
were UTC (INTEGRATIONS A.7), bars are bid prices, ``spread`` is in points, and nothing trades
between Friday 24:00 and Monday 00:00 server time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._constants import (
    TIMEFRAME_D1,
    TIMEFRAME_H1,
    TIMEFRAME_H4,
    TIMEFRAME_M1,
    TIMEFRAME_M5,
    TIMEFRAME_M15,
    TIMEFRAME_M30,
)
from ._structs import RATES_DTYPE, TICKS_DTYPE

TF_SECONDS = {
    TIMEFRAME_M1: 60, TIMEFRAME_M5: 300, TIMEFRAME_M15: 900, TIMEFRAME_M30: 1800,
    TIMEFRAME_H1: 3600, TIMEFRAME_H4: 14400, TIMEFRAME_D1: 86400,
}


@dataclass
class SymbolSpec:
    name: str
    base_price: float
    digits: int
    contract_size: float
    filling_mode: int  # SYMBOL_FILLING_FOK=1 | SYMBOL_FILLING_IOC=2 bits
    spread_points: int
    currency_base: str
    currency_profit: str
    path: str
    volume_min: float = 0.01
    volume_max: float = 100.0
    volume_step: float = 0.01
    trade_calc_mode: int = 0  # FOREX
    trade_exemode: int = 2  # MARKET execution
    stops_level: int = 0  # points: the least distance of SL/TP (and pending prices) from price
    freeze_level: int = 0  # points: SL/TP this close to the price cannot be modified
    volume_limit: float = 0.0  # lots one direction may hold (positions + pending); 0 = none

    @property
    def point(self) -> float:
        return 10.0 ** -self.digits


FX = "Forex\\Majors\\"
DEFAULT_SYMBOLS = {
    "EURUSD": SymbolSpec("EURUSD", 1.0850, 5, 100_000, 3, 10, "EUR", "USD", FX + "EURUSD"),
    "GBPUSD": SymbolSpec("GBPUSD", 1.2700, 5, 100_000, 1, 14, "GBP", "USD", FX + "GBPUSD"),
    "USDJPY": SymbolSpec("USDJPY", 148.50, 3, 100_000, 0, 12, "USD", "JPY", "Forex\\Majors\\USDJPY",
                         trade_exemode=3),
    "XAUUSD": SymbolSpec("XAUUSD", 2050.0, 2, 100, 2, 25, "XAU", "USD", "Metals\\XAUUSD",
                         trade_calc_mode=2, stops_level=50, freeze_level=20, volume_limit=1.0),
}


def is_open(server_s: np.ndarray | int) -> np.ndarray | bool:
    """Monday..Friday in server time (1970-01-01 was a Thursday)."""
    return ((np.asarray(server_s) // 86400 + 3) % 7) < 5


def mid(spec: SymbolSpec, server_s: np.ndarray | float) -> np.ndarray:
    t = np.asarray(server_s, dtype=np.float64)
    wave = 0.004 * np.sin(t / 3600.0 / 7.0) + 0.001 * np.sin(t / 600.0) + 0.0003 * np.sin(t / 47.0)
    return np.round(spec.base_price * (1.0 + wave), spec.digits)


def last_open_second(now_s: int) -> int:
    """The last server second at or before ``now_s`` when the market was open."""
    t = now_s
    while not is_open(t):
        t = (t // 86400) * 86400 - 1
    return t


def bid_ask(spec: SymbolSpec, server_s: int) -> tuple[float, float]:
    b = float(mid(spec, server_s))
    return b, round(b + spec.spread_points * spec.point, spec.digits)


def rates(spec: SymbolSpec, tf: int, opens: np.ndarray, now_s: int) -> np.ndarray:
    """Bars opening at ``opens`` (server seconds); the bar containing ``now_s`` is partial."""
    length = TF_SECONDS[tf]
    out = np.zeros(len(opens), dtype=RATES_DTYPE)
    if not len(opens):
        return out
    ends = np.minimum(opens + length, now_s + 1)
    frac = np.linspace(0.0, 1.0, 9, endpoint=False)
    pts = mid(spec, opens[:, None] + frac[None, :] * (ends - opens)[:, None])
    out["time"] = opens
    out["open"] = pts[:, 0]
    out["close"] = mid(spec, ends - 1)
    out["high"] = np.maximum(pts.max(axis=1), out["close"])
    out["low"] = np.minimum(pts.min(axis=1), out["close"])
    out["tick_volume"] = 10 + (opens // 60) % 37
    out["spread"] = spec.spread_points
    out["real_volume"] = 0
    return out


def bar_opens_between(tf: int, start_s: int, end_s: int, now_s: int) -> np.ndarray:
    length = TF_SECONDS[tf]
    first = -(-start_s // length) * length
    last = min(end_s, now_s)
    if last < first:
        return np.zeros(0, dtype=np.int64)
    opens = np.arange(first, last + 1, length, dtype=np.int64)
    return opens[is_open(opens)]


def bar_opens_back(tf: int, before_s: int, count: int, skip: int = 0) -> np.ndarray:
    """The ``count`` open-market bar opens at or before ``before_s``, newest ``skip`` dropped."""
    length = TF_SECONDS[tf]
    newest = (before_s // length) * length
    need = count + skip
    span = max(need * 2 + 4 * 86400 // length, 16)
    opens = newest - length * np.arange(span, dtype=np.int64)
    opens = opens[is_open(opens)][skip:need]
    return opens[::-1]


def ticks(spec: SymbolSpec, start_s: int, end_s: int, count: int, now_s: int) -> np.ndarray:
    times = np.arange(start_s - start_s % 5, min(end_s, now_s) + 1, 5, dtype=np.int64)
    times = times[is_open(times) & (times >= start_s)][:count]
    out = np.zeros(len(times), dtype=TICKS_DTYPE)
    bid = mid(spec, times)
    out["time"] = times
    out["bid"] = bid
    out["ask"] = np.round(bid + spec.spread_points * spec.point, spec.digits)
    out["time_msc"] = times * 1000
    out["flags"] = 2 | 4
    return out
