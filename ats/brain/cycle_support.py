"""Helpers of the cycle's stages: funding history, booking fills, correlation inputs.

Split from ``ats.brain.cycle`` to keep each file one idea: these touch the portfolio and
the venue's side data, while the cycle module is the order of the stages.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ats.brain.agents import ExecResult
from ats.brain.funding import funding_for_cycle
from ats.i18n.said import Said
from broker_adapters.base import VenueProtection
from broker_adapters.errors import VenueError

if TYPE_CHECKING:
    from ats.brain.cycle import CycleWork
    from ats.brain.ports import CycleHost


async def funding_history(o: CycleHost, w: CycleWork, sym: str) -> np.ndarray | None:
    """The settled funding history of ``sym`` (``ats.brain.funding``) and its basis now."""
    return await funding_for_cycle(o, w, sym)


def book_fills(o: CycleHost, w: CycleWork, res: ExecResult) -> None:
    c = o.counters
    c.orders += len(res.orders)
    pf = o.portfolio
    closed_before = len(pf.closed_trades)
    for entered in {id(p): p for p in res.plan_by_order.values()}.values():
        o.registry.call("manage_cooldown", o.ctx, action="entered", strategy=entered.strategy,
                        symbol=entered.symbol, ts=w.ts)
    touched: set[str] = set()
    if res.fills and res.quotes:
        # Mark first: a position opened now must be valued at today's price, not at the
        # last mark the book kept from an earlier trade in the same symbol.
        pf.mark_to_market({s: q.mid for s, q in res.quotes.items() if q.bid > 0}, w.ts)
    for f in res.fills:
        plan = res.plan_by_order.get(f.client_order_id)
        pf.apply_fill(f, stop=plan.stop if plan else None, take=plan.take if plan else None,
                      strategy=plan.strategy if plan else f.strategy)
        touched.add(f.symbol)
        c.fills += 1
        ref = w.quotes.get(f.symbol)
        if plan is not None and plan.entry > 0:
            bps = (f.price - plan.entry) / plan.entry * 10_000.0 * f.side.sign
            c.slippage_sum += bps
            c.slippage_n += 1
        elif ref is not None and ref.mid > 0:
            bps = (f.price - ref.mid) / ref.mid * 10_000.0 * f.side.sign
            c.slippage_sum += bps
            c.slippage_n += 1
    trades = list(pf.closed_trades)[closed_before:] if len(pf.closed_trades) > closed_before \
        else []
    for t in trades:
        o.registry.call("manage_cooldown", o.ctx, action="result", strategy=t.strategy,
                        symbol=t.symbol, ts=w.ts, pnl=t.pnl)
    if touched:
        positions = pf.positions
        with o.dao.batch():
            for sym in touched:
                pos = positions.get(sym)
                if pos is None or pos.qty == 0:
                    o.dao.delete_position(sym, o.book_venue, o.run_id)
                else:
                    o.dao.upsert_position(pos, o.run_id)


async def sync_venue_protection(o: CycleHost, w: CycleWork) -> None:
    """Send the book's stop/take moves (trailing) to the stops resting at the venue.

    An entry carries its stop and take to the venue; afterwards the book's values are the
    truth, and a change there becomes ``set_protection`` on venues that hold them. Without
    it the venue would go on closing at the old stop while the brain trails a new one.
    """
    adapter = o.adapter
    if not o.connected or not isinstance(adapter, VenueProtection):
        return
    sent = o.exec_agent.venue_stops
    positions = o.portfolio.positions
    for sym in [s for s in sent if s not in positions or not positions[s].qty]:
        del sent[sym]
    for sym, pos in positions.items():
        if not pos.qty:
            continue
        want = (pos.stop, pos.take)
        have = sent.setdefault(sym, want)  # first sight: what the entry carried
        if want == have:
            continue
        stop = pos.stop if pos.stop != have[0] else None
        take = pos.take if pos.take != have[1] else None
        if stop is None and take is None:
            sent[sym] = want
            continue
        try:
            await adapter.set_protection(sym, stop=stop, take=take)
        except (VenueError, OSError) as exc:
            w.warn("exec", Said("event.venue.stop_not_moved", symbol=sym, venue=o.venue,
                                error=str(exc)))
            continue
        sent[sym] = want
        o.journal_event("event", Said("event.venue.protection_moved", symbol=sym,
                                      venue=o.venue, stop=_level(pos.stop),
                                      take=_level(pos.take)))


def _level(price: float | None) -> float | Said:
    """A protective level for a journal text: the price, or a Said "None" when unset."""
    return Said("event.level_none") if price is None else price


def correlation_returns(o: CycleHost) -> dict[str, np.ndarray]:
    """Log returns for the correlation check: held symbols first, then the rest, capped.

    Pairwise correlation is quadratic in symbols; safe mode is about what the book holds
    (or is about to hold), so a thousand-symbol universe is sampled, never fully paired.
    """
    held = list(o.portfolio.positions)
    order = held + [s for s in o.symbols if s not in held]
    window = o.governance.correlation.window_bars
    out: dict[str, np.ndarray] = {}
    for sym in order[: o.max_corr_symbols]:
        win = o.windows.get((sym, o.regime_tf))
        if win is None or len(win) < 3:
            continue
        c = win.view().close[-(window + 1):]
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.diff(np.log(c))
        if len(r) and math.isfinite(float(r[-1])):
            out[sym] = r
    return out
