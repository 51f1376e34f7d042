"""Journal search: FTS5 over the journal and logs, results as a list; Enter opens a record.

The query runs in a thread (SQLite blocks) through the ``searcher`` the app hands in; bad
FTS syntax comes back as ``SearchQueryError`` and is shown in the dialog, not raised.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ats.i18n import t
from ats.tui.fmt import clock_text
from ats.tui.messages import OpenJournalRecord
from storage.protocol import SearchHit, SearchQueryError
from storage.search import MAX_QUERY_CHARS, MAX_TERMS, suggest_prefix

Searcher = Callable[[str], Awaitable[Sequence[SearchHit]]]


def bad_query_text(query: str) -> str:
    """What the desk says about a query the journal cannot search, in the reader's language
    (the storage layer explains in English; the dialog says it with the query quoted)."""
    cleaned = query.strip()
    if len(cleaned) > MAX_QUERY_CHARS:
        return t("event.search.too_long", n=len(cleaned), max=MAX_QUERY_CHARS)
    return t("event.search.bad_query", query=cleaned, max_terms=MAX_TERMS)


def hit_line(hit: SearchHit) -> Text:
    """One result; the words FTS5 matched (marked ``[...]`` in the snippet) are highlighted."""
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(clock_text(hit.ts) + " ", style="dim")
    line.append(f"{hit.kind:<6} ", style="cyan")
    for part in re.split(r"(\[[^\]]*\])", " ".join(hit.snippet.split())):
        if part.startswith("[") and part.endswith("]"):
            line.append(part[1:-1], style="bold reverse")
        elif part:
            line.append(part)
    return line


class SearchScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape", "dismiss", t("tui.key.close"))]

    def __init__(self, searcher: Searcher, query: str = "") -> None:
        super().__init__()
        self.searcher = searcher
        self.initial_query = query
        self.hits: tuple[SearchHit, ...] = ()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="search-dialog") as box:
            box.border_title = t("tui.search.title")
            yield Input(value=self.initial_query, placeholder=t("tui.search.placeholder"),
                        id="search-query")
            yield Static(t("tui.search.hint"), id="search-status")
            yield OptionList(id="search-results")

    def on_mount(self) -> None:
        self.query_one("#search-query", Input).focus()

    @on(Input.Submitted, "#search-query")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.run_search(event.value)

    @work(exclusive=True, group="search", exit_on_error=False)
    async def run_search(self, query: str) -> None:
        status = self.query_one("#search-status", Static)
        results = self.query_one("#search-results", OptionList)
        if not query.strip():
            status.update(t("tui.search.hint"))
            return
        try:
            hits = tuple(await self.searcher(query))
        except SearchQueryError:
            status.update(Text(t("tui.search.bad_query", error=bad_query_text(query)),
                               style="bold red"))
            results.clear_options()
            return
        self.hits = hits
        prefix = None if hits else suggest_prefix(query)
        status.update(t("qa.search_none_try_prefix", query=query, prefix=prefix) if prefix
                      else t("tui.search.count", n=len(hits), query=query))
        results.set_options(
            Option(hit_line(h), id=f"{h.source}:{h.ref_id}:{i}") for i, h in enumerate(hits)
        )
        if hits:
            results.highlighted = 0
            results.focus()

    @on(OptionList.OptionSelected, "#search-results")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        hit = self.hits[event.option_index]
        if hit.source == "journal":
            self.app.post_message(OpenJournalRecord(hit.ref_id))
        else:
            self.query_one("#search-status", Static).update(t("tui.search.log_only"))
