"""Regime panel: each symbol's market regime, coloured, and how long it has held."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from ats.brain.state import BrainSnapshot
from ats.i18n import t
from ats.tui.fmt import REGIME_STYLE, truncate
from ats.tui.widgets.panel import SnapshotPanel


def regime_view(snapshot: BrainSnapshot, width: int) -> RenderableType:
    if not snapshot.regimes:
        return Text(t("tui.regime.none"), style="dim")
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(ratio=3, no_wrap=True)
    table.add_column(ratio=3, no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    sym_width = max(6, width // 2 - 2)
    for view in snapshot.regimes:
        focus = view.symbol == snapshot.focus_symbol
        marker = "▸" if focus else " "
        name = Text(marker + truncate(view.symbol, sym_width), style="bold" if focus else "")
        label = Text(t(f"tui.regime.{view.regime.value}"), style=REGIME_STYLE[view.regime.value])
        held = Text(t("tui.regime.held_one" if view.held_bars == 1 else "tui.regime.held",
                       n=view.held_bars), style="dim")
        table.add_row(name, label, held)
    return table


class RegimePanel(SnapshotPanel):
    TITLE_KEY = "tui.panel.regime"

    def view(self, snapshot: BrainSnapshot, width: int) -> RenderableType:
        return regime_view(snapshot, width)
