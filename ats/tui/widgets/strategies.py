"""Strategies panel: who is enabled, active, cooling down or disabled; challengers in shadow."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from ats.brain.state import BrainSnapshot
from ats.i18n import t
from ats.tui.fmt import STATUS_STYLE
from ats.tui.widgets.panel import SnapshotPanel

STATUS_ORDER = {"active": 0, "enabled": 1, "cooldown": 2, "shadow": 3, "disabled": 4}


def strategies_view(snapshot: BrainSnapshot, width: int) -> RenderableType:
    if not snapshot.strategies:
        return Text(t("tui.strategies.none"), style="dim")
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True, overflow="ellipsis", ratio=1)
    ordered = sorted(snapshot.strategies, key=lambda s: (STATUS_ORDER.get(s.status, 9), s.name))
    for view in ordered:
        status = "shadow" if view.shadow and view.status != "disabled" else view.status
        label = Text(t(f"tui.strategies.{status}"), style=STATUS_STYLE.get(status, ""))
        name = Text(view.name, style="magenta" if view.shadow else "")
        if view.errors:
            name.append(f" !{view.errors}", style="bold red")
        signal = Text(view.last_signal or "—", style="" if view.last_signal else "dim")
        table.add_row(name, label, signal)
    return table


class StrategiesPanel(SnapshotPanel):
    TITLE_KEY = "tui.panel.strategies"

    def view(self, snapshot: BrainSnapshot, width: int) -> RenderableType:
        return strategies_view(snapshot, width)

