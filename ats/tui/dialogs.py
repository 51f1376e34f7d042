"""The desk's dialogs: help, search, kill switch, symbol focus, governance, journal records.

A mixin of ``DeskApp`` so the app module keeps to the brain's lifecycle. Everything that
touches SQLite or a file runs through ``asyncio.to_thread``; commands to the brain run as
workers outside the exclusive ``brain`` group, so they never cancel a running cycle.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import partial

from ats.config.loader import LockedGovernance, config_dir, load_governance
from ats.i18n import t
from ats.tui.host import DeskHost
from ats.tui.messages import OpenJournalRecord, SnapshotReady
from ats.tui.screens.focus import FocusScreen
from ats.tui.screens.governance import GovernanceScreen
from ats.tui.screens.help import HelpScreen
from ats.tui.screens.record import RecordScreen
from ats.tui.screens.search import SearchScreen
from storage.protocol import JournalRecord, SearchHit


class DeskDialogs(DeskHost):
    """Actions and handlers behind the F-keys that open a dialog or command the brain."""

    # ------------------------------------------------------------------ blocking reads
    async def search_journal(self, query: str) -> Sequence[SearchHit]:
        hits: Sequence[SearchHit] = await asyncio.to_thread(self.brain.dao.search, query, 50)
        return hits

    async def get_record(self, record_id: int) -> JournalRecord | None:
        record: JournalRecord | None = await asyncio.to_thread(
            self.brain.dao.journal_get, record_id)
        return record

    # ------------------------------------------------------------------ help and search
    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_search(self) -> None:
        if not isinstance(self.screen, SearchScreen):
            self.push_screen(SearchScreen(self.search_journal))

    # ------------------------------------------------------------------ symbol focus
    def action_focus_symbol(self) -> None:
        snap = self.latest
        symbols = [r.symbol for r in snap.regimes] if snap is not None else []
        current = snap.focus_symbol if snap is not None else None
        self.push_screen(FocusScreen(symbols, current), callback=self._focus_chosen)

    def _focus_chosen(self, symbol: str | None) -> None:
        if symbol:
            self.brain.set_focus(symbol)
            self.add_event("desk", t("tui.event.focus", symbol=symbol))
            self.post_message(SnapshotReady(self.brain.snapshot))

    # ------------------------------------------------------------------ governance
    def action_governance(self) -> None:
        self.run_worker(self._show_governance, group="commands", exit_on_error=False,
                        name="governance")

    async def _show_governance(self) -> None:
        """The limits in force: the brain's locked copy if it has one, else the file."""
        locked: LockedGovernance | None = getattr(self.brain, "locked_governance", None)
        error = ""
        try:
            if locked is None:
                locked = await asyncio.to_thread(
                    load_governance, config_dir(self.configs) / "governance.yaml")
            changed = await asyncio.to_thread(locked.changed_on_disk)
        except Exception as exc:  # noqa: BLE001 - shown to the trader, not raised
            locked, changed, error = None, False, str(exc)
        risk = self.latest.risk if self.latest is not None else None
        if risk is not None and risk.governance_locked:
            changed = True
        self.push_screen(GovernanceScreen(locked, error, risk, changed))

    # ------------------------------------------------------------------ journal records
    def action_open_last_record(self) -> None:
        snap = self.latest
        if snap is None or snap.last_journal_id is None:
            self.add_event("desk", t("tui.event.no_record"))
            return
        self.post_message(OpenJournalRecord(snap.last_journal_id))

    def on_open_journal_record(self, message: OpenJournalRecord) -> None:
        self.run_worker(partial(self._show_record, message.record_id), group="commands",
                        exit_on_error=False, name="journal-record")

    async def _show_record(self, record_id: int) -> None:
        record = await self.get_record(record_id)
        self.push_screen(RecordScreen(record, record_id))
