"""``Said``: a reason composed in English by the brain, shown again in the reader's language
from what the journal stored."""

from __future__ import annotations

import ast
import json
import pickle
from pathlib import Path

import pytest

from ats.i18n import catalogue
from ats.i18n.said import Said, from_record, render, said_record

ROOT = Path(__file__).resolve().parent.parent


def test_said_is_the_english_text_and_says_it_again_in_russian() -> None:
    s = Said("said.strategy.shadow_pnl", pnl=-12.5, trades=3)
    assert s == "shadow PnL -12.50 over 3 trades"
    assert isinstance(s, str) and "PnL" in s  # stored, searched and logged as plain text
    assert s.render("ru") == "теневой PnL -12.50 за 3 сделок"


def test_the_record_is_plain_json_and_comes_back() -> None:
    inner = Said("said.strategy.rejected", reason="x")
    s = Said("said.strategy.disabled", reason=inner)
    assert s == "disabled: rejected: x"
    rec = json.loads(json.dumps(said_record(s)))
    back = from_record(rec)
    assert back == s and back is not None and back.render("ru") == "выключена: отклонено: x"
    assert render("stored english", rec, "ru") == "выключена: отклонено: x"


def test_plain_text_and_broken_records_show_what_was_stored() -> None:
    assert said_record("plain") is None
    assert render("plain", None, "ru") == "plain"
    assert render("old text", {"key": "no.such.key", "args": {}}, "ru") == "old text"
    assert render("old text", {"key": "said.strategy.disabled", "args": {}}, "ru") == "old text"
    assert render("old text", "garbage", "ru") == "old text"


def test_an_unknown_key_is_an_error_at_once() -> None:
    with pytest.raises(KeyError, match="not in the catalogue"):
        Said("said.no_such_message")


def test_said_survives_pickling() -> None:  # dask sweeps and process pools pickle signals
    s = Said("said.strategy.shadow_pnl", pnl=1.0, trades=2)
    back = pickle.loads(pickle.dumps(s))
    assert back == s and back.key == s.key and back.render("ru") == s.render("ru")


def _said_keys_in_source() -> list[tuple[str, int, str]]:
    out = []
    for base in ("ats", "broker_adapters", "storage", "research_lab"):
        for path in (ROOT / base).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                        and node.func.id == "Said" and node.args):
                    continue
                first = node.args[0]
                keys = [first] if not isinstance(first, ast.IfExp) else [first.body, first.orelse]
                for k in keys:
                    if isinstance(k, ast.Constant):
                        out.append((str(path.relative_to(ROOT)), node.lineno, k.value))
    return out


def test_every_said_in_the_source_names_a_catalogue_key() -> None:
    found = _said_keys_in_source()
    assert found, "the scan found no Said(...) call: it is looking in the wrong place"
    missing = [f"{p}:{n} {k}" for p, n, k in found if k not in catalogue()]
    assert not missing, f"Said keys missing from ats/i18n/messages: {missing}"
