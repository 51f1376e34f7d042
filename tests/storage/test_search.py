"""Search never leaks FTS5 syntax errors, whatever the user types."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.dao import PersistDAO
from storage.protocol import SearchQueryError
from storage.search import build_fts_query, suggest_prefix
from tests.storage.helpers import T0

NASTY = [
    '"', '""', '"unbalanced', "unbalanced\"", "'", "it's", "NEAR(", "NEAR(kill switch",
    "NEAR(kill switch, 2)", "*", "kill*", "**", "-", "-kill", "kill -switch", "^kill",
    "kill AND", "AND", "OR", "NOT", "kill OR", "OR kill", "kill NOT switch", "(", ")",
    "(kill", "kill)", "text:kill", "{text}: kill", "kill + switch", ":", "a:b:c",
    "'; DROP TABLE journal; --", "\\", "%", "_", "\x00kill", "kill\x00switch", "😀",
    "ключ", "日本", "kill\nswitch", "\t", "   ", "", "a" * 400, "x " * 40, '"a" "b" "',
    "kill\"switch", "NEAR", "near(kill)", "kill NEAR switch", "^", "+", "@@@",
]


@pytest.fixture
def filled(dao: PersistDAO) -> PersistDAO:
    dao.journal("lock", {}, ts=T0, run_id="r", text="Kill switch engaged after drawdown")
    dao.journal("cycle", {}, ts=T0 + 1, run_id="r", text="regime trend_up; it's quiet")
    dao.log("error", "order rejected: insufficient margin (NEAR limit)", ts=T0 + 2)
    return dao


@pytest.mark.parametrize("text", NASTY)
def test_nasty_inputs_never_raise_sql_errors(filled: PersistDAO, text: str) -> None:
    try:
        hits = filled.search(text)
    except SearchQueryError as exc:
        assert str(exc)  # a message a trader can read
    else:
        assert isinstance(hits, list)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=60))
def test_any_text_is_safe(text: str) -> None:
    try:
        query = build_fts_query(text)
    except SearchQueryError:
        return
    import apsw

    conn = apsw.Connection(":memory:")
    conn.execute("CREATE VIRTUAL TABLE f USING fts5(t)")
    conn.execute("INSERT INTO f VALUES ('kill switch engaged')")
    conn.execute("SELECT rowid FROM f WHERE f MATCH ?", (query,)).fetchall()


def test_semantics(filled: PersistDAO) -> None:
    assert [h.kind for h in filled.search("kill switch")] == ["lock"]
    assert [h.kind for h in filled.search('"switch engaged')] == ["lock"]  # unbalanced quote
    assert filled.search('"engaged switch"') == []  # a phrase keeps word order
    assert [h.kind for h in filled.search("regi*")] == ["cycle"]
    assert sorted(h.kind for h in filled.search("quiet OR margin")) == ["ERROR", "cycle"]
    assert [h.kind for h in filled.search("it's")] == ["cycle"]
    assert [h.kind for h in filled.search("NEAR limit")] == ["ERROR"]  # NEAR is just a word
    assert [h.kind for h in filled.search("'; DROP TABLE journal; --")] == []
    assert len(filled.journal_tail(10)) == 2


@pytest.mark.parametrize("text", ["", "   ", "*", "-", "()", '""', "OR", "\x00"])
def test_empty_queries_explain_themselves(filled: PersistDAO, text: str) -> None:
    with pytest.raises(SearchQueryError, match="search|nothing"):
        filled.search(text)


def test_limits(filled: PersistDAO) -> None:
    with pytest.raises(SearchQueryError, match="at most"):
        filled.search("a" * 600)
    with pytest.raises(SearchQueryError, match="too many"):
        filled.search(" ".join(f"w{i}" for i in range(40)))
    with pytest.raises(SearchQueryError, match="positive"):
        filled.search("kill", limit=0)


def test_a_search_that_finds_nothing_can_offer_the_prefix_form(dao: PersistDAO) -> None:
    """The desk's log says "fill"; the journal says "fills 1:" and "filled"."""
    dao.journal("cycle", {}, ts=T0, run_id="r", text="orders 1: buy 1 EURUSD filled | fills 1")
    assert dao.search("fill") == []
    assert suggest_prefix("fill") == "fill*"
    assert len(dao.search(suggest_prefix("fill") or "")) == 1
    assert suggest_prefix('"kill switch" fill OR fee*') == '"kill switch" fill* OR fee*'
    assert suggest_prefix("fill*") is None and suggest_prefix('"a phrase"') is None
    assert suggest_prefix("!!!") is None
