"""Event log: orders, fills, exits, rejections, locks, regime changes and errors, newest first.

Lines come from the journal (see ``events.record_lines``) plus the desk's own events; the
per-cycle heartbeat is not a line (it lives in the header). Records accumulate by id, so a
fill stays in the log long after a hundred quiet cycles followed it.

F9 focuses the filter: a case-insensitive substring over kind and text; what is typed is
shown, with the count of matching lines, and Esc clears it and returns to the lines.
Choosing a line opens its full journal record (or the desk event's full text).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ats.i18n import t
from ats.tui.fmt import hms
from ats.tui.messages import DeskEvent, OpenJournalRecord
from ats.tui.screens.record import RecordScreen
from ats.tui.widgets.events import KIND_STYLE, LogLine, record_lines
from storage.protocol import JournalRecord

MAX_RECORDS = 400  # journal records with at least one line that the log keeps


def kind_label(kind: str) -> str:
    key = f"desk2.kind.{kind}"
    text = t(key)
    return kind if text == key else text


def log_entries(
    lines: Sequence[LogLine], events: Sequence[DeskEvent], query: str = ""
) -> list[tuple[str, Text]]:
    """(option id, line) newest first; journal lines are ``j<id>.<n>``, desk events ``d<n>``."""
    merged: list[tuple[int, int, str, str, str]] = []
    for n, line in enumerate(lines):
        merged.append((line.ts, n, f"j{line.record_id}.{n}", line.kind, line.text))
    for n, e in enumerate(events):
        merged.append((e.ts, len(lines) + n, f"d{n}", e.kind, e.text))
    merged.sort(key=lambda m: (m[0], m[1]), reverse=True)
    needle = query.strip().lower()
    out: list[tuple[str, Text]] = []
    for ts, _, option_id, kind, text in merged:
        label = kind_label(kind)
        if needle and needle not in kind.lower() and needle not in label.lower() \
                and needle not in text.lower():
            continue
        line = Text()  # wrapping is the panel's CSS: ellipsis when wide, wrap when narrow
        line.append(hms(ts) + " ", style="dim")
        line.append(f"{label:<7}", style=KIND_STYLE.get(kind, "white"))
        line.append(" " + " ".join(text.split()))
        out.append((option_id, line))
    return out


class FilterInput(Input):
    """The log filter: Esc clears it and hands focus back to the lines."""

    BINDINGS = [Binding("escape", "clear_filter", show=False)]

    def action_clear_filter(self) -> None:
        self.value = ""
        if self.parent is not None and self.parent.parent is not None:
            self.parent.parent.query_one("#log-lines", OptionList).focus()


class JournalLog(Vertical):
    DEFAULT_CSS = """
    JournalLog { height: 1fr; }
    JournalLog > Horizontal { height: 1; }
    JournalLog FilterInput { height: 1; border: none; padding: 0 1; width: 1fr;
                             background: $boost; }
    JournalLog FilterInput:focus { border: none; background: $primary 30%; }
    JournalLog #log-count { width: auto; color: $text-muted; padding: 0 1; }
    JournalLog > OptionList {
        height: 1fr; border: none; text-wrap: nowrap; text-overflow: ellipsis;
    }
    JournalLog > OptionList:focus { border: none; }
    """
    BINDINGS = [Binding("escape", "clear_filter", show=False)]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.border_title = t("desk2.panel.events")
        self.by_record: dict[int, tuple[LogLine, ...]] = {}
        self.line_list: tuple[LogLine, ...] = ()
        self.events: tuple[DeskEvent, ...] = ()

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield FilterInput(placeholder=t("desk2.log.filter"), id="log-filter")
            yield Static("", id="log-count")
        yield OptionList(id="log-lines")

    @property
    def query_text(self) -> str:
        return self.query_one("#log-filter", Input).value

    def set_records(self, records: Sequence[JournalRecord]) -> None:
        """Merge journal records into the log (already seen ids are skipped)."""
        changed = False
        for r in records:
            if r.id in self.by_record:
                continue
            lines = tuple(record_lines(r))
            self.by_record[r.id] = lines
            changed = changed or bool(lines)
        if len(self.by_record) > MAX_RECORDS * 4:  # forget quiet records first, then old
            keep = sorted((i for i, v in self.by_record.items() if v))[-MAX_RECORDS:]
            self.by_record = {i: self.by_record[i] for i in keep}
        if changed or not self.line_list:
            self.line_list = tuple(x for i in sorted(self.by_record)
                                   for x in self.by_record[i])
            self._fill()

    def set_events(self, events: Iterable[DeskEvent]) -> None:
        self.events = tuple(events)
        self._fill()

    def on_mount(self) -> None:
        self._fill()

    def lines(self) -> list[tuple[str, Text]]:
        return log_entries(self.line_list, self.events, self.query_text)

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
            key = "desk2.log.no_match" if self.query_text.strip() else "tui.log.empty"
            options.add_option(Option(Text(t(key, query=self.query_text.strip()),
                                           style="dim"), disabled=True))
        count = self.query_one("#log-count", Static)
        label = t("desk2.log.count", n=len(entries)) if self.query_text.strip() else ""
        if str(count.content) != label:
            count.update(label)

    def action_clear_filter(self) -> None:
        self.query_one("#log-filter", Input).value = ""
        self.query_one("#log-lines", OptionList).focus()

    @on(Input.Changed, "#log-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._fill()

    @on(OptionList.OptionSelected, "#log-lines")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        option_id = event.option.id or ""
        if option_id.startswith("j") and not option_id.startswith("jNone"):
            self.post_message(OpenJournalRecord(int(option_id[1:].split(".")[0])))
        elif option_id.startswith("d"):  # a desk event: show its full text the same way
            desk_event = self.events[int(option_id[1:])]
            record = JournalRecord(id=0, ts=desk_event.ts, run_id="", kind=desk_event.kind,
                                   payload={"message": desk_event.text}, text=desk_event.text)
            self.app.push_screen(RecordScreen(record))
