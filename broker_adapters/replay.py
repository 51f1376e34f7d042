"""The replay venue: recorded bars in, the unchanged brain on top — the brain is the backtester.

``ReplayVenue`` is a market-data venue (like the mock, it never trades itself): the factory
wraps it in ``PaperBroker`` so orders are filled by the paper engine with the one
``CostModel``. Time comes from the data through ``ReplayClock``: each ``sleep`` of the brain's
run loop jumps to the close of the next recorded bar, so every bar is one cycle at full speed
and gaps (weekends, holidays) cost no empty cycles.

What the brain sees at a cycle just after bar ``k`` closed (the same information the
vectorized backtester uses when it fills a signal of bar ``k`` at the open of bar ``k+1``):

* ``latest_bars``: bars closed by now, of the file's timeframe or any coarser one (resampled
  from the file's bars, a coarse bar counted as closed only when its whole span is);
* ``quote``: the open of bar ``k+1`` (the price the next trade meets) with half the recorded
  spread each side; no size limit (a recorded bar has no order book), so depth impact is 0;
* ``bar_range_bps``: the range of bar ``k`` in bps, the volatility part of slippage.

Input files: CSV or Parquet, one row per bar, columns (any case) ``open high low close`` and
optionally ``volume``, ``spread`` and a time column (``ts``/``time``/``timestamp``/``date``/
``datetime``, or the first column / the index as written by pandas). Bad input is refused
with one line naming the file, the column or row and how to fix it.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np

from ats.domain import (
    AccountState,
    Bars,
    Fill,
    FixedClock,
    InstrumentSpec,
    Order,
    OrderIntent,
    Position,
    Quote,
)
from ats.domain.costs import CostModel
from ats.domain.types import timeframe_ms
from broker_adapters.base import Capabilities, FundingRate, OrderBook
from broker_adapters.errors import CapabilityError, VenueError

TIME_COLUMNS = ("ts", "time", "timestamp", "date", "datetime", "open_time")
KNOWN_TIMEFRAMES = ("1m", "5m", "15m", "30m", "1h", "4h", "1d")
METAL_CONTRACT = {"XAU": 100.0, "XAG": 5_000.0}  # MT5's usual contract sizes


class BarsFileError(ValueError):
    """A bars file the replay venue cannot use; the message says what to fix."""


def _infer_timeframe(ts: np.ndarray, path: str) -> str:
    steps = np.diff(ts)
    steps = steps[steps > 0]
    if not len(steps):
        raise BarsFileError(f"{path}: need at least two bars to infer the timeframe; "
                            "pass --timeframe")
    step = int(np.min(steps))
    for tf in KNOWN_TIMEFRAMES:
        if timeframe_ms(tf) == step:
            return tf
    raise BarsFileError(f"{path}: bars are {step // 1000}s apart, not one of "
                        f"{', '.join(KNOWN_TIMEFRAMES)}; resample the file or pass --timeframe")


def load_bars_file(path: str | Path, symbol: str, timeframe: str | None = None, *,
                   extras: dict[str, np.ndarray] | None = None) -> Bars:
    """Read a CSV or Parquet OHLCV file into ``Bars`` (sorted, duplicates refused).

    Perpetuals may carry ``funding_rate`` (the rate settled or published at that bar's
    close; empty on bars without a funding event) and ``basis`` ((mark - index) / index);
    when ``extras`` is given they are returned in it, aligned with the bars.
    """
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise BarsFileError(f"{p}: no such file; pass --bars with a CSV or Parquet OHLCV file")
    try:
        if p.suffix.lower() in (".parquet", ".pq"):
            df = pd.read_parquet(p)
            if not isinstance(df.index, pd.RangeIndex):
                df = df.reset_index()
        else:
            df = pd.read_csv(p)
    except Exception as exc:  # pandas raises many types; one line for the user
        raise BarsFileError(f"{p}: cannot read it as {p.suffix or 'CSV'} ({exc})") from None
    cols = {str(c).strip().lower(): c for c in df.columns}
    missing = [c for c in ("open", "high", "low", "close") if c not in cols]
    if missing:
        raise BarsFileError(f"{p}: missing column(s) {', '.join(missing)}; the file needs "
                            "open, high, low, close (and optionally volume, spread, a time "
                            "column)")
    tcol = next((cols[c] for c in TIME_COLUMNS if c in cols), None)
    if tcol is None:
        first = df.columns[0]
        if str(first).strip().lower() in ("open", "high", "low", "close", "volume", "spread"):
            raise BarsFileError(f"{p}: no time column; add one named ts, time or date")
        tcol = first
    raw = df[tcol]
    if pd.api.types.is_numeric_dtype(raw):
        ts = raw.to_numpy(dtype=np.float64)
        ts = np.where(ts < 1e11, ts * 1000.0, ts).astype(np.int64)  # seconds or ms
    else:
        try:
            parsed = pd.to_datetime(raw, utc=True)
        except (ValueError, TypeError) as exc:
            raise BarsFileError(f"{p}: column {tcol!r} is not a time ({exc})") from None
        ts = _to_ms(parsed)
    order = np.argsort(ts, kind="stable")
    ts = ts[order]
    dup = np.nonzero(np.diff(ts) == 0)[0]
    if len(dup):
        raise BarsFileError(f"{p}: two bars at the same time (rows {order[dup[0]] + 2} and "
                            f"{order[dup[0] + 1] + 2}); remove the duplicate")

    def col(name: str, default: float | None = None) -> np.ndarray:
        if name not in cols:
            return np.full(len(ts), default if default is not None else 0.0)
        v = pd.to_numeric(df[cols[name]], errors="coerce").to_numpy(dtype=np.float64)[order]
        bad = np.nonzero(~np.isfinite(v))[0]
        if len(bad):
            raise BarsFileError(f"{p}: column {name!r} row {order[bad[0]] + 2} is not a number")
        return v

    o, h, lo, c = col("open"), col("high"), col("low"), col("close")
    bad = np.nonzero((lo > np.minimum(o, c)) | (h < np.maximum(o, c)) | (lo <= 0))[0]
    if len(bad):
        raise BarsFileError(f"{p}: row {order[bad[0]] + 2} has low/high outside open/close "
                            "or a non-positive price; fix or drop the row")
    tf = timeframe or _infer_timeframe(ts, str(p))
    if extras is not None:
        for name in ("funding_rate", "basis"):
            if name in cols:
                extras[name] = pd.to_numeric(df[cols[name]], errors="coerce").to_numpy(
                    dtype=np.float64)[order]
    return Bars.from_arrays(symbol, tf, ts, o, h, lo, c, col("volume"), col("spread"))


def _to_ms(parsed: object) -> np.ndarray:
    import pandas as pd

    s = pd.Series(parsed)
    return ((s - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(milliseconds=1)).to_numpy(np.int64)


def resample(bars: Bars, timeframe: str) -> Bars:
    """Aggregate ``bars`` into ``timeframe`` buckets (open-time aligned, UTC epoch)."""
    step = timeframe_ms(timeframe)
    if step == timeframe_ms(bars.timeframe):
        return bars
    if step < timeframe_ms(bars.timeframe):
        raise VenueError(f"replay: cannot make {timeframe} bars from {bars.timeframe} bars; "
                         f"use timeframes of {bars.timeframe} or coarser", venue="replay")
    if not len(bars):
        return Bars.empty(bars.symbol, timeframe)
    key = bars.ts // step
    starts = np.r_[0, np.nonzero(np.diff(key))[0] + 1]
    return Bars.from_arrays(
        bars.symbol, timeframe, key[starts] * step, bars.open[starts],
        np.maximum.reduceat(bars.high, starts), np.minimum.reduceat(bars.low, starts),
        bars.close[np.r_[starts[1:] - 1, len(bars) - 1]], np.add.reduceat(bars.volume, starts),
        bars.spread[starts],
    )


class ReplayClock(FixedClock):
    """A clock that jumps to the next recorded bar close: one cycle per bar, no idle cycles.

    ``sleep(s)`` moves to the first cycle time at or after ``now + s`` (a cycle time is a bar
    close plus 1 ms, when the bar is surely closed); past the last bar it moves by ``s``.
    """

    def __init__(self, cycle_times: np.ndarray, start_ms: int) -> None:
        super().__init__(start_ms)
        self._times = np.asarray(cycle_times, dtype=np.int64)

    async def sleep(self, seconds: float) -> None:
        target = self.now_ms() + int(max(0.0, seconds) * 1000)
        i = int(np.searchsorted(self._times, target, side="left"))
        self.set(int(self._times[i]) if i < len(self._times) else target)
        await asyncio.sleep(0)

    def restart(self, cycle_times: np.ndarray, start_ms: int) -> None:
        """Set the cycle times still ahead and the current time (the venue's warm-up)."""
        self._times = np.asarray(cycle_times, dtype=np.int64)
        self.set(start_ms)

    def cycles_left(self) -> int:
        """Recorded bar closes still ahead of the clock (the cycles a replay has to run)."""
        return len(self._times) - int(np.searchsorted(self._times, self.now_ms(), "right"))


def default_spec(symbol: str, bars: Bars) -> InstrumentSpec:
    """An instrument spec for a symbol the file does not describe (MT5/ccxt conventions).

    ``BASE/QUOTE[:SETTLE]`` is crypto (1-unit contracts, 0.001 lots; a perpetual when it has a
    settle currency); XAU/XAG are MT5 metals (100 oz / 5 000 oz lots); anything else is
    treated as an MT5 FX symbol (100 000-unit lots in 0.01 steps). The tick is the finest
    price step seen in the file. ``--from-db`` uses the spec ``ats sync`` stored instead.
    """
    prices = np.concatenate([bars.open, bars.close])[:5000]
    decimals = 0
    for d in range(0, 9):
        if np.allclose(prices, np.round(prices, d), rtol=0, atol=1e-10):
            decimals = d
            break
    else:
        decimals = 8
    tick = 10.0 ** -decimals
    if "/" in symbol:
        quote = symbol.split("/")[1].split(":")[0]
        return InstrumentSpec(symbol, "replay", "crypto_perp" if ":" in symbol else
                              "crypto_spot", tick, 0.001, 0.001, 1.0, quote, False, 10.0)
    quote = symbol[3:6] if len(symbol) == 6 and symbol.isalpha() else "USD"
    if symbol[:3] in METAL_CONTRACT:  # MT5 metals: ounces per lot, not 100 000 units
        return InstrumentSpec(symbol, "replay", "metal", tick, 0.01, 0.01,
                              METAL_CONTRACT[symbol[:3]], quote, False, 20.0)
    return InstrumentSpec(symbol, "replay", "fx", tick, 0.01, 0.01, 100_000.0, quote, False,
                          30.0)


class ReplayVenue:
    """Market data from recorded bars; see the module docstring. Filled by ``PaperBroker``."""

    name = "replay"

    def __init__(self, bars: Mapping[str, Bars], *, warmup_bars: int = 1,
                 specs: Mapping[str, InstrumentSpec] | None = None,
                 funding: Mapping[str, dict[str, np.ndarray]] | None = None) -> None:
        if not bars:
            raise BarsFileError("replay: no bars to replay")
        self.bars = dict(bars)
        tfs = {b.timeframe for b in self.bars.values()}
        if len(tfs) != 1:
            raise BarsFileError(f"replay: all symbols need bars of one timeframe, got "
                                f"{', '.join(sorted(tfs))}")
        self.timeframe = tfs.pop()
        self.step = timeframe_ms(self.timeframe)
        self.funding = {s: f for s, f in (funding or {}).items()
                        if "funding_rate" in f and np.isfinite(f["funding_rate"]).any()}
        self.specs = {s: (specs or {}).get(s) or default_spec(s, b) for s, b in self.bars.items()}
        for s in self.funding:  # a symbol with recorded funding is a perpetual
            if not self.specs[s].has_funding:
                self.specs[s] = replace(self.specs[s], has_funding=True)
        closes = np.unique(np.concatenate([b.ts + self.step for b in self.bars.values()]))
        if len(closes) < 3:
            raise BarsFileError(f"replay: {len(closes)} bars; a replay needs at least 3")
        self._times = closes + 1  # a cycle 1 ms after a close sees that bar as closed
        self.clock = ReplayClock(self._times, int(self._times[0]))
        self.warm_up(warmup_bars)
        self.capabilities = Capabilities(depth=False, funding=bool(self.funding), ticks=False,
                                         trading=False, stop_orders=False, reduce_only=False,
                                         max_bars_per_request=1_000_000)
        self._resampled: dict[tuple[str, str], Bars] = {}

    @property
    def bar_timeframe(self) -> str:
        """The finest bars this venue has: ``PaperBroker`` matches resting stops and limits
        against them intrabar (1m where a venue has 1m bars, the file's bars here)."""
        return self.timeframe

    def warm_up(self, bars: int) -> int:
        """Start the clock after ``bars`` recorded bars (capped so 2 remain to trade); the
        brain fetches its windows from them at start. Returns the bars actually used."""
        k = max(1, min(int(bars), len(self._times) - 2))
        self.warmup_bars = k
        self.clock.restart(self._times[k:], int(self._times[k - 1]))
        return k

    @property
    def end_ms(self) -> int:
        return int(max(b.ts[-1] for b in self.bars.values())) + self.step

    # ------------------------------------------------------------------ market data
    async def connect(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def server_time(self) -> int:
        return self.clock.now_ms()

    async def instruments(self) -> dict[str, InstrumentSpec]:
        return dict(self.specs)

    def _series(self, symbol: str, timeframe: str) -> Bars:
        base = self.bars.get(symbol)
        if base is None:
            from broker_adapters.errors import BadSymbolError

            raise BadSymbolError(f"replay has no bars for {symbol!r}; it has "
                                 f"{', '.join(sorted(self.bars))}", venue=self.name)
        key = (symbol, timeframe)
        hit = self._resampled.get(key)
        if hit is None:
            hit = self._resampled[key] = resample(base, timeframe)
        return hit

    def _closed(self, symbol: str, timeframe: str) -> tuple[Bars, int]:
        """The series and how many of its bars have closed by the clock's now."""
        s = self._series(symbol, timeframe)
        now = self.clock.now_ms()
        step = timeframe_ms(timeframe)
        # a coarse bar is closed when its whole span has ended, not at its last recorded bar
        return s, int(np.searchsorted(s.ts + step, now, side="right"))

    async def history(self, symbol: str, timeframe: str, since_ms: int | None,
                      limit: int) -> Bars:
        s, n = self._closed(symbol, timeframe)
        i = 0 if since_ms is None else int(np.searchsorted(s.ts, since_ms, side="left"))
        return s.slice(i, min(n, i + max(0, limit)))

    async def latest_bars(self, symbol: str, timeframe: str, n: int) -> Bars:
        s, k = self._closed(symbol, timeframe)
        return s.slice(max(0, k - max(0, n)), k)

    async def quote(self, symbol: str) -> Quote:
        base = self.bars.get(symbol)
        if base is None:
            self._series(symbol, self.timeframe)  # raises the unknown-symbol error
            raise AssertionError  # unreachable: _series raised
        _, k = self._closed(symbol, self.timeframe)
        if k < len(base):
            px, spread, ts = float(base.open[k]), float(base.spread[k]), int(base.ts[k])
        else:  # the data ended: the last close is the last price known
            px, spread = float(base.close[-1]), float(base.spread[-1])
            ts = int(base.ts[-1]) + self.step
        bid, ask = CostModel.bar_quote(px, spread)
        return Quote(symbol, ts, bid, ask, math.inf, math.inf, px)

    def bar_range_bps(self, symbol: str) -> float:
        """Range of the newest closed bar in bps (the volatility term of slippage)."""
        base = self.bars[symbol]
        _, k = self._closed(symbol, self.timeframe)
        if k == 0:
            return 0.0
        c = float(base.close[k - 1])
        return (float(base.high[k - 1]) - float(base.low[k - 1])) / c * 1e4 if c > 0 else 0.0

    def cycles_left(self) -> int:
        return self.clock.cycles_left()

    async def order_book(self, symbol: str, depth: int = 10) -> OrderBook:
        raise CapabilityError("replay bars carry no order book", venue=self.name)

    async def funding_history(self, symbol: str, since_ms: int | None,
                              limit: int = 100) -> list[FundingRate]:
        """Settled funding recorded in the file up to now, oldest first: from ``since_ms``
        on (a settlement's time is its bar's close), else the newest ``limit``."""
        f = self.funding.get(symbol)
        if f is None:
            raise CapabilityError(f"replay bars of {symbol} carry no funding_rate column",
                                  venue=self.name)
        base = self.bars[symbol]
        _, k = self._closed(symbol, self.timeframe)
        idx = np.flatnonzero(np.isfinite(f["funding_rate"][:k]))
        ts = base.ts[idx] + self.step
        if since_ms is not None:
            idx = idx[ts >= since_ms]
        else:
            idx = idx[-max(0, limit):] if limit > 0 else idx[:0]
        return [FundingRate(symbol, int(base.ts[i]) + self.step, float(f["funding_rate"][i]),
                            next_funding_ts=int(base.ts[i])) for i in idx]

    async def funding_rate(self, symbol: str) -> FundingRate:
        """The newest funding event closed by now (its bar's open time is the period key);
        mark and index from the recorded basis around that bar's close."""
        f = self.funding.get(symbol)
        if f is None:
            raise CapabilityError(f"replay bars of {symbol} carry no funding_rate column",
                                  venue=self.name)
        base = self.bars[symbol]
        _, k = self._closed(symbol, self.timeframe)
        rates = f["funding_rate"][:k]
        known = np.nonzero(np.isfinite(rates))[0]
        if not len(known):
            raise VenueError(f"replay: no funding of {symbol} known yet", venue=self.name)
        i = int(known[-1])
        close = float(base.close[i])
        basis = f.get("basis")
        b = float(basis[k - 1]) if basis is not None and np.isfinite(basis[k - 1]) else None
        return FundingRate(symbol, int(base.ts[i]) + self.step, float(rates[i]),
                           next_funding_ts=int(base.ts[i]),
                           mark_price=None if b is None else close * (1.0 + b),
                           index_price=None if b is None else close)

    # ------------------------------------------------------------------ trading: PaperBroker's
    async def account(self) -> AccountState:
        raise CapabilityError("the replay venue does not trade; it runs under PaperBroker",
                              venue=self.name)

    async def positions(self) -> list[Position]:
        return []

    async def place_order(self, intent: OrderIntent) -> Order:
        raise CapabilityError("the replay venue does not trade; it runs under PaperBroker",
                              venue=self.name)

    async def cancel_order(self, client_order_id: str, symbol: str) -> Order:
        raise CapabilityError("the replay venue does not trade", venue=self.name)

    async def fetch_order(self, client_order_id: str, symbol: str) -> Order:
        raise CapabilityError("the replay venue does not trade", venue=self.name)

    async def fills_since(self, since_ms: int, symbol: str | None = None) -> list[Fill]:
        return []
