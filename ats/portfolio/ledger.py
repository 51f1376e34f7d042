"""Net-position accounting: average entry, realized PnL on reductions and flips, fees.

One net position per symbol (signed quantity), the way both venues and the paper simulator
report them. Realized PnL is gross; fees are kept apart so that
``realized + unrealized - fees == equity - starting equity`` holds by construction and the
TUI can show what the venue took.

Every amount is in the account currency: a price move times the quantity is in the
instrument's quote currency, so it is multiplied by the symbol's point value (contract size
x the venue's quote-to-account rate, ``set_fx_rate``). Realized PnL converts at the rate of
the closing fill's cycle; open PnL at the current rate.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ats.domain.types import Fill, Position, Side
from ats.portfolio.types import ClosedTrade


@dataclass(slots=True)
class _Trade:
    """The round trip a position is in: what it risked and what it made so far."""

    side: Side
    opened_ts: int
    strategy: str
    max_qty: float = 0.0
    initial_risk: float = 0.0
    has_stop: bool = False
    gross: float = 0.0
    fees: float = 0.0
    entry_qty: float = 0.0
    entry_value: float = 0.0
    exit_qty: float = 0.0
    exit_value: float = 0.0

    def close(self, symbol: str, ts: int) -> ClosedTrade:
        pnl = self.gross - self.fees
        r = pnl / self.initial_risk if self.has_stop and self.initial_risk > 0 else None
        return ClosedTrade(
            symbol=symbol, side=self.side, qty=self.max_qty,
            entry_price=self.entry_value / self.entry_qty if self.entry_qty else 0.0,
            exit_price=self.exit_value / self.exit_qty if self.exit_qty else 0.0,
            pnl=pnl, gross_pnl=self.gross, fees=self.fees, initial_risk=self.initial_risk,
            r_multiple=r, opened_ts=self.opened_ts, closed_ts=ts, strategy=self.strategy,
        )


@dataclass(slots=True)
class _Book:
    symbol: str
    qty: float
    entry: float
    mark: float
    contract_size: float  # point value: contract size x quote-to-account rate
    trade: _Trade
    stop: float | None = None
    take: float | None = None
    realized: float = 0.0
    venue: str = ""
    virtual_asset: str | None = None
    # Restored before its FX rate was known: the stored open PnL (account currency) that
    # fixes the mark once the rate arrives (``Ledger.set_fx_rate``).
    restored_upnl: float | None = None

    @property
    def unrealized(self) -> float:
        return self.qty * (self.mark - self.entry) * self.contract_size

    @property
    def notional(self) -> float:
        return self.qty * self.mark * self.contract_size

    def risk(self, no_stop_risk: float) -> float:
        """Capital at risk: loss from the average entry to the stop (0 once the stop is at
        or past break-even).

        Measured from the entry, not the mark, so a favourable move does not eat the room
        under the cap; giving back open profit is the trailing drawdown's business.
        """
        if self.stop is None:
            return no_stop_risk
        return max(0.0, (self.entry - self.stop) * self.qty * self.contract_size)

    def position(self) -> Position:
        return Position(
            symbol=self.symbol, qty=self.qty, entry_price=self.entry, ts=self.trade.opened_ts,
            stop=self.stop, take=self.take, unrealized_pnl=self.unrealized,
            realized_pnl=self.realized, strategy=self.trade.strategy, venue=self.venue,
            virtual_asset=self.virtual_asset,
        )


def _check_fill(fill: Fill) -> None:
    ok = (math.isfinite(fill.qty) and fill.qty > 0 and math.isfinite(fill.price)
          and fill.price > 0 and math.isfinite(fill.fee) and isinstance(fill.side, Side))
    if not ok:
        raise ValueError(
            f"fill {fill.fill_id!r} for {fill.symbol} is unusable (side={fill.side!r}, "
            f"qty={fill.qty!r}, price={fill.price!r}, fee={fill.fee!r}); the portfolio was "
            "left unchanged — fix the source of the fill and replay it"
        )


class Ledger:
    """Positions, realized PnL and fees; knows nothing about limits."""

    def __init__(self, contract_sizes: Mapping[str, float] | None = None) -> None:
        self._cs: dict[str, float] = dict(contract_sizes or {})
        self._fx: dict[str, float] = {}  # quote-currency -> account rate per symbol
        self._books: dict[str, _Book] = {}
        # Last known price per symbol, kept while flat too, so a position opened (or flipped)
        # is valued at the market's price, not at its own fill (which hides the spread paid).
        self._marks: dict[str, float] = {}
        self.realized = 0.0
        self.fees = 0.0

    def contract_size(self, symbol: str) -> float:
        return self._cs.get(symbol, 1.0)

    def point_value(self, symbol: str) -> float:
        """Account currency per 1.0 of price per unit held (contract size x FX rate)."""
        return self._cs.get(symbol, 1.0) * self._fx.get(symbol, 1.0)

    def set_contract_size(self, symbol: str, size: float) -> None:
        if not (math.isfinite(size) and size > 0):
            raise ValueError(f"contract size {size!r} for {symbol} must be a positive number")
        self._cs[symbol] = size
        self._refresh(symbol)

    def set_fx_rate(self, symbol: str, rate: float) -> None:
        """The venue's rate from ``symbol``'s quote currency to the account currency."""
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError(f"FX rate {rate!r} for {symbol} must be a positive number")
        self._fx[symbol] = rate
        self._refresh(symbol)

    def _refresh(self, symbol: str) -> None:
        b = self._books.get(symbol)
        if b is not None:
            b.contract_size = self.point_value(symbol)
            if b.restored_upnl is not None and symbol in self._fx and b.qty:
                b.mark = b.entry + b.restored_upnl / (b.qty * b.contract_size)
                self._marks[symbol] = b.mark
                b.restored_upnl = None

    # ------------------------------------------------------------------ reading
    @property
    def unrealized(self) -> float:
        return sum(b.unrealized for b in self._books.values())

    def books(self) -> Iterable[_Book]:
        return self._books.values()

    def positions(self) -> dict[str, Position]:
        return {s: b.position() for s, b in self._books.items()}

    def mark_price(self, symbol: str) -> float | None:
        return self._marks.get(symbol)

    # ------------------------------------------------------------------ writing
    def mark(self, symbol: str, price: float) -> bool:
        """Revalue ``symbol``; False (and nothing changes) for a non-positive/NaN price."""
        if not (math.isfinite(price) and price > 0):
            return False
        self._marks[symbol] = price
        b = self._books.get(symbol)
        if b is not None:
            b.mark = price
        return True

    def set_stops(self, symbol: str, stop: float | None, take: float | None) -> None:
        b = self._books.get(symbol)
        if b is None:
            raise KeyError(f"no open position in {symbol} to set stops on")
        if stop is not None:
            b.stop = stop
        if take is not None:
            b.take = take

    def apply(
        self, fill: Fill, stop: float | None, take: float | None, strategy: str
    ) -> list[ClosedTrade]:
        """Book one fill; returns the trades it closed (a flip closes one and opens one)."""
        _check_fill(fill)
        self.fees += fill.fee
        strategy = strategy or fill.strategy
        b = self._books.get(fill.symbol)
        signed = fill.side.sign * fill.qty
        if b is None or b.qty == 0 or (b.qty > 0) == (signed > 0):
            self._increase(fill, fill.qty, fill.fee, stop, take, strategy)
            return []
        close_qty = min(fill.qty, abs(b.qty))
        fee_close = fill.fee * close_qty / fill.qty
        pnl = close_qty * (fill.price - b.entry) * math.copysign(1.0, b.qty) * b.contract_size
        self.realized += pnl
        b.realized += pnl
        t = b.trade
        t.gross += pnl
        t.fees += fee_close
        t.exit_qty += close_qty
        t.exit_value += close_qty * fill.price
        old = b.qty
        b.qty += math.copysign(close_qty, signed)
        closed: list[ClosedTrade] = []
        if abs(b.qty) <= 1e-9 * max(abs(old), fill.qty):
            closed.append(t.close(fill.symbol, fill.ts))
            del self._books[fill.symbol]
        rest = fill.qty - close_qty
        if rest > 1e-9 * fill.qty:
            self._increase(fill, rest, fill.fee - fee_close, stop, take, strategy)
        return closed

    def _increase(
        self, fill: Fill, qty: float, fee: float, stop: float | None, take: float | None,
        strategy: str,
    ) -> None:
        cs = self.point_value(fill.symbol)
        b = self._books.get(fill.symbol)
        if b is None:
            trade = _Trade(side=fill.side, opened_ts=fill.ts, strategy=strategy)
            mark = self._marks.setdefault(fill.symbol, fill.price)
            b = _Book(fill.symbol, 0.0, fill.price, mark, cs, trade,
                      venue=fill.venue, virtual_asset=fill.virtual_asset)
            self._books[fill.symbol] = b
        new_abs = abs(b.qty) + qty
        b.entry = (abs(b.qty) * b.entry + qty * fill.price) / new_abs
        b.qty = math.copysign(new_abs, fill.side.sign)
        if stop is not None:
            b.stop = stop
        if take is not None:
            b.take = take
        t = b.trade
        t.fees += fee
        t.entry_qty += qty
        t.entry_value += qty * fill.price
        t.max_qty = max(t.max_qty, new_abs)
        if b.stop is not None:
            t.has_stop = True
            t.initial_risk += qty * abs(fill.price - b.stop) * cs

    def restore(self, positions: Iterable[Position]) -> None:
        """Rebuild books from stored positions (marks from their unrealized PnL)."""
        self._books.clear()
        self._marks.clear()
        for p in positions:
            if p.qty == 0:
                continue
            if not (math.isfinite(p.qty) and math.isfinite(p.entry_price) and p.entry_price > 0):
                raise ValueError(f"stored position {p.symbol} is unusable "
                                 f"(qty={p.qty!r}, entry={p.entry_price!r})")
            cs = self.point_value(p.symbol)
            mark = p.entry_price + p.unrealized_pnl / (p.qty * cs)
            self._marks[p.symbol] = mark
            trade = _Trade(side=p.side, opened_ts=p.ts, strategy=p.strategy, max_qty=abs(p.qty),
                           entry_qty=abs(p.qty), entry_value=abs(p.qty) * p.entry_price)
            if p.stop is not None:
                trade.has_stop = True
                trade.initial_risk = abs(p.qty) * abs(p.entry_price - p.stop) * cs
            self._books[p.symbol] = _Book(
                p.symbol, p.qty, p.entry_price, mark, cs, trade, stop=p.stop, take=p.take,
                realized=p.realized_pnl, venue=p.venue, virtual_asset=p.virtual_asset,
                restored_upnl=None if p.symbol in self._fx else p.unrealized_pnl,
            )
