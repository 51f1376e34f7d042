"""Equity panel: the account value as a live column chart, with drawdown underneath."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from ats.brain.state import BrainSnapshot
from ats.i18n import t
from ats.tui.fmt import money, pct
from ats.tui.widgets.chart import column_chart
from ats.tui.widgets.panel import SnapshotPanel


def summary_line(snapshot: BrainSnapshot, labels: bool) -> Text:
    """Equity, total PnL and drawdown; without labels when the panel is narrow."""
    out = Text(no_wrap=True, overflow="ellipsis")
    if labels:
        out.append(f"{t('tui.equity.equity')} ", style="dim")
    out.append(money(snapshot.equity), style="bold")
    out.append(f"  {t('tui.equity.pnl')} " if labels else "  ", style="dim")
    out.append(money(snapshot.pnl_total, signed=True),
               style="green" if snapshot.pnl_total >= 0 else "red")
    out.append(f"  {t('tui.equity.dd')} ", style="dim")
    out.append(pct(snapshot.drawdown, signed=True), style="red" if snapshot.drawdown < 0 else "")
    return out


def equity_view(snapshot: BrainSnapshot, width: int, height: int) -> RenderableType:
    out = summary_line(snapshot, labels=True)
    if out.cell_len > width:
        out = summary_line(snapshot, labels=False)
    history = snapshot.equity_history
    if len(history) < 2:
        out.append("\n" + t("tui.equity.collecting"), style="dim")
        return out
    dd_rows = 1 if height < 6 else 2
    eq_rows = max(1, height - 1 - dd_rows)
    rising = history[-1].equity >= history[0].equity
    for line in column_chart([p.equity for p in history], width, eq_rows):
        out.append("\n" + line, style="green" if rising else "red")
    for line in column_chart([-p.drawdown for p in history], width, dd_rows, floor=0.0):
        out.append("\n" + line, style="red")
    return out


class EquityPanel(SnapshotPanel):
    TITLE_KEY = "tui.panel.equity"

    def view(self, snapshot: BrainSnapshot, width: int) -> RenderableType:
        return equity_view(snapshot, width, max(3, self.content_size.height))
