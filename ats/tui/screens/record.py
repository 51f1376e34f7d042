"""One journal record in full: its summary line and the JSON payload, pretty-printed."""

from __future__ import annotations

import json

from rich.json import JSON
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ats.i18n import t
from ats.i18n.said import render
from ats.tui.fmt import clock_text
from storage.protocol import JournalRecord


def record_header(record: JournalRecord) -> Text:
    head = Text()
    head.append(f"#{record.id} ", style="bold")
    head.append(f"{record.kind} ", style="cyan")
    head.append(clock_text(record.ts), style="dim")
    head.append(f"  {t('tui.header.run')} {record.run_id}\n", style="dim")
    payload = record.payload if isinstance(record.payload, dict) else {}
    head.append(render(record.text, payload.get("said")))  # in the reader's language
    return head


def payload_json(record: JournalRecord) -> JSON:
    return JSON(json.dumps(record.payload, default=str, sort_keys=True), indent=2)


class RecordScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f6", "dismiss", t("tui.key.close"))]

    def __init__(self, record: JournalRecord | None, record_id: int | None = None) -> None:
        super().__init__()
        self.record = record
        self.record_id = record_id

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="record-dialog") as box:
            box.border_title = t("tui.record.title")
            if self.record is None:
                yield Static(t("tui.record.missing", id=self.record_id), id="record-head")
                return
            yield Static(record_header(self.record), id="record-head")
            with VerticalScroll(id="record-body"):
                yield Static(payload_json(self.record), id="record-json")
