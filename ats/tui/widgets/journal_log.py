"""Log panel: the journal tail plus the desk's own events, newest first, filterable.

Filtering is local (a case-insensitive substring over kind and text of the loaded tail), so
typing never touches the database; full-text search over the whole journal is the search
screen's job. Choosing a journal line opens its full record.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from ats.i18n import t
from ats.tui.fmt import hms
from ats.tui.messages import DeskEvent, OpenJournalRecord
from ats.tui.screens.record import RecordScreen
from storage.protocol import JournalRecord

KIND_STYLE = {"cycle": "cyan", "event": "white", "lock": "bold red", "unlock": "green",
              "kill_switch": "bold red", "desk": "yellow", "error": "bold red"}


def log_entries(
    records: Sequence[JournalRecord], events: Sequence[DeskEvent], query: str = ""
) -> list[tuple[str, Text]]:
    """(option id, line) newest first; journal ids are ``j<id>``, desk events ``d<n>``."""
    merged: list[tuple[int, int, str, str, str]] = []
    for r in records:
        merged.append((r.ts, r.id, f"j{r.id}", r.kind, r.text))
    for n, e in enumerate(events):
        merged.append((e.ts, -1 - n, f"d{n}", e.kind, e.text))
    merged.sort(key=lambda m: (m[0], m[1] >= 0, abs(m[1])), reverse=True)
    needle = query.strip().lower()
    out: list[tuple[str, Text]] = []
    for ts, _, option_id, kind, text in merged:
        if needle and needle not in kind.lower() and needle not in text.lower():
            continue
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(hms(ts) + " ", style="dim")
        line.append(f"{kind:<6} ", style=KIND_STYLE.get(kind, "white"))
        line.append(" ".join(text.split()))
        out.append((option_id, line))
    return out


class JournalLog(Vertical):
    DEFAULT_CSS = """
    JournalLog { height: 1fr; }
    JournalLog > Input { height: 1; border: none; padding: 0 1; }
    JournalLog > OptionList {
        height: 1fr; border: none; text-wrap: nowrap; text-overflow: ellipsis;
    }
    JournalLog > OptionList:focus { border: none; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.border_title = t("tui.panel.log")
        self.records: tuple[JournalRecord, ...] = ()
        self.events: tuple[DeskEvent, ...] = ()

    def compose(self) -> ComposeResult:
        yield Input(placeholder=t("tui.log.filter"), id="log-filter")
        yield OptionList(id="log-lines")

    @property
    def query_text(self) -> str:
        return self.query_one("#log-filter", Input).value

    def set_records(self, records: Sequence[JournalRecord]) -> None:
        self.records = tuple(records)
        self._fill()

    def set_events(self, events: Iterable[DeskEvent]) -> None:
        self.events = tuple(events)
        self._fill()

    def on_mount(self) -> None:
        self._fill()

    def lines(self) -> list[tuple[str, Text]]:
        return log_entries(self.records, self.events, self.query_text)

    def _fill(self) -> None:
        if not self.is_mounted:
            return
        options = self.query_one("#log-lines", OptionList)
        entries = self.lines()
        highlighted = options.highlighted
        options.set_options(Option(line, id=option_id) for option_id, line in entries)
        if entries:
            options.highlighted = min(highlighted or 0, len(entries) - 1)
        if not entries:
            options.add_option(Option(Text(t("tui.log.empty"), style="dim"), disabled=True))

    @on(Input.Changed, "#log-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._fill()

    @on(OptionList.OptionSelected, "#log-lines")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        option_id = event.option.id or ""
        if option_id.startswith("j"):
            self.post_message(OpenJournalRecord(int(option_id[1:])))
        elif option_id.startswith("d"):  # a desk event: show its full text the same way
            desk_event = self.events[int(option_id[1:])]
            record = JournalRecord(id=0, ts=desk_event.ts, run_id="", kind=desk_event.kind,
                                   payload={"message": desk_event.text}, text=desk_event.text)
            self.app.push_screen(RecordScreen(record))
