"""Strategies panel: who is enabled, active, cooling down or disabled; challengers in shadow."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from ats.brain.state import BrainSnapshot
from ats.i18n import t
from ats.tui.fmt import STATUS_STYLE, truncate
from ats.tui.widgets.panel import SnapshotPanel

# "enabled" means what ats_strategy_active means: may open a position now under the current
# regime; "standby" is loaded but not enabled by any current regime (or blocked by a lock).
STATUS_ORDER = {"active": 0, "enabled": 1, "standby": 2, "cooldown": 3, "shadow": 4,
                "disabled": 5}


def strategies_view(snapshot: BrainSnapshot, width: int) -> RenderableType:
    """One line per strategy (name left, status right) and its last signal beneath it."""
    if not snapshot.strategies:
        return Text(t("tui.strategies.none"), style="dim")
    ordered = sorted(snapshot.strategies, key=lambda s: (STATUS_ORDER.get(s.status, 9), s.name))
    lines: list[Text] = []
    for view in ordered:
        status = "shadow" if view.shadow and view.status != "disabled" else view.status
        label = (t("observability.strategy_standby") if status == "standby"
                 else t(f"tui.strategies.{status}"))
        name = view.name + (f" !{view.errors}" if view.errors else "")
        name = truncate(name, max(4, width - len(label) - 1))
        line = Text(name, style="magenta" if view.shadow else "")
        if view.errors:
            line.stylize("bold red", len(name) - len(f" !{view.errors}"))
        line.append(" " * max(1, width - len(name) - len(label)))
        line.append(label, style=STATUS_STYLE.get(status, ""))
        lines.append(line)
        if view.last_signal:
            lines.append(Text(truncate("  " + view.last_signal, width), style="italic dim"))
    return Text("\n").join(lines)


class StrategiesPanel(SnapshotPanel):
    TITLE_KEY = "tui.panel.strategies"

    def view(self, snapshot: BrainSnapshot, width: int) -> RenderableType:
        return strategies_view(snapshot, width)

