"""The end-of-run summary speaks the trader's language and names the account currency."""

from __future__ import annotations

import io

from rich.console import Console, RenderableType

from ats.cli.run_cmd import summary_table
from ats.i18n import set_language


def text_of(renderable: RenderableType, width: int) -> str:
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()

SUMMARY = {"run_id": "r1", "cycles": 3, "orders": 1, "fills": 1, "closed_trades": 0,
           "pnl": -54.21, "equity": 9945.79, "currency": "USDT", "drawdown_pct": -0.0054,
           "rejections": {}, "locks": [], "latency_p50_ms": 1.4, "latency_p99_ms": 6.0}


def test_summary_money_line_in_russian_with_the_account_currency() -> None:
    set_language("ru")
    try:
        out = text_of(summary_table(SUMMARY), width=100)
    finally:
        set_language("en")
    assert "-54.21 (капитал 9,945.79 USDT)" in out and "equity" not in out


def test_summary_money_line_in_english_without_a_currency() -> None:
    out = text_of(summary_table({**SUMMARY, "currency": None}), width=100)
    assert "-54.21 (equity 9,945.79)" in out


def test_locks_in_force_are_named_in_words() -> None:
    locked = {**SUMMARY, "kill_switch": True, "daily_lock": True}
    assert "DAILY LOCK, KILL SWITCH" in text_of(summary_table(locked), width=100)
    set_language("ru")
    try:
        out = text_of(summary_table(locked), width=100)
    finally:
        set_language("en")
    assert "ДНЕВНАЯ БЛОКИРОВКА, АВАРИЙНЫЙ СТОП" in out and "kill_switch" not in out
