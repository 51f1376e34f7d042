"""Agent graph panel: brain → regime → strategy → risk → exec → monitor, in box drawing.

Nodes are coloured by agent state and the edges the last cycle travelled are lit. The cycle
is drawn as a loop over two rows so it fits a third of a 120-column screen; narrower panels
get a one-line chain instead. Nodes the layout does not know (a future agent) are listed
below, so nothing the brain reports is silently hidden.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from ats.brain.state import BrainSnapshot
from ats.i18n import t
from ats.tui.fmt import STATE_STYLE
from ats.tui.widgets.panel import SnapshotPanel

TOP_ROW = ("brain", "regime", "strategy")
BOTTOM_ROW = ("monitor", "exec", "risk")  # drawn left to right, travelled right to left
BOX = 10  # inner label width + 2 borders: fits "strategy"
MIN_ARROW = 2


def loop_width(arrow: int) -> int:
    return 3 * BOX + 2 * arrow
LIT = "bold yellow"
UNLIT = "bright_black"


def _states(snapshot: BrainSnapshot) -> dict[str, str]:
    return {a.id: a.state for a in snapshot.agents}


def _edges(snapshot: BrainSnapshot) -> dict[tuple[str, str], bool]:
    return {(e.source, e.target): e.active for e in snapshot.edges}


def _edge_style(edges: dict[tuple[str, str], bool], source: str, target: str) -> str:
    return LIT if edges.get((source, target), False) else UNLIT


def node_label(node: str) -> str:
    """The agent's name in the current language (the id itself if none is catalogued)."""
    key = f"desk2.node.{node}"
    text = t(key)
    return node if text == key else text


def _boxes(
    row: tuple[str, ...], states: dict[str, str], arrows: list[tuple[str, str]]
) -> list[Text]:
    """Three text lines for one row of boxes joined by the given (glyphs, style) arrows."""
    lines = [Text(), Text(), Text()]
    for i, node in enumerate(row):
        style = STATE_STYLE.get(states.get(node, "disabled"), "")
        inner = BOX - 2
        lines[0].append("┌" + "─" * inner + "┐", style=style)
        lines[1].append("│", style=style)
        lines[1].append(node_label(node)[:inner].center(inner), style=f"bold {style}")
        lines[1].append("│", style=style)
        lines[2].append("└" + "─" * inner + "┘", style=style)
        if i < len(arrows):
            glyphs, arrow_style = arrows[i]
            lines[0].append(" " * len(glyphs))
            lines[1].append(glyphs, style=arrow_style)
            lines[2].append(" " * len(glyphs))
    return lines


def _loop(snapshot: BrainSnapshot, arrow: int) -> list[Text]:
    states, edges = _states(snapshot), _edges(snapshot)
    right_arrow, left_arrow = "─" * (arrow - 1) + "▶", "◀" + "─" * (arrow - 1)
    top = _boxes(
        TOP_ROW,
        states,
        [(right_arrow, _edge_style(edges, "brain", "regime")),
         (right_arrow, _edge_style(edges, "regime", "strategy"))],
    )
    bottom = _boxes(
        BOTTOM_ROW,
        states,
        [(left_arrow, _edge_style(edges, "exec", "monitor")),
         (left_arrow, _edge_style(edges, "risk", "exec"))],
    )
    left, right = BOX // 2 - 1, loop_width(arrow) - BOX // 2 - 1
    up = _edge_style(edges, "monitor", "brain")
    down = _edge_style(edges, "strategy", "risk")
    mid = []
    for left_glyph, right_glyph in (("▲", "│"), ("│", "▼")):
        line = Text(" " * left)
        line.append(left_glyph, style=up)
        line.append(" " * (right - left - 1))
        line.append(right_glyph, style=down)
        mid.append(line)
    return [*top, *mid, *bottom]


def _chain(snapshot: BrainSnapshot) -> list[Text]:
    states, edges = _states(snapshot), _edges(snapshot)
    order = (*TOP_ROW, "risk", "exec", "monitor")
    line = Text()
    for i, node in enumerate(order):
        line.append(node_label(node),
                    style=f"bold {STATE_STYLE.get(states.get(node, 'disabled'), '')}")
        if i + 1 < len(order):
            line.append(" → ", style=_edge_style(edges, node, order[i + 1]))
    return [line]


def graph_view(snapshot: BrainSnapshot, width: int) -> RenderableType:
    arrow = min(3, (width - 3 * BOX) // 2)
    lines = _loop(snapshot, arrow) if arrow >= MIN_ARROW else _chain(snapshot)
    known = set(TOP_ROW) | set(BOTTOM_ROW)
    extra = [a for a in snapshot.agents if a.id not in known]
    if extra:
        more = Text(t("tui.graph.other") + " ", style="dim")
        for agent in extra:
            more.append(f"{node_label(agent.id)} ", style=STATE_STYLE.get(agent.state, ""))
        lines.append(more)
    failing = [a for a in snapshot.agents if a.state == "error" and a.last_error]
    for agent in failing:
        lines.append(Text(f"{node_label(agent.id)}: {agent.last_error}", style="red"))
    return Text("\n").join(lines)


class GraphPanel(SnapshotPanel):
    TITLE_KEY = "tui.panel.graph"
    FIXED_HEIGHT = True

    def view(self, snapshot: BrainSnapshot, width: int) -> RenderableType:
        return graph_view(snapshot, width)
