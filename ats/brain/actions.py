"""A trader's actions: flatten a position, cancel its orders, disable or enable a strategy,
engage the kill switch (cancelling resting orders, flattening if asked).

The desk never touches the brain's state itself: it puts a ``TraderAction`` on the
orchestrator's ``ActionQueue`` and the brain drains the queue at the start of its next
cycle, inside the cycle lock — so nothing changes half-way through a cycle. (While the desk
is paused no cycle comes, so it asks ``BrainOrchestrator.apply_actions_now``, which takes
the same lock.) Every action is journaled (kind ``action``) with what it did, including
the fills of a flatten, so the log, the journal search and the audit see it.

Exits sent here go through the execution agent (``place_order``, reduce-only) like a
strategy's exits, so the paper engine fills them with the same costs; they are allowed
while a lock is in force, because closing risk is what a lock wants.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ats.brain.agents import ExecInput, ExitRequest
from ats.brain.cycle_support import book_fills
from ats.i18n.said import Said
from ats.i18n.said_join import said_join
from broker_adapters.errors import VenueError

if TYPE_CHECKING:
    from ats.brain.cycle import CycleWork
    from ats.brain.ports import ActionHost

log = logging.getLogger(__name__)

ActionKind = Literal["flatten", "cancel_orders", "disable", "enable", "kill"]


@dataclass(frozen=True, slots=True)
class TraderAction:
    kind: ActionKind
    target: str = ""  # a symbol (flatten, cancel_orders) or a strategy (disable, enable)
    reason: str = ""  # the trader's own words, kept as typed
    flatten: bool = False  # kill: also close every position


@dataclass(frozen=True, slots=True)
class ActionResult:
    action: TraderAction
    ok: bool
    text: str


class ActionQueue:
    """FIFO of actions waiting for the start of the next cycle (or an explicit drain)."""

    def __init__(self) -> None:
        self._q: deque[TraderAction] = deque()

    def put(self, action: TraderAction) -> None:
        self._q.append(action)

    def __len__(self) -> int:
        return len(self._q)

    def take_all(self) -> list[TraderAction]:
        out = list(self._q)
        self._q.clear()
        return out


async def _cancel(o: ActionHost, symbol: str | None) -> tuple[list[str], list[str]]:
    """Cancel resting orders (of ``symbol`` or all); returns (cancelled ids, errors)."""
    done: list[str] = []
    errors: list[str] = []
    for oid, order in list(o.exec_agent.open_orders.items()):
        if symbol is not None and order.symbol != symbol:
            continue
        try:
            cur = await o.adapter.cancel_order(oid, order.symbol)
        except (VenueError, OSError) as exc:
            errors.append(Said("event.action.order_error", id=oid, error=str(exc)))
            continue
        o.dao.record_order(cur, o.run_id)
        if cur.status.is_terminal:
            del o.exec_agent.open_orders[oid]
        done.append(oid)
    return done, errors


async def _flatten(o: ActionHost, w: CycleWork, symbols: list[str], reason: str
                   ) -> tuple[list[dict[str, Any]], list[str]]:
    """Close the positions in ``symbols`` with reduce-only market orders; (fills, errors)."""
    exits = []
    for sym in symbols:
        pos = o.portfolio.positions.get(sym)
        if pos is None or not pos.qty:
            continue
        exits.append(ExitRequest(sym, pos.side.opposite, abs(pos.qty),
                                 Said("reason.trader_exit", reason=reason), pos.strategy))
    if not exits:
        return [], []
    try:
        res = await o.exec_agent.execute(ExecInput([], exits, o.instruments, {}))
    finally:
        o.portfolio.clear_pending()
    book_fills(o, w, res)
    errors = [r.reason for r in res.rejections]
    if res.venue_error:
        errors.append(res.venue_error)
    fills = [{"id": f.fill_id, "symbol": f.symbol, "side": f.side.value, "qty": f.qty,
              "price": f.price, "fee": f.fee} for f in res.fills]
    return fills, errors


async def apply_one(o: ActionHost, w: CycleWork, a: TraderAction) -> ActionResult:
    fills: list[dict[str, Any]] = []
    errors: list[str] = []
    cancelled: list[str] = []
    why: str = a.reason or Said("event.action.no_reason")
    text: str
    if a.kind == "flatten":
        cancelled, errors = await _cancel(o, a.target)
        fills, more = await _flatten(o, w, [a.target], why)
        errors += more
        text = Said("event.action.flatten", symbol=a.target, reason=why)
    elif a.kind == "cancel_orders":
        cancelled, errors = await _cancel(o, a.target)
        text = Said("event.action.cancel_orders", n=len(cancelled), symbol=a.target, reason=why)
    elif a.kind == "disable":
        if a.target not in o.selection.strategies and a.target not in o.selection.challengers:
            return ActionResult(a, False, Said("event.action.unknown_strategy",
                                               strategy=a.target))
        o.selection.disabled[a.target] = Said("reason.disabled_by_trader", reason=why)
        text = Said("event.action.disable", strategy=a.target, reason=why)
    elif a.kind == "enable":
        o.selection.disabled.pop(a.target, None)
        o.selection.error_counts.pop(a.target, None)
        text = Said("event.action.enable", strategy=a.target, reason=why)
    elif a.kind == "kill":
        o.lock_events([o.locks.engage_kill(why, o.clock.now_ms())])
        cancelled, errors = await _cancel(o, None)
        if a.flatten:
            fills, more = await _flatten(o, w, list(o.portfolio.positions), why)
            errors += more
            text = Said("event.action.kill_flatten", reason=why, n=len(cancelled),
                        fills=len(fills))
        else:
            text = Said("event.action.kill", reason=why, n=len(cancelled))
    else:  # pragma: no cover - the Literal type closes this
        return ActionResult(a, False, f"unknown action {a.kind}")
    if errors:
        text = Said("event.action.with_errors", text=text, errors=said_join(errors))
    o.journal_event("action", text, {"action": a.kind, "target": a.target, "reason": why,
                                     "flatten": a.flatten, "cancelled": cancelled,
                                     "fills": fills, "errors": errors},
                    level="warning" if errors else "info")
    return ActionResult(a, not errors, text)


async def drain(o: ActionHost, w: CycleWork) -> list[ActionResult]:
    """Apply every queued action in order (the caller holds the cycle lock)."""
    out = []
    for a in o.actions.take_all():
        try:
            out.append(await apply_one(o, w, a))
        except Exception as exc:  # one failed action must not stop the cycle or the next
            log.exception("trader action %s failed", a.kind)
            text = Said("event.action.failed", kind=Said(f"event.action.kind.{a.kind}"),
                        target=a.target, error=f"{type(exc).__name__}: {exc}")
            o.journal_event("action", text, {"action": a.kind, "target": a.target,
                                             "error": str(exc)}, level="error")
            out.append(ActionResult(a, False, text))
    o.action_results.extend(out)
    return out
