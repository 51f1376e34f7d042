"""Risk budget panel: each budget used against its real limit, as a gauge.

The first row is not a budget being used but the size of the *next* trade's risk (base,
plus the profit bonus, minus cuts) against the governance cap per trade: its gauge is
neutral, so an idle desk never shows a full red bar, and a bonus above the base is not a
breach. Daily loss, the 72 h drawdown and the open portfolio risk are consumed budgets,
coloured yellow then red near their limits.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ats.brain.state import BrainSnapshot, RiskView
from ats.i18n import t
from ats.i18n.said import render
from ats.tui.fmt import bar, pct, usage_style
from ats.tui.widgets.panel import SnapshotPanel


def _used(value: float, limit: float) -> float:
    """Share of a limit consumed; losses and limits are both negative, so compare magnitudes."""
    if limit == 0:
        return 0.0
    return max(0.0, value / limit)


def risk_rows(risk: RiskView) -> list[tuple[str, str, float]]:
    """(label, figures, share of the limit used) for every budget, in reading order."""
    return [
        (
            t("tui.risk.per_trade"),
            f"{pct(risk.risk_per_trade)} / {pct(risk.max_risk)}",
            _used(risk.risk_per_trade, risk.max_risk),
        ),
        (
            t("tui.risk.daily"),
            f"{pct(risk.daily_pnl, signed=True)} / {pct(risk.daily_lock_limit)}",
            _used(risk.daily_pnl, risk.daily_lock_limit),
        ),
        (
            t("tui.risk.dd72"),
            f"{pct(risk.trailing_dd, signed=True)} / {pct(risk.kill_switch_limit)}",
            _used(risk.trailing_dd, risk.kill_switch_limit),
        ),
        (
            t("tui.risk.portfolio"),
            f"{pct(risk.portfolio_risk)} / {pct(risk.risk_cap)}",
            _used(risk.portfolio_risk, risk.risk_cap),
        ),
    ]


def flags_line(risk: RiskView) -> Text:
    line = Text()
    safe = t("tui.risk.on") if risk.safe_mode else t("tui.risk.off")
    line.append(f"{t('tui.risk.safe_mode')}: ", style="dim")
    line.append(safe, style="bold yellow" if risk.safe_mode else "green")
    line.append(" │ ", style="dim")
    line.append(f"{t('desk2.risk.corr')} {risk.max_correlation:.2f}", style="dim")
    badges = [t(key) for flag, key in (
        (risk.daily_lock, "tui.risk.daily_lock"),
        (risk.kill_switch, "tui.risk.kill_switch"),
        (risk.governance_locked, "tui.risk.governance_locked"),
    ) if flag]
    for n, badge in enumerate(badges):  # on their own line: a badge never wraps in half
        line.append("\n" if n == 0 else " ")
        line.append(f" {badge} ", style="bold white on red")
    if risk.lock_reason:
        line.append(f"\n{render(risk.lock_reason)}", style="red")
    return line


def risk_view(snapshot: BrainSnapshot, width: int) -> RenderableType:
    rows = risk_rows(snapshot.risk)
    label_w = max(len(label) for label, _, _ in rows)
    figures_w = max(len(figures) for _, figures, _ in rows)
    bar_w = max(4, width - label_w - figures_w - 2)
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True, width=label_w)
    table.add_column(no_wrap=True, justify="right")
    table.add_column(no_wrap=True)
    for n, (label, figures, used) in enumerate(rows):
        filled, empty = bar(used, bar_w)
        gauge = Text(filled, style="cyan" if n == 0 else usage_style(used))
        gauge.append(empty, style="dim")
        table.add_row(Text(label, style="dim"), Text(figures), gauge)
    return Group(table, flags_line(snapshot.risk))


class RiskPanel(SnapshotPanel):
    TITLE_KEY = "tui.panel.risk"

    def view(self, snapshot: BrainSnapshot, width: int) -> RenderableType:
        return risk_view(snapshot, width)
