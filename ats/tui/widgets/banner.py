"""The lock banner: a daily lock, kill switch or governance lock in force, said plainly.

It names the lock, its reason (in the reader's language: the brain's reason is a ``Said``,
restored as one from the saved lock state after a restart), since when (the journal's lock
record, which survives a restart, so a lock carried over from an earlier run shows its
original time) and the exact command that releases it — with ``--account NAME`` when the
desk trades an account other than the default one, whose locks are its own. Hidden while
nothing is locked.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ats.brain.state import RiskView
from ats.i18n import t
from ats.i18n.said import render
from ats.tui.fmt import clock_text
from storage.accounts import DEFAULT_ACCOUNT


def unlock_command(flag: str, db: str | None, account: str | None = None) -> str:
    cmd = f'ats unlock {flag} --reason "…"'
    if account and account != DEFAULT_ACCOUNT:
        cmd += f" --account {account}"
    return cmd + (f" --db {db}" if db else "")


def banner_text(risk: RiskView, since_ms: int | None, db: str | None,
                account: str | None = None) -> Text | None:
    """The banner for the strongest lock in force, or None when trading is not locked."""
    if risk.governance_locked:
        title, hint = t("tui.risk.governance_locked"), t("desk2.banner.restart")
    elif risk.kill_switch:
        title, hint = t("tui.risk.kill_switch"), t(
            "desk2.banner.unlock", cmd=unlock_command("--kill-switch", db, account))
    elif risk.daily_lock:
        title, hint = t("tui.risk.daily_lock"), t(
            "desk2.banner.unlock_daily", cmd=unlock_command("--daily-lock", db, account))
    else:
        return None
    out = Text()
    out.append(f" {title.upper()} ", style="bold white on red")
    if since_ms is not None:
        out.append(" " + t("desk2.banner.since", when=clock_text(since_ms)), style="bold")
    out.append(" — " + t("desk2.banner.no_new_risk"), style="bold")
    if risk.lock_reason:
        out.append(" — " + t("desk2.banner.reason", reason=render(risk.lock_reason)))
    out.append("\n" + hint, style="bold")
    return out


class LockBanner(Static):
    # Not docked: the header is docked top, and two widgets docked to one edge overlap in
    # Textual, so a docked banner hid PAPER/LOCKED and the run id. In the screen's vertical
    # flow it sits between the header and the panels and pushes them down.
    DEFAULT_CSS = """
    LockBanner { height: auto; background: $error 25%; padding: 0 1;
                 display: none; }
    LockBanner.shown { display: block; }
    """

    _shown: str | None = None

    def show_lock(self, risk: RiskView, since_ms: int | None, db: str | None,
                  account: str | None = None) -> None:
        text = banner_text(risk, since_ms, db, account)
        plain = text.plain if text is not None else None
        if plain == self._shown:  # unchanged: no relayout five times a second
            return
        self._shown = plain
        self.set_class(text is not None, "shown")
        if self.is_mounted:  # the desk gives the banner's rows back from the charts (app.tcss)
            self.screen.set_class(text is not None, "locked")
        self.update(text if text is not None else "")
