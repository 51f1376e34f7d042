"""Orders, fills, positions, equity snapshots and signals: the paper account's memory.

Orders are upserted by ``client_order_id`` because an order's status changes over its life;
fills are immutable and keyed by (venue, fill_id) so a mirrored fill seen twice is stored
once. Positions are keyed by (venue, symbol): one net position per instrument and venue,
restored on restart with ``load_positions``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ats.domain import (
    Fill,
    Order,
    OrderStatus,
    OrderType,
    Position,
    Side,
    StrategySignal,
    TimeInForce,
)
from storage.codec import dumps
from storage.db import Database
from storage.errors import FillConflictError
from storage.protocol import EquityPoint
from storage.sql import where

_ORDER_COLS = (
    "client_order_id, symbol, side, qty, type, status, ts, filled_qty, avg_price, "
    "limit_price, stop_price, reduce_only, tif, venue_order_id, reason, strategy, venue, "
    "virtual_asset"
)
_FILL_COLS = (
    "fill_id, client_order_id, symbol, side, qty, price, fee, ts, liquidity, venue, "
    "strategy, virtual_asset"
)
_POS_COLS = (
    "symbol, qty, entry_price, ts, stop, take, unrealized_pnl, realized_pnl, strategy, venue, "
    "virtual_asset"
)


def _order(row: tuple[Any, ...]) -> Order:
    (coid, sym, side, qty, typ, status, ts, fq, ap, lp, sp, ro, tif, void, reason, strat,
     venue, va) = row
    return Order(
        coid, sym, Side(side), qty, OrderType(typ), OrderStatus(status), ts, fq, ap, lp, sp,
        bool(ro), TimeInForce(tif), void, reason, strat, venue, va,
    )


def _fill(row: tuple[Any, ...]) -> Fill:
    fid, coid, sym, side, qty, price, fee, ts, liq, venue, strat, va = row
    return Fill(fid, coid, sym, Side(side), qty, price, fee, ts, liq, venue, strat, va)


def _same_fill(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Equal rows, prices and amounts compared with a relative tolerance (floats that took
    a JSON round trip must still count as the same fill)."""
    for x, y in zip(a, b, strict=True):
        if isinstance(x, float) or isinstance(y, float):
            if x is None or y is None or abs(float(x) - float(y)) > 1e-9 * max(1.0, abs(x)):
                return False
        elif x != y:
            return False
    return True


class TradingMixin:
    _db: Database
    _ensure_run: Callable[[Any, str, int], None]
    account: str

    # ------------------------------------------------------------------ orders
    def record_order(self, order: Order, run_id: str) -> None:
        o = order
        with self._db.write() as conn:
            self._ensure_run(conn, run_id, o.ts)
            conn.execute(
                f"INSERT INTO orders (account, run_id, {_ORDER_COLS}) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT (client_order_id) DO UPDATE SET status = excluded.status, "
                "ts = excluded.ts, filled_qty = excluded.filled_qty, "
                "avg_price = excluded.avg_price, venue_order_id = "
                "coalesce(excluded.venue_order_id, orders.venue_order_id), "
                "reason = excluded.reason, qty = excluded.qty, "
                "limit_price = excluded.limit_price, stop_price = excluded.stop_price",
                (self.account, run_id, o.client_order_id, o.symbol, o.side.value, o.qty,
                 o.type.value, o.status.value, int(o.ts), o.filled_qty, o.avg_price, o.limit_price,
                 o.stop_price, int(o.reduce_only), o.tif.value, o.venue_order_id, o.reason,
                 o.strategy, o.venue, o.virtual_asset),
            )

    def load_orders(self, *, run_id: str | None = None, open_only: bool = False,
                    account: str | None = None) -> list[Order]:
        """Orders oldest first; ``open_only`` keeps this DAO's account's resting ones."""
        if open_only and account is None:
            account = self.account
        cond, args = where([("run_id = ?", run_id), ("account = ?", account),
                            ("status IN (?, ?)", ("new", "partial") if open_only else None)])
        sql = f"SELECT {_ORDER_COLS} FROM orders" + cond
        with self._db.read() as conn:
            return [_order(r) for r in conn.execute(sql + " ORDER BY ts, rowid", args)]

    # ------------------------------------------------------------------ fills
    def record_fill(self, fill: Fill, run_id: str) -> None:
        self.record_fills([fill], run_id)

    def record_fills(self, fills: list[Fill], run_id: str) -> int:
        """Store fills once each; returns how many were new.

        A fill seen again with the same content is ignored (idempotent: a mirror or a
        replayed cycle). One whose id is stored with *different* content raises
        ``FillConflictError`` and nothing of the batch is stored.
        """
        if not fills:
            return 0
        new = 0
        with self._db.write() as conn:
            self._ensure_run(conn, run_id, fills[0].ts)
            for f in fills:
                row = (f.client_order_id, f.symbol, f.side.value, float(f.qty), float(f.price),
                       float(f.fee), int(f.ts))
                before = conn.total_changes()
                conn.execute(
                    f"INSERT INTO fills (account, run_id, {_FILL_COLS}) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (venue, fill_id) DO NOTHING",
                    (self.account, run_id, f.fill_id, *row, f.liquidity, f.venue, f.strategy,
                     f.virtual_asset),
                )
                if conn.total_changes() > before:
                    new += 1
                    continue
                stored = conn.execute(
                    "SELECT client_order_id, symbol, side, qty, price, fee, ts FROM fills "
                    "WHERE venue = ? AND fill_id = ?", (f.venue, f.fill_id)).fetchall()[0]
                if not _same_fill(tuple(stored), row):
                    raise FillConflictError(
                        f"fill {f.fill_id} on {f.venue} is already stored with other content "
                        f"(stored {_fill_text(stored)}, new {_fill_text(row)}); "
                        "nothing of this batch was stored",
                        path=self._db.path,
                        hint="Run `ats doctor` to compare the ledger with the venue",
                    )
        return new

    def load_fills(self, *, run_id: str | None = None, since_ms: int | None = None,
                   account: str | None = None) -> list[Fill]:
        cond, args = where([("run_id = ?", run_id), ("account = ?", account),
                            ("ts >= ?", None if since_ms is None else int(since_ms))])
        sql = f"SELECT {_FILL_COLS} FROM fills" + cond
        with self._db.read() as conn:
            return [_fill(r) for r in conn.execute(sql + " ORDER BY ts, rowid", args)]

    # ------------------------------------------------------------------ positions
    def upsert_position(self, position: Position, run_id: str) -> None:
        p = position
        with self._db.write() as conn:
            self._ensure_run(conn, run_id, p.ts)
            conn.execute(
                f"INSERT OR REPLACE INTO positions (account, run_id, {_POS_COLS}) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (self.account, run_id, p.symbol, p.qty, p.entry_price, int(p.ts), p.stop, p.take,
                 p.unrealized_pnl, p.realized_pnl, p.strategy, p.venue, p.virtual_asset),
            )

    def delete_position(self, symbol: str, venue: str, run_id: str) -> None:
        # run_id is accepted for symmetry with upsert_position; (venue, symbol) is the key.
        with self._db.write() as conn:
            conn.execute("DELETE FROM positions WHERE account = ? AND venue = ? AND symbol = ?",
                         (self.account, venue, symbol))

    def load_positions(self, venue: str | None = None) -> list[Position]:
        """This DAO's account's positions (of ``venue`` if given)."""
        sql = f"SELECT {_POS_COLS} FROM positions WHERE account = ?"
        args: tuple[Any, ...] = (self.account,)
        if venue is not None:
            sql, args = sql + " AND venue = ?", (self.account, venue)
        with self._db.read() as conn:
            return [Position(*r) for r in conn.execute(sql + " ORDER BY venue, symbol", args)]

    # ------------------------------------------------------------------ equity
    def record_equity(self, point: EquityPoint) -> None:
        e = point
        with self._db.write() as conn:
            self._ensure_run(conn, e.run_id, e.ts)
            conn.execute(
                "INSERT INTO equity_snapshots (account, run_id, ts, equity, balance, "
                "drawdown_pct, daily_pnl) VALUES (?,?,?,?,?,?,?)",
                (self.account, e.run_id, int(e.ts), e.equity, e.balance, e.drawdown_pct,
                 e.daily_pnl),
            )

    def equity_series(self, *, run_id: str | None = None, since_ms: int | None = None,
                      account: str | None = None) -> list[EquityPoint]:
        """Equity points oldest first; without a run, this DAO's (or ``account``'s)."""
        if run_id is None and account is None:
            account = self.account
        cond, args = where([("run_id = ?", run_id), ("account = ?", account),
                            ("ts >= ?", None if since_ms is None else int(since_ms))])
        sql = ("SELECT ts, equity, balance, drawdown_pct, daily_pnl, run_id FROM equity_snapshots"
               + cond)
        with self._db.read() as conn:
            return [EquityPoint(*r) for r in conn.execute(sql + " ORDER BY ts, id", args)]

    # ------------------------------------------------------------------ signals
    def record_signal(self, signal: StrategySignal, run_id: str, *, accepted: bool,
                      reason: str, shadow: bool = False) -> None:
        s = signal
        with self._db.write() as conn:
            self._ensure_run(conn, run_id, s.ts)
            conn.execute(
                "INSERT INTO signals (run_id, ts, strategy, symbol, timeframe, side, entry, "
                "stop_hint, take_hint, confidence, reason, is_exit, meta, accepted, decision, "
                "shadow) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (run_id, int(s.ts), s.strategy, s.symbol, s.timeframe, s.side.value, s.entry,
                 s.stop_hint, s.take_hint, s.confidence, s.reason, int(s.is_exit),
                 dumps(s.meta), int(accepted), reason, int(shadow)),
            )

    def load_signals(self, *, run_id: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
        """Recent signals with their decision, newest last (reports, the research lab)."""
        sql = (
            "SELECT run_id, ts, strategy, symbol, timeframe, side, entry, confidence, reason, "
            "accepted, decision, shadow FROM signals"
        )
        args: list[Any] = []
        if run_id is not None:
            sql += " WHERE run_id = ?"
            args.append(run_id)
        sql = f"SELECT * FROM ({sql} ORDER BY id DESC LIMIT ?) ORDER BY ts"
        args.append(int(limit))
        keys = ("run_id", "ts", "strategy", "symbol", "timeframe", "side", "entry",
                "confidence", "reason", "accepted", "decision", "shadow")
        with self._db.read() as conn:
            out = [dict(zip(keys, r, strict=True)) for r in conn.execute(sql, args)]
        for d in out:
            d["accepted"], d["shadow"] = bool(d["accepted"]), bool(d["shadow"])
        return out


def _fill_text(row: tuple[Any, ...]) -> str:
    coid, sym, side, qty, price, fee, ts = row
    return f"{side} {qty:g} {sym} @ {price:g} fee {fee:g} ts {ts} order {coid}"
