"""Vectorized backtester over bar arrays.

Fill semantics (the same text is in ``research_lab/README.md``):

* Signals are computed on a bar's **close**; the order fills at the **next bar's open**. A
  signal on the last bar is never filled.
* One position at a time. An entry for the other side while in a position is a reversal:
  the exit and the new entry fill at the same next open. An entry and an exit for the same
  side on one bar keep the position (the entry wins); long and short entries on one bar
  cancel (no new entry).
* Market fills cross the spread (buy at ``open + spread/2``, sell at ``open - spread/2``) and
  then slip against the trader by ``CostModel.slippage_bps(qty, bar volume, signal-bar range
  in bps)``; every fill pays the taker fee. These are the paper simulator's costs: one
  ``CostModel`` for both.
* Stops and takes are resting orders checked **intrabar** from the fill bar on, at levels
  anchored at the signal bar's close (the stop-loss a live entry order carries), matched
  as the paper engine matches them (``PaperEngine.on_bar``): the stop fills at its level,
  or at the open when the bar gaps through it (the worse price), taker fee; the take fills
  at its level (maker fee), or at the open when the bar gaps through it. When one bar
  touches both, the **stop is assumed first**.
* ``max_hold_bars``: the position is closed at the open after that many bars.
* A position still open after the last bar is closed at the last close (reason ``end``).
* Sizing: ``risk`` sizes so that hitting the stop loses ``risk_per_trade`` of equity (the
  brain's sizing), capped by ``leverage_cap``; ``notional`` buys ``notional_fraction`` of
  equity. Equity compounds trade by trade.

Bars are processed as whole numpy arrays: "next true index" tables make every exit lookup
O(1), stops are searched with array comparisons over the trade's own bars only, and the
equity curve is a cumulative sum of per-fill deltas — Python only loops once per trade.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import ceil, floor, inf, isfinite, nan
from typing import Literal

import numpy as np

from ats.domain import Bars
from ats.domain.costs import CostModel
from ats.domain.types import Side, timeframe_ms
from research_lab.backtest.fastpath import fast_trades
from research_lab.backtest.metrics import Metrics, compute_metrics
from research_lab.dsl.evaluate import SignalArrays

YEAR_MS = 365 * 86_400_000


@dataclass(frozen=True, slots=True)
class BacktestConfig:
    initial_equity: float = 10_000.0
    sizing: Literal["risk", "notional"] = "risk"
    risk_per_trade: float = 0.008
    notional_fraction: float = 1.0
    leverage_cap: float = 3.0
    cost: CostModel = field(default_factory=CostModel)
    max_hold_bars: int | None = None
    bars_per_year: float = 365 * 24  # 1h bars; ``for_timeframe`` sets it
    # price grid of stop/take levels (0 = none); the brain's plan_stops rounds the stop away
    # from the entry and the take to the nearest tick, and so does the backtest when set
    tick_size: float = 0.0


def for_timeframe(timeframe: str, **kwargs: object) -> BacktestConfig:
    return BacktestConfig(bars_per_year=YEAR_MS / timeframe_ms(timeframe), **kwargs)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Trades:
    """Columnar trade list (one row per round trip)."""

    side: np.ndarray  # +1 long, -1 short
    signal_bar: np.ndarray
    entry_bar: np.ndarray
    exit_bar: np.ndarray
    entry_price: np.ndarray
    exit_price: np.ndarray
    qty: np.ndarray
    fees: np.ndarray
    pnl: np.ndarray  # net of fees
    ret: np.ndarray  # pnl / equity at entry
    reason: np.ndarray  # "signal" | "stop" | "take" | "time" | "end"

    def __len__(self) -> int:
        return len(self.side)

    def rows(self) -> list[dict[str, object]]:
        return [
            {"side": "long" if self.side[i] > 0 else "short", "entry_bar": int(self.entry_bar[i]),
             "exit_bar": int(self.exit_bar[i]), "entry": float(self.entry_price[i]),
             "exit": float(self.exit_price[i]), "qty": float(self.qty[i]),
             "fees": float(self.fees[i]), "pnl": float(self.pnl[i]), "reason": str(self.reason[i])}
            for i in range(len(self))
        ]


@dataclass(frozen=True, slots=True)
class BacktestResult:
    trades: Trades
    equity: np.ndarray  # marked to market at every bar's close
    position: np.ndarray  # signed qty held at every bar's close
    metrics: Metrics


def _next_true(mask: np.ndarray) -> np.ndarray:
    """``out[t]`` = smallest index ``>= t`` where ``mask`` is true (``n`` if none); ``n+1`` long."""
    n = len(mask)
    idx = np.where(mask, np.arange(n), n)
    out = np.empty(n + 1, dtype=np.int64)
    out[:n] = np.minimum.accumulate(idx[::-1])[::-1]
    out[n] = n
    return out


def _first_touch(low: np.ndarray, high: np.ndarray, start: int, stop_at: int, side: int,
                 stop: float, take: float) -> tuple[int, bool]:
    """First bar in ``[start, stop_at]`` touching stop or take; (bar, is_stop) or (-1, False).

    Searches in growing chunks so a long trade costs O(its length) array work.
    """
    chunk = 64
    i = start
    while i <= stop_at:
        j = min(stop_at + 1, i + chunk)
        lo, hi = low[i:j], high[i:j]
        if side > 0:
            hit_s, hit_t = lo <= stop, hi >= take
        else:
            hit_s, hit_t = hi >= stop, lo <= take
        hit = hit_s | hit_t
        if hit.any():
            k = int(np.argmax(hit))
            return i + k, bool(hit_s[k])  # both touched: the stop is assumed first
        i = j
        chunk *= 4
    return -1, False


def run_backtest(bars: Bars, sig: SignalArrays, cfg: BacktestConfig, *,
                 allow_fast: bool = True, funding: np.ndarray | None = None) -> BacktestResult:
    """Simulate ``sig`` over ``bars`` with the fill semantics of the module docstring.

    Without stops, takes, time exits and size-dependent impact the loop-free path of
    ``fastpath`` gives the same trades (tested); ``allow_fast=False`` forces the loop.
    ``funding`` (perpetuals): the rate settled at each bar's close (NaN where none); a
    position held through that close pays ``CostModel.funding_payment`` at the close price.
    """
    no_protect = not np.isfinite(sig.stop_dist).any()
    if funding is not None:
        if len(funding) != len(bars):
            raise ValueError(f"funding has {len(funding)} values for {len(bars)} bars")
        return _run_loop(bars, sig, cfg, funding)
    if (allow_fast and cfg.max_hold_bars is None and cfg.cost.depth_impact_bps == 0
            and not np.isfinite(sig.take_dist).any() and no_protect and len(bars) > 1):
        return _run_fast(bars, sig, cfg)
    return _run_loop(bars, sig, cfg)


def _run_fast(bars: Bars, sig: SignalArrays, cfg: BacktestConfig) -> BacktestResult:
    cost = cfg.cost
    side, j, x, entry, exit_px, is_end = fast_trades(bars, sig, cost.slippage_bps_base,
                                                     cost.vol_impact)
    qpe = cfg.notional_fraction / bars.open[j]  # qty per unit of equity at entry
    ratio = qpe * (side * (exit_px - entry) - cost.taker_fee * (entry + exit_px))
    eq_before = cfg.initial_equity * np.concatenate([[1.0], np.cumprod(1.0 + ratio)[:-1]])
    qty = qpe * eq_before
    fee_in, fee_out = cost.taker_fee * qty * entry, cost.taker_fee * qty * exit_px
    pnl = ratio * eq_before
    n = len(bars)
    qty_d, cash_d = np.zeros(n), np.zeros(n)
    np.add.at(qty_d, j, side * qty)
    np.add.at(cash_d, j, -(side * qty * entry + fee_in))
    np.add.at(qty_d, x, -side * qty)
    np.add.at(cash_d, x, side * qty * exit_px - fee_out)
    reason = np.where(is_end, "end", "signal").astype(object)
    trades = Trades(side.astype(np.int64), j - 1, j, x, entry, exit_px, qty, fee_in + fee_out,
                    pnl, ratio, reason)
    return _finish(bars, trades, qty_d, cash_d, cfg)


def _finish(bars: Bars, trades: Trades, qty_d: np.ndarray, cash_d: np.ndarray,
            cfg: BacktestConfig) -> BacktestResult:
    position = np.cumsum(qty_d)
    eq = cfg.initial_equity + np.cumsum(cash_d) + position * bars.close
    metrics = compute_metrics(trades.pnl, trades.ret, eq, position, cfg.bars_per_year,
                              bars=bars, entry_bar=trades.entry_bar, qty=trades.qty,
                              entry_price=trades.entry_price, cost=cfg.cost,
                              exit_bar=trades.exit_bar, initial_equity=cfg.initial_equity)
    return BacktestResult(trades, eq, position, metrics)


def _run_loop(bars: Bars, sig: SignalArrays, cfg: BacktestConfig,
              funding: np.ndarray | None = None) -> BacktestResult:
    o, h, lo, c = bars.open, bars.high, bars.low, bars.close
    vol, spread = bars.volume, bars.spread
    n = len(c)
    cost = cfg.cost
    le = sig.long_entry & ~sig.short_entry
    se = sig.short_entry & ~sig.long_entry
    any_entry = le | se
    any_entry[-1:] = False  # a signal on the last bar has no next open to fill at
    nxt_entry = _next_true(any_entry)
    nxt_lexit = _next_true((sig.long_exit & ~sig.long_entry) | se)
    nxt_sexit = _next_true((sig.short_exit & ~sig.short_entry) | le)
    stop_d, take_d = sig.stop_dist, sig.take_dist
    range_bps = np.where(c > 0, (h - lo) / np.where(c > 0, c, 1.0) * 1e4, 0.0)

    rows: list[tuple[int, int, int, int, float, float, float, float, float, float, str]] = []
    qty_d = np.zeros(n)
    cash_d = np.zeros(n)
    equity = cfg.initial_equity
    t = 0
    max_hold = cfg.max_hold_bars
    while t < n:
        s = int(nxt_entry[t])
        if s >= n:
            break
        side = 1 if le[s] else -1
        j = s + 1
        sd = float(stop_d[s])
        ref = float(o[j])
        if cfg.sizing == "risk" and isfinite(sd) and sd > 0:
            qty = equity * cfg.risk_per_trade / sd
            qty = min(qty, equity * cfg.leverage_cap / ref)
        else:
            qty = equity * cfg.notional_fraction / ref
        if qty <= 0 or not isfinite(qty):
            t = s + 1
            continue
        slip = cost.slippage_bps(qty, float(vol[j]), float(range_bps[s]))
        bside = Side.BUY if side > 0 else Side.SELL
        entry = cost.taker_price(bside, *cost.bar_quote(ref, float(spread[j])), slip)
        fee_in = cost.fee(qty * entry)
        # levels anchored at the signal bar's close: what a live entry order carries as its
        # stop-loss / take-profit (the brain's stop_hint), not the fill it has not seen yet
        anchor = float(c[s])
        stop = anchor - side * sd if isfinite(sd) and sd > 0 else nan
        td = float(take_d[s])
        take = anchor + side * td if isfinite(td) and td > 0 else nan
        tick = cfg.tick_size
        if tick > 0:
            if isfinite(stop):
                stop = (floor(stop / tick) if side > 0 else ceil(stop / tick)) * tick
            if isfinite(take):
                take = round(take / tick) * tick
        # exit by signal: signal at close of e, fill at open of e + 1
        e = int(nxt_lexit[j] if side > 0 else nxt_sexit[j])
        last = n - 1
        horizon = min(e, last)
        if max_hold is not None:
            horizon = min(horizon, j + max_hold - 1)
        k, is_stop = -1, False
        if isfinite(stop) or isfinite(take):
            k, is_stop = _first_touch(
                lo, h, j, horizon, side,
                stop if isfinite(stop) else (-inf if side > 0 else inf),
                take if isfinite(take) else (inf if side > 0 else -inf))
        next_t: int
        maker_exit = False
        if k >= 0:
            xbar = k
            # resting orders, matched like the paper engine's ``on_bar``: at their level, or
            # at the open when the bar gaps through it (worse for a stop, better for a take)
            if is_stop:
                gap = (o[k] <= stop) if side > 0 else (o[k] >= stop)
                exit_px = float(o[k]) if gap else float(stop)
                reason = "stop"
            else:
                gap = (o[k] >= take) if side > 0 else (o[k] <= take)
                exit_px = float(o[k]) if gap else float(take)
                reason = "take"
            maker_exit = reason == "take" and exit_px == take  # a limit resting at its level
            next_t = k
        elif max_hold is not None and j + max_hold - 1 < min(e, last):
            xbar = j + max_hold
            reason = "time"
            exit_px = _market_exit(cost, side, float(o[xbar]), float(spread[xbar]), qty,
                                   float(vol[xbar]), float(range_bps[xbar - 1]))
            next_t = xbar
        elif e < last:
            xbar = e + 1
            reason = "signal"
            exit_px = _market_exit(cost, side, float(o[xbar]), float(spread[xbar]), qty,
                                   float(vol[xbar]), float(range_bps[e]))
            next_t = e  # a reversal entry on bar e fills at the same open
        else:
            xbar = last
            reason = "end"
            exit_px = float(c[last])
            next_t = n
        fee_out = cost.fee(qty * exit_px, maker=maker_exit)
        paid = 0.0
        if funding is not None:  # funding events at closes while held: bars j .. xbar-1
            for t in np.flatnonzero(np.isfinite(funding[j:xbar])) + j:
                pay = cost.funding_payment(side * qty * float(c[t]), float(funding[t]))
                cash_d[t] -= pay
                paid += pay
        pnl = side * qty * (exit_px - entry) - fee_in - fee_out - paid
        rows.append((side, s, j, xbar, entry, exit_px, qty, fee_in + fee_out, pnl,
                     pnl / equity, reason))
        qty_d[j] += side * qty
        cash_d[j] -= side * qty * entry + fee_in
        qty_d[xbar] -= side * qty
        cash_d[xbar] += side * qty * exit_px - fee_out
        equity += pnl
        t = max(next_t, s + 1)
    return _finish(bars, _trades(rows), qty_d, cash_d, cfg)


def _market_exit(cost: CostModel, side: int, ref: float, spread: float, qty: float,
                 volume: float, rng_bps: float) -> float:
    xside = Side.SELL if side > 0 else Side.BUY
    return cost.taker_price(xside, *cost.bar_quote(ref, spread),
                            cost.slippage_bps(qty, volume, rng_bps))


def _trades(rows: list[tuple[int, int, int, int, float, float, float, float, float, float, str]]
            ) -> Trades:
    if not rows:
        z, f = np.zeros(0, dtype=np.int64), np.zeros(0)
        return Trades(z, z, z, z, f, f, f, f, f, f, np.zeros(0, dtype=object))
    cols = list(zip(*rows, strict=True))
    i64 = np.int64
    return Trades(
        np.array(cols[0], dtype=i64), np.array(cols[1], dtype=i64), np.array(cols[2], dtype=i64),
        np.array(cols[3], dtype=i64), np.array(cols[4]), np.array(cols[5]), np.array(cols[6]),
        np.array(cols[7]), np.array(cols[8]), np.array(cols[9]), np.array(cols[10], dtype=object),
    )
