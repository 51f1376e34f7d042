"""Positions and orders: one table, open positions first, then working orders."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from ats.brain.state import BrainSnapshot
from ats.i18n import t
from ats.tui.fmt import money, price, qty
from ats.tui.widgets.panel import SnapshotPanel

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


COMPACT_WIDTH = 66  # below this the seven columns would cut numbers: two lines per row


def compact_view(rows: list[Row], width: int, height: int) -> RenderableType:
    """Two lines per row, every number whole: symbol side size uPnL / entry stop take."""
    lines: list[Text] = []
    for symbol, side, size, entry, stop, take, upnl in rows:
        first = Text.assemble(symbol, " ", side, " ", size.plain, "  ", upnl)
        second = Text("  ")
        for key, value in (("entry", entry), ("stop", stop), ("take", take)):
            second.append(t(f"tui.positions.{key}") + " ", style="dim")
            second.append(value.plain + " ")
        lines += [first, second]
    room = max(2, height)
    if len(lines) > room:
        hidden = (len(lines) - room + 2) // 2
        lines = lines[: max(0, room - 1 - (room - 1) % 2)]
        lines.append(Text(t("tui.positions.more", n=hidden), style="dim"))
    out = Text("\n").join(lines)
    out.no_wrap = False  # a line that still does not fit wraps, never loses a digit
    return out


def positions_view(snapshot: BrainSnapshot, width: int, height: int) -> RenderableType:
    """The table, cut to ``height`` lines with a count of the rows that did not fit."""
    rows = position_rows(snapshot)
    if not rows:
        return Text(t("tui.positions.none"), style="dim")
    if width < COMPACT_WIDTH:
        return compact_view(rows, width, height)
    table = Table(box=None, expand=True, pad_edge=False, header_style="bold")
    for column in COLUMNS:
        table.add_column(t(f"tui.positions.{column}"), no_wrap=True,
                         justify="left" if column in ("symbol", "side") else "right")
    room = max(1, height - 1)
    shown = rows if len(rows) <= room else rows[: room - 1]
    for row in shown:
        table.add_row(*row)
    if len(shown) < len(rows):
        table.add_row(Text(t("tui.positions.more", n=len(rows) - len(shown)), style="dim"))
    return table


class PositionsPanel(SnapshotPanel):
    TITLE_KEY = "tui.panel.positions"
    FIXED_HEIGHT = True

    def view(self, snapshot: BrainSnapshot, width: int) -> RenderableType:
        return positions_view(snapshot, width, max(2, self.content_size.height))
