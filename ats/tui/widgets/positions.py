"""Positions and orders: one table, open positions first, then working orders."""

from __future__ import annotations

import logging

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from ats.brain.state import BrainSnapshot
from ats.i18n import t
from ats.tui.fmt import money, price, qty

log = logging.getLogger(__name__)

COLUMNS = ("symbol", "side", "size", "entry", "stop", "take", "upnl")
Row = tuple[Text, Text, Text, Text, Text, Text, Text]


def _side(side: str) -> Text:
    return Text(t(f"tui.side.{side}"), style="green" if side == "buy" else "red")


def position_rows(snapshot: BrainSnapshot) -> list[Row]:
    """Table rows: positions (with unrealized PnL), then open orders (marked as orders)."""
    rows: list[Row] = []
    for p in snapshot.positions:
        rows.append((
            Text(p.symbol, style="bold" if p.symbol == snapshot.focus_symbol else ""),
            _side(p.side.value),
            Text(qty(p.qty), justify="right"),
            Text(price(p.entry_price), justify="right"),
            Text(price(p.stop), justify="right"),
            Text(price(p.take), justify="right"),
            Text(money(p.unrealized_pnl, signed=True), justify="right",
                 style="green" if p.unrealized_pnl >= 0 else "red"),
        ))
    for o in snapshot.open_orders:
        limit = o.limit_price if o.limit_price is not None else o.stop_price
        rows.append((
            Text(o.symbol, style="dim"),
            _side(o.side.value),
            Text(qty(o.remaining), justify="right", style="dim"),
            Text(price(limit), justify="right", style="dim"),
            Text("—", justify="right", style="dim"),
            Text("—", justify="right", style="dim"),
            Text(t("tui.positions.order", type=o.type.value, status=o.status.value),
                 style="italic dim", justify="right"),
        ))
    return rows


class PositionsPanel(Vertical):
    """A ``DataTable`` refilled from each new snapshot; a failure shows in the panel."""

    DEFAULT_CSS = """
    PositionsPanel { height: auto; }
    PositionsPanel > DataTable { height: auto; max-height: 12; }
    PositionsPanel > #positions-error { display: none; color: $error; }
    PositionsPanel > #positions-empty { color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.border_title = t("tui.panel.positions")
        self.snapshot: BrainSnapshot | None = None
        self.last_error = ""

    def compose(self) -> ComposeResult:
        table: DataTable[Text] = DataTable(cursor_type="row", zebra_stripes=False)
        table.add_columns(*(t(f"tui.positions.{c}") for c in COLUMNS))
        yield table
        yield Static(t("tui.positions.none"), id="positions-empty")
        yield Static("", id="positions-error")

    def show(self, snapshot: BrainSnapshot) -> None:
        if snapshot is self.snapshot:
            return
        self.snapshot = snapshot
        error = self.query_one("#positions-error", Static)
        try:
            rows = position_rows(snapshot)
            table = self.query_one(DataTable)
            table.clear()
            table.add_rows(rows)
            self.query_one("#positions-empty", Static).display = not rows
        except Exception as exc:  # noqa: BLE001 - a broken panel must not kill the desk
            log.exception("positions panel failed")
            self.last_error = f"{type(exc).__name__}: {exc}"
            error.update(t("tui.panel.error", error=self.last_error))
            error.display = True
            return
        self.last_error = ""
        error.display = False
