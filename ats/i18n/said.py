"""A sentence the system says (a rejection's reason, a lock's cause, an exit's why) that can be
shown again later in the reader's language.

The brain composes reasons while it trades and the journal keeps them for years; the desk
that shows them may run in Russian today and English tomorrow. A ``Said`` is the English
text (it *is* a ``str``: every place that stores, compares, searches or logs a reason keeps
working, and the journal's full-text search finds the English words) that also remembers its
catalogue key and arguments. ``said_record`` turns it into plain JSON for a journal payload,
``from_record`` brings it back, and ``render`` formats it in any language.

Arguments are numbers, strings, booleans, None or other ``Said`` (a lock's message quoting
the rejection that tripped it); the catalogue's ``str.format`` fields format them, so
``{pct:.2%}`` reads the same in both languages.

The module depends on nothing but the catalogue, so every layer may use it — the strategies
and the risk engine included — without importing anything above them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ats.i18n import catalogue, language

Scalar = str | int | float | bool | None


class Said(str):
    """English text plus (catalogue key, arguments); ``render(lang)`` says it again."""

    key: str
    args: dict[str, Any]

    def __new__(cls, key: str, /, **args: Any) -> Said:
        if key not in catalogue():
            raise KeyError(f"message {key!r} is not in the catalogue (ats/i18n/messages)")
        obj = super().__new__(cls, _say(key, "en", args))
        obj.key = key
        obj.args = dict(args)
        return obj

    def __getnewargs_ex__(self) -> tuple[tuple[str], dict[str, Any]]:
        # pickling (dask sweeps, multiprocessing) rebuilds from the key, not from the text
        return (self.key,), self.args

    def render(self, lang: str | None = None) -> str:
        """The sentence in ``lang`` (default: the current language)."""
        return _say(self.key, lang, self.args)

    def record(self) -> dict[str, Any]:
        """Plain JSON: ``{"key": ..., "args": {...}}`` (nested ``Said`` nest the same way)."""
        return {"key": self.key, "args": {k: _plain(v) for k, v in self.args.items()}}


def _say(key: str, lang: str | None, args: Mapping[str, Any]) -> str:
    """Always formatted (``t`` returns a text without arguments as is; a reason whose
    arguments went missing must fail here, not show ``{reason}``)."""
    text = catalogue()[key][lang or language()]
    return text.format(**{k: v.render(lang) if isinstance(v, Said) else v
                          for k, v in args.items()})


def _plain(v: Any) -> Any:
    if isinstance(v, Said):
        return {"said": v.record()}
    if isinstance(v, str | int | float | bool) or v is None:
        return v
    return str(v)


def said_record(text: Any) -> dict[str, Any] | None:
    """The JSON record of ``text`` if it is a ``Said``, else None (plain text stays plain)."""
    return text.record() if isinstance(text, Said) else None


def with_said(body: dict[str, Any], text: Any) -> dict[str, Any]:
    """``body`` (a journal payload or one of its rows) with ``text``'s record under ``"said"``
    when ``text`` is a ``Said``; plain text adds nothing and a record already there stays."""
    rec = said_record(text)
    if rec is not None:
        body.setdefault("said", rec)
    return body


def from_record(rec: Any) -> Said | None:
    """A ``Said`` back from ``said_record``'s JSON; None when the record is missing, malformed
    or names a key this version's catalogue no longer has (the stored English text is then
    what the reader sees)."""
    if not isinstance(rec, Mapping) or not isinstance(rec.get("key"), str):
        return None
    args: dict[str, Any] = {}
    for k, v in (rec.get("args") or {}).items():
        if isinstance(v, Mapping) and "said" in v:
            inner = from_record(v["said"])
            if inner is None:
                return None
            args[k] = inner
        else:
            args[k] = v
    try:
        return Said(rec["key"], **args)
    except (KeyError, ValueError, IndexError, TypeError):
        return None


def render(text: Any, rec: Any = None, lang: str | None = None) -> str:
    """``text`` in the reader's language: a ``Said`` renders itself, else ``rec`` (a stored
    ``said_record``) when it can, else the text as it was stored."""
    if isinstance(text, Said):
        return text.render(lang)
    back = from_record(rec)
    if back is not None:
        return back.render(lang)
    return "" if text is None else str(text)
