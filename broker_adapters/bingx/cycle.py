"""One virtual round trip on BingX VST: open a small position, close it, report everything.

This is the smoke test a trader runs before ``--mode vst`` trading (``scripts/run_paper_vst.sh``):
it proves the keys, the VST host, order placement, fills and positions all work, and that every
row carries ``virtual_asset`` so nothing can be mistaken for real money.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from ats.domain import Fill, Mode, Order, OrderIntent, OrderStatus, Position, Side
from ats.i18n import t
from broker_adapters.bingx.adapter import BingxAdapter
from broker_adapters.errors import CapabilityError, InvalidOrderError, VenueError


@dataclass(frozen=True, slots=True)
class VirtualCycleResult:
    """What happened: both orders, their fills, and the position before, during and after."""

    symbol: str
    qty: float
    virtual_asset: str | None
    orders: tuple[Order, ...]
    fills: tuple[Fill, ...]
    position_before: Position | None
    position_open: Position | None
    position_after: Position | None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """Both orders filled and the position returned to where it started."""
        before = self.position_before.qty if self.position_before else 0.0
        after = self.position_after.qty if self.position_after else 0.0
        return (
            len(self.orders) == 2
            and all(o.status is OrderStatus.FILLED for o in self.orders)
            and abs(after - before) <= self.qty * 1e-6
        )

    def summary(self) -> list[str]:
        """Lines for the trader, in the current language (``ats.i18n``)."""
        lines = [t("venues.vst_cycle.title", symbol=self.symbol, qty=self.qty)]
        for o in self.orders:
            lines.append(t("venues.vst_cycle.order", cid=o.client_order_id, side=o.side.value,
                           qty=o.qty, status=o.status.value, filled=o.filled_qty,
                           price=o.avg_price))
        for f in self.fills:
            lines.append(t("venues.vst_cycle.fill", fill_id=f.fill_id, side=f.side.value,
                           qty=f.qty, price=f.price, fee=round(f.fee, 8)))
        for key, pos in (("before", self.position_before), ("open", self.position_open),
                         ("after", self.position_after)):
            lines.append(t("venues.vst_cycle.position", when=t(f"venues.vst_cycle.{key}"),
                           qty=pos.qty if pos else 0.0))
        lines.append(t("venues.vst_cycle.virtual", asset=self.virtual_asset))
        lines.extend(t("venues.vst_cycle.note", note=n) for n in self.notes)
        lines.append(t("venues.vst_cycle.ok" if self.ok else "venues.vst_cycle.failed"))
        return lines


async def _position(adapter: BingxAdapter, symbol: str) -> Position | None:
    return next((p for p in await adapter.positions() if p.symbol == symbol), None)


async def _filled(adapter: BingxAdapter, cid: str, symbol: str, polls: int = 10) -> Order:
    order = await adapter.fetch_order(cid, symbol)
    for _ in range(polls):
        if order.status.is_terminal:
            break
        order = await adapter.fetch_order(cid, symbol)
    return order


async def run_virtual_vst_cycle(
    adapter: BingxAdapter, symbol: str, qty: float, *, prefix: str | None = None
) -> VirtualCycleResult:
    """Buy ``qty`` at market, then sell it back reduce-only; the adapter must be connected.

    Refuses anything but VST mode: in paper mode the orders would not reach BingX, and live
    is refused long before this point.
    """
    if adapter.mode is not Mode.VST:
        raise CapabilityError(
            f"the virtual VST cycle needs --mode vst (the adapter is in {adapter.mode.value} "
            "mode)", venue=adapter.name)
    if not qty > 0:
        raise InvalidOrderError(f"the VST cycle quantity must be > 0, got {qty}",
                                venue=adapter.name)
    tag = prefix or f"vst-{uuid.uuid4().hex[:10]}"
    t0 = await adapter.server_time()
    before = await _position(adapter, symbol)
    notes: list[str] = []
    opened = await adapter.place_order(
        OrderIntent(f"{tag}-open", symbol, Side.BUY, qty, strategy="vst_cycle",
                    virtual_asset=adapter.virtual_asset))
    opened = await _filled(adapter, opened.client_order_id, symbol)
    during = await _position(adapter, symbol)
    orders = [opened]
    if opened.status is OrderStatus.FILLED:
        closed = await adapter.place_order(
            OrderIntent(f"{tag}-close", symbol, Side.SELL, opened.filled_qty, reduce_only=True,
                        strategy="vst_cycle", virtual_asset=adapter.virtual_asset))
        orders.append(await _filled(adapter, closed.client_order_id, symbol))
    else:
        notes.append(f"opening order ended {opened.status.value}; nothing to close")
    after = await _position(adapter, symbol)
    ids = {o.client_order_id for o in orders}
    try:
        fills = [f for f in await adapter.fills_since(t0 - 60_000, symbol)
                 if f.client_order_id in ids]
    except VenueError as exc:  # the trades are on the venue anyway; say so, do not lose the rest
        fills = []
        notes.append(f"could not read fills: {exc}")
    return VirtualCycleResult(
        symbol=symbol, qty=qty, virtual_asset=adapter.virtual_asset, orders=tuple(orders),
        fills=tuple(fills), position_before=before, position_open=during,
        position_after=after, notes=tuple(notes),
    )
