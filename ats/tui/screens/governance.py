"""Read-only governance view: the locked limits in force and the state of every lock.

Nothing here can change a limit — governance.yaml is loaded once and frozen; the view only
shows what the brain enforces and whether the file on disk still matches it.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ats.brain.state import RiskView
from ats.config.loader import LockedGovernance
from ats.i18n import t
from ats.i18n.said import render
from ats.tui.fmt import pct


def _word(value: object) -> str:
    """A config value in the current language when the catalogue has it."""
    key = f"desk2.value.{value}"
    text = t(key)
    return str(value) if text == key else text


def governance_rows(locked: LockedGovernance) -> list[tuple[str, str]]:
    g = locked.governance
    return [
        (t("tui.gov.base_risk"), pct(g.risk.base_risk_per_trade)),
        (t("tui.gov.max_risk"), pct(g.risk.max_risk_per_trade)),
        (t("tui.gov.portfolio_risk"), pct(g.risk.max_portfolio_risk)),
        (t("tui.gov.leverage"), f"{g.risk.leverage_cap:g}×"),
        (t("tui.gov.daily_loss"), pct(-g.locks.daily_max_loss)),
        (t("tui.gov.kill_switch"),
         t("tui.gov.kill_switch_value", dd=pct(-g.locks.trailing_dd_kill_switch),
           hours=g.locks.trailing_dd_window_hours)),
        (t("tui.gov.correlation"),
         f"ρ ≥ {g.correlation.threshold:g} → {_word(g.correlation.safe_mode_action)}"),
        (t("tui.gov.slippage"), t("desk2.unit.bps", v=f"{g.execution.max_slippage_bps:g}")),
    ]


def lock_rows(risk: RiskView | None) -> list[tuple[str, bool]]:
    if risk is None:
        return []
    return [
        (t("tui.risk.daily_lock"), risk.daily_lock),
        (t("tui.risk.kill_switch"), risk.kill_switch),
        (t("tui.risk.governance_locked"), risk.governance_locked),
        (t("tui.risk.safe_mode"), risk.safe_mode),
    ]


def governance_view(
    locked: LockedGovernance | None, error: str, risk: RiskView | None, changed: bool
) -> RenderableType:
    parts: list[RenderableType] = []
    if locked is None:
        parts.append(Text(t("tui.gov.unreadable", error=error), style="bold red"))
    else:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="dim", no_wrap=True)
        table.add_column(style="bold")
        for label, value in governance_rows(locked):
            table.add_row(label, value)
        parts.append(table)
        file_line = Text(f"\n{t('tui.gov.file')}: {Path(locked.path).name}  ", style="dim")
        if changed:
            file_line.append(t("tui.gov.changed"), style="bold white on red")
        else:
            file_line.append(t("tui.gov.unchanged"), style="green")
        parts.append(file_line)
    locks = Table.grid(padding=(0, 2))
    locks.add_column(no_wrap=True)
    locks.add_column()
    for label, engaged in lock_rows(risk):
        locks.add_row(label, Text(t("tui.risk.on") if engaged else t("tui.risk.off"),
                                  style="bold red" if engaged else "green"))
    parts.append(Text(""))
    parts.append(locks)
    if risk is not None and risk.lock_reason:
        parts.append(Text(render(risk.lock_reason), style="red"))
    parts.append(Text("\n" + t("tui.gov.read_only"), style="italic dim"))
    return Group(*parts)


class GovernanceScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f4", "dismiss", t("tui.key.close"))]

    def __init__(self, locked: LockedGovernance | None, error: str, risk: RiskView | None,
                 changed: bool) -> None:
        super().__init__()
        self.body = governance_view(locked, error, risk, changed)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="gov-dialog") as box:
            box.border_title = t("tui.gov.title")
            with VerticalScroll():
                yield Static(self.body, id="gov-body")
