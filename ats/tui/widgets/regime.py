"""Regime panel: each symbol's regime, coloured, how long it has held, and its inputs.

Under each symbol: the classifier's inputs on the last regime bar — ADX, ATR %, the slope
of the EMA, the volatility quantile — so a regime that never changes can be checked
against the numbers instead of taken on trust. "Held" counts bars of the regime timeframe
(4h by default), which is why it moves slowly on a 1-minute desk.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from ats.brain.state import BrainSnapshot, RegimeView
from ats.i18n import t
from ats.tui.fmt import REGIME_STYLE, truncate
from ats.tui.widgets.panel import SnapshotPanel


def _wrap(pieces: list[str], width: int, indent: str = " ") -> list[str]:
    """Join pieces with spaces, breaking between pieces (never inside a number)."""
    lines, cur = [], indent
    for p in pieces:
        if cur.strip() and len(cur) + 1 + len(p) > width:
            lines.append(cur)
            cur = indent + p
        else:
            cur = cur + (" " if cur.strip() else "") + p
    if cur.strip():
        lines.append(cur)
    return lines


def inputs_pieces(view: RegimeView) -> list[str]:
    return [t("desk2.regime.adx", v=f"{view.adx or 0:.0f}"),
            t("desk2.regime.atr", v=f"{(view.atr_pct or 0) * 100:.2f}%"),
            t("desk2.regime.slope", v=f"{(view.ema_slope or 0) * 100:+.2f}%"),
            t("desk2.regime.vq", v=f"{(view.vol_quantile or 0):.2f}".lstrip("0"))]


def regime_view(snapshot: BrainSnapshot, width: int) -> RenderableType:
    if not snapshot.regimes:
        return Text(t("tui.regime.none"), style="dim")
    lines: list[Text] = []
    for view in snapshot.regimes:
        focus = view.symbol == snapshot.focus_symbol
        label = t(f"tui.regime.{view.regime.value}")
        if view.timeframe:
            held = t("desk2.regime.held", n=view.held_bars, tf=view.timeframe)
        else:
            held = t("tui.regime.held_one" if view.held_bars == 1 else "tui.regime.held",
                     n=view.held_bars)
        room = max(4, width - len(label) - len(held) - 3)
        line = Text(("▸" if focus else " ") + truncate(view.symbol, room),
                    style="bold" if focus else "")
        line.append(" " * max(1, room + 1 - len(truncate(view.symbol, room))))
        line.append(label, style=REGIME_STYLE[view.regime.value])
        line.append(" " + held.rjust(max(0, width - line.cell_len - 1)), style="dim")
        lines.append(line)
        if view.adx is not None:
            for chunk in _wrap(inputs_pieces(view), width):
                lines.append(Text(chunk, style="dim"))
    return Text("\n").join(lines)


class RegimePanel(SnapshotPanel):
    TITLE_KEY = "tui.panel.regime"

    def on_mount(self) -> None:
        self.border_subtitle = t("desk2.regime.legend")

    def view(self, snapshot: BrainSnapshot, width: int) -> RenderableType:
        return regime_view(snapshot, width)
