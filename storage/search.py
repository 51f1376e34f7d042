"""Turn anything a trader types into a safe FTS5 query.

FTS5 has its own query language (quotes, ``AND``/``OR``/``NOT``, ``NEAR(...)``, ``*``, ``-``,
``^``, column filters); raw user text would fail on an apostrophe or silently mean something
else. The rules here are small and predictable:

- words are matched as literal terms and all must appear (``kill switch``);
- ``"two words"`` is a phrase; an unbalanced quote runs to the end of the text;
- ``word*`` is a prefix search;
- ``OR`` between two terms means either.

Every term is emitted as a double-quoted FTS5 string, so no operator or punctuation in the
input can reach the FTS5 parser as syntax. A text with no searchable characters raises
``SearchQueryError`` explaining what to type.
"""

from __future__ import annotations

import re
import unicodedata

from storage.protocol import SearchQueryError

MAX_QUERY_CHARS = 500
MAX_TERMS = 32


def _has_word(text: str) -> bool:
    """True when the unicode61 tokenizer would find a token (a letter, digit or mark)."""
    return any(unicodedata.category(ch)[0] in "LNM" for ch in text)


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


_TOKEN = re.compile(r'"([^"]*)"?|(\S+)')


def build_fts_query(text: str) -> str:
    """The FTS5 MATCH expression for user ``text``; raises ``SearchQueryError``."""
    if not isinstance(text, str):
        raise SearchQueryError("search text must be a string")
    cleaned = text.replace("\x00", " ").strip()
    if not cleaned:
        raise SearchQueryError('empty search: type one or more words, e.g. "kill switch"')
    if len(cleaned) > MAX_QUERY_CHARS:
        raise SearchQueryError(
            f"search text is {len(cleaned)} characters long; use at most {MAX_QUERY_CHARS}"
        )
    parts: list[str] = []
    pending_or = False
    for match in _TOKEN.finditer(cleaned):
        phrase, word = match.group(1), match.group(2)
        if phrase is None and word == "OR":
            pending_or = bool(parts)
            continue
        prefix = False
        if phrase is not None:
            term = phrase
        else:
            term = word
            if term.endswith("*") and _has_word(term.rstrip("*")):
                term, prefix = term.rstrip("*"), True
        if not _has_word(term):
            continue
        expr = _quote(term) + ("*" if prefix else "")
        if pending_or and parts:
            parts[-1] = f"{parts[-1]} OR {expr}"
        else:
            parts.append(expr)
        pending_or = False
    if not parts:
        raise SearchQueryError(
            f"nothing to search for in {text!r}: use letters or digits, e.g. kill switch, "
            '"daily lock" or regime*'
        )
    if len(parts) > MAX_TERMS:
        raise SearchQueryError(f"too many search terms ({len(parts)}); use at most {MAX_TERMS}")
    return " AND ".join(f"({p})" if " OR " in p else p for p in parts)


def suggest_prefix(text: str) -> str | None:
    """The same query with every plain word as a prefix (``fill`` -> ``fill*``), or None when
    that changes nothing. Words match whole, so "fill" misses "fills" and "filled" (the
    journal's words for the desk's "fill" lines); a search that found nothing offers this."""
    out: list[str] = []
    changed = False
    for match in _TOKEN.finditer(str(text).replace("\x00", " ").strip()):
        phrase, word = match.group(1), match.group(2)
        if phrase is not None:
            out.append(match.group(0))
        elif word == "OR" or word.endswith("*") or not _has_word(word):
            out.append(word)
        else:
            out.append(word + "*")
            changed = True
    return " ".join(out) if changed else None
