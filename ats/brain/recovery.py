"""State recovery at start-up: what the database remembers versus what the venue holds.

The venue is the truth for positions (it is where the money is); the database is the
truth for what the brain *meant* (stops, takes, owning strategy). Reconciliation keeps the
venue's quantities, re-attaches the remembered stops, and reports every disagreement in the
journal and the log — a silent fix would hide a real problem (a fill missed while down, an
order placed by hand).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ats.domain import OrderStatus, Position
from ats.i18n.said import Said
from ats.i18n.said_join import said_join
from broker_adapters.errors import VenueError

if TYPE_CHECKING:
    from ats.brain.ports import CycleHost

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Reconciliation:
    positions: list[Position] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def reconcile(stored: list[Position], venue: list[Position], *, tol: float = 1e-9,
              venue_name: str = "") -> Reconciliation:
    """Merge stored and venue positions; list every disagreement in plain words."""
    out = Reconciliation()
    db = {p.symbol: p for p in stored if p.qty != 0}
    live = {p.symbol: p for p in venue if p.qty != 0}
    where = Said("event.reconcile.on_venue", venue=venue_name) if venue_name else ""
    for sym in sorted(set(db) | set(live)):
        d, v = db.get(sym), live.get(sym)
        if v is None and d is not None:
            out.mismatches.append(Said("event.reconcile.venue_missing", symbol=sym,
                                       db=d.qty, where=where))
            continue
        assert v is not None
        if d is None:
            out.mismatches.append(Said("event.reconcile.venue_unknown", symbol=sym,
                                       venue_qty=v.qty, where=where))
            out.positions.append(v)
            continue
        if abs(d.qty - v.qty) > tol * max(1.0, abs(v.qty)):
            out.mismatches.append(Said("event.reconcile.qty_differs", symbol=sym, db=d.qty,
                                       venue_qty=v.qty, where=where))
        out.positions.append(replace(
            v, stop=v.stop if v.stop is not None else d.stop,
            take=v.take if v.take is not None else d.take,
            strategy=v.strategy or d.strategy))
    return out


def initial_regimes(o: CycleHost) -> None:
    """Classify every symbol from its backfilled history, so strategies can act on the
    first closed bar instead of waiting for the regime timeframe's next bar (4 hours)."""
    for sym in o.symbols:
        win = o.windows[(sym, o.regime_tf)]
        if len(win) < o.regime_agent.MIN_BARS:
            continue
        try:
            r = o.regime_agent.assess(sym, win.view())
        except Exception as exc:  # a bad history must not stop the start
            log.warning("initial regime of %s failed: %s", sym, exc)
            continue
        o.vol_quantiles[sym] = r.features.vol_quantile


async def recover(o: CycleHost) -> None:
    """Locks from the DB; the paper venue's saved book; positions from the venue, stops
    from the DB; equity peaks of this account; the brain's saved figures and parts."""
    o.locks.load()
    now = o.clock.now_ms()
    o.keeper.restore_venue(o)
    account = await o.adapter.account()
    pf = o.portfolio
    if not pf.positions and not pf.closed_trades and \
            abs(account.equity - pf.starting_equity) > 1e-9 and account.equity > 0:
        o.portfolio = type(pf)(o.governance, account.equity)
        o.ctx.portfolio = o.portfolio
    for spec in o.instruments.values():
        o.portfolio.set_instrument(spec)
    stored = [p for p in o.dao.load_positions(None)
              if p.venue in (o.venue, o.book_venue)]
    live = await o.adapter.positions()
    rec = reconcile(stored, live, venue_name=o.venue)
    for text in rec.mismatches:
        o.journal_event("reconcile", Said("event.reconcile.mismatch", text=text),
                        level="warning")
    if rec.mismatches:
        # An unexplained difference: the brain does not trade (exits still run) and the
        # ledger is left as it was, so the trader can look and decide with `ats doctor`.
        o.reconcile_block = "; ".join(rec.mismatches)
        o.journal_event("reconcile", Said("event.reconcile.refused", account=o.keeper.name,
                                          venue=o.venue,
                                          differences=said_join(rec.mismatches)),
                        {"differences": rec.mismatches}, level="error")
    window_ms = o.governance.locks.trailing_dd_window_hours * 3_600_000
    since = now - window_ms
    if o.locks.kill_released_at is not None:
        since = max(since, o.locks.kill_released_at)
    peaks = [(p.ts, p.equity) for p in o.dao.equity_series(since_ms=since)]
    if rec.positions or peaks:
        o.portfolio.restore(rec.positions, None, account.balance, peaks, ts=now)
    if not rec.mismatches:
        for p in rec.positions:  # same quantities; the venue's marks and entries
            o.dao.upsert_position(p, o.run_id)
    await recover_orders(o)
    o.keeper.restore_brain(o, now)
    if o.keeper.restored:
        pf = o.portfolio
        o.journal_event("account", Said("event.account.restored", account=o.keeper.name,
                                        equity=pf.equity, cash=pf.balance,
                                        positions=len(pf.positions),
                                        orders=len(o.exec_agent.open_orders)),
                        {"account": o.keeper.name, "equity": pf.equity, "balance": pf.balance,
                         "positions": {s: p.qty for s, p in pf.positions.items()},
                         "open_orders": sorted(o.exec_agent.open_orders)})
    if o.locks.kill_switch:
        o.journal_event("lock", Said("reason.lock.kill_after_restart",
                                     reason=o.locks.kill_reason), level="warning")
    if o.locks.daily_lock:
        o.lock_events([o.locks.roll_day(now)])


async def recover_orders(o: CycleHost) -> None:
    """Orders the DB left open (sent, or only intended, before a stop or a crash):
    ask the venue; what it does not know is closed out with the reason, never dropped."""
    for order in o.dao.load_orders(open_only=True):
        if order.venue not in ("", o.venue, o.book_venue):
            continue
        try:
            cur = await o.adapter.fetch_order(order.client_order_id, order.symbol)
        except (VenueError, OSError) as exc:
            cur = replace(order, status=OrderStatus.CANCELED,
                          reason=f"not found at the venue after restart: {exc}"[:500])
            o.journal_event("reconcile", Said("event.reconcile.order_unknown",
                                              id=order.client_order_id,
                                              side=Said(f"event.side.{order.side.value}"),
                                              qty=order.qty, symbol=order.symbol),
                            level="warning")
        o.dao.record_order(cur, o.run_id)
        if not cur.status.is_terminal:
            o.exec_agent.open_orders[cur.client_order_id] = cur

