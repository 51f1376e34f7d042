"""The brain speaks the reader's language: strategy reasons, exit reasons, journal events
(run started, trader actions, restarts) are ``Said`` texts, so the ru desk shows them in
Russian — while the brain runs and after a restart, from what the journal stored — and no
English sentence can come back into the brain unnoticed (the source scan)."""

from __future__ import annotations

import ast
import asyncio
import re
from pathlib import Path

import pytest

from ats.i18n.said import Said, from_record, render
from tests.test_ru_complete import desk_text, english_words

ROOT = Path(__file__).resolve().parent.parent


# -- the source scan -------------------------------------------------------------------------

def _is_composed_text(node: ast.expr) -> bool:
    """A literal or an f-string (or a concatenation / conditional holding one): English."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _is_composed_text(node.left) or _is_composed_text(node.right)
    if isinstance(node, ast.IfExp):
        return _is_composed_text(node.body) or _is_composed_text(node.orelse)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr in ("join", "format"):
        return True
    return False


def _callee(node: ast.Call) -> str:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


# what each call's text is: (positional index of the text, keyword name)
TEXT_ARGS = {"StrategySignal": (7, "reason"), "ExitRequest": (3, "reason"),
             "signal": (None, "reason"), "journal_event": (1, "text"),
             "journal": (None, "text")}  # dao.journal(kind, body, ..., text=...)


def english_texts_in(source: str) -> list[tuple[int, str]]:
    """(line, call) of every literal / f-string passed as a reason or a journal text."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or _callee(node) not in TEXT_ARGS:
            continue
        pos, kw = TEXT_ARGS[_callee(node)]
        args = [k.value for k in node.keywords if k.arg == kw]
        if pos is not None and len(node.args) > pos:
            args.append(node.args[pos])
        out += [(node.lineno, _callee(node)) for a in args if _is_composed_text(a)]
    return out


def test_the_scan_finds_english_reasons_and_events() -> None:
    bad = '''
o.journal_event("event", f"run {run_id} started")
o.journal_event("event", "funding: " + ", ".join(x))
ExitRequest(sym, side, qty, f"trader: {why}", strat)
StrategySignal(strategy="s", reason="close above the band")
self.signal(ctx, bars, side, confidence=1.0, reason=f"time stop {n}")
dao.journal("unlock", body, ts=now, run_id="cli", text=f"{name} unlocked")
'''
    assert [c for _, c in english_texts_in(bad)] == [
        "journal_event", "journal_event", "ExitRequest", "StrategySignal", "signal", "journal"]
    good = '''
o.journal_event("event", Said("event.run.started", run_id=r))
o.journal_event(ev.kind, ev.reason, {"lock": ev.name})
ExitRequest(sym, side, qty, Said("reason.trader_exit", reason=why), strat)
self.signal(ctx, bars, side, confidence=1.0, reason=reason)
'''
    assert english_texts_in(good) == []


# Files the said-risk branch converts (risk, locks, day boundary): while it is not merged,
# their English is expected here. Each must still hold English, so the set empties itself
# at the merge (the test below fails on a file that no longer needs to be listed).
PENDING_ELSEWHERE: set[str] = set()  # files still composing English reasons (none)


def _scan() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for base in ("ats", "research_lab"):
        for path in sorted((ROOT / base).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            for line, call in english_texts_in(path.read_text(encoding="utf-8")):
                found.setdefault(rel, []).append(f"{rel}:{line} {call}")
    return found


def test_no_english_reason_or_journal_text_is_composed_in_ats() -> None:
    found = _scan()
    stale = sorted(PENDING_ELSEWHERE - set(found))
    assert not stale, f"converted: remove {stale} from PENDING_ELSEWHERE"
    bad = [x for rel, xs in found.items() if rel not in PENDING_ELSEWHERE for x in xs]
    assert not bad, ("English composed as a reason or a journal text; say it with "
                     f"Said('reason.…' / 'event.…') in ats/i18n/messages: {bad}")


# -- the strategies' reasons ------------------------------------------------------------------

def test_a_strategy_reason_is_the_same_english_and_reads_in_russian() -> None:
    s = Said("reason.range_reversion.entry_above", close=43987.123, bb_period=20, bb_k=2.0,
             band=43900.5, rsi=74.26, mid=43500.0)
    assert s == ("close 43987.1 above the 20/2 Bollinger band 43900.5, RSI 74.3; revert to "
                 "the middle 43500")
    assert s.render("ru") == ("закрытие 43987.1 выше верхней полосы Боллинджера 20/2 "
                              "(43900.5), RSI 74.3; шорт на возврат к средней 43500")
    part = Said("reason.breakout.partial_take", r=1.0, target=1.2712, fraction=0.5)
    assert part == "1R target 1.2712 reached: take 50% of the open quantity"
    assert part.render("ru") == "цель 1R (1.2712) достигнута: частичная фиксация 50% " \
        "открытого объёма"


def test_a_dsl_challengers_reason_keeps_its_formulas_and_translates_the_words() -> None:
    from research_lab.dsl.compile import _reason
    from research_lab.dsl.models import RuleBlock

    block = RuleBlock.model_validate({"logic": "all", "rules": [
        {"left": {"kind": "indicator", "name": "rsi", "params": {"period": 14}}, "op": "<",
         "right": {"kind": "const", "value": 30}},
        {"left": {"kind": "price", "field": "close"}, "op": ">",
         "right": {"kind": "const", "value": 1}}]})
    why = _reason("long_entry", block)
    assert why == "long entry: rsi(14) < 30 and close > 1"
    assert render(why, None, "ru") == "вход в лонг: rsi(14) < 30 и close > 1"
    assert _reason("exit_short", None).render("ru") == "выход из шорта"


def test_the_search_dialog_explains_a_bad_query_in_russian() -> None:
    from ats import i18n
    from ats.tui.screens.search import bad_query_text

    i18n.set_language("ru")
    assert bad_query_text("!!! ???").startswith("не получается искать «!!! ???»")
    assert bad_query_text("x" * 600) == "в запросе 600 символов; допустимо не больше 500"
    assert not english_words(bad_query_text("!!! ???").replace("regime*", ""))


# -- the real brain on the ru desk, and again after a restart ---------------------------------

MINUTES = 415  # seed 7: entries from the start; volatility_expansion_15m's time stop at ~410


def _lines(app: object) -> list[str]:
    from ats.tui.widgets.journal_log import JournalLog

    return [line.plain for _, line in app.desk.query_one(JournalLog).lines()]  # type: ignore[attr-defined]


def _english(rows: list[str], names: set[str]) -> list[str]:
    found = []
    for row in rows:
        for cell in re.split(r"[│╭╮╰╯█▀▄]", row):  # panel borders, dialog frames
            cell = cell.replace("snap-run", " ")  # the run id
            found += [w for w in english_words(cell) if w not in names]
    return found


@pytest.mark.slow
def test_the_real_brain_speaks_russian_on_the_desk_and_after_a_restart(
        tmp_path: Path) -> None:
    from ats import i18n
    from ats.brain.actions import TraderAction
    from ats.brain.runtime import RunOptions, build_orchestrator
    from ats.domain import FixedClock
    from ats.strategies import registry
    from ats.tui.launch import desk_for
    from ats.tui.messages import OpenJournalRecord
    from ats.tui.screens.record import RecordScreen, record_header
    from ats.tui.widgets.events import record_lines
    from tests.tui.conftest import settle
    from tests.tui.fakes import text_of
    from tests.tui.real_brain import CLOCK_START, RUN_ID, SEED, real_desk, run_minutes

    i18n.set_language("ru")
    names = set(registry.names())
    db = tmp_path / "ru.db"
    seen: dict[str, list[str]] = {}

    async def first_run() -> None:
        clock = FixedClock(CLOCK_START)
        app = real_desk(db, clock)
        async with app.run_test(size=(200, 60)) as pilot:
            await run_minutes(app, clock, MINUTES)
            await settle(pilot)
            held = sorted(app.brain.portfolio.positions)
            assert held, "the run should hold a position to flatten"
            await app.submit_action(TraderAction("flatten", held[0], ""))
            await app.submit_action(TraderAction("disable", "range_reversion_5m", ""))
            await app.cycle_once()
            app.reload_journal()
            await settle(pilot)
            seen["lines"] = _lines(app)
            seen["screen"] = desk_text(app.export_screenshot())
            seen["strategies"] = [s.last_signal or "" for s in app.latest.strategies]
            await pilot.press("f10")

    async def restart() -> None:
        clock = FixedClock(CLOCK_START + (MINUTES + 5) * 60_000)
        brain = build_orchestrator(RunOptions(db_path=db, clock=clock, run_id=f"{RUN_ID}-2",
                                              seed=SEED), env={})
        app = desk_for(brain, tick_interval=None, refresh_interval=None)
        app.animation_level = "none"
        async with app.run_test(size=(200, 60)) as pilot:
            await app.ensure_started()
            app.reload_journal()
            await settle(pilot)
            seen["restart"] = _lines(app)
            # the first run's records, read back from the file by the new process's desk:
            # only the stored English and the said records are left
            old = brain.dao.journal_tail(2000, run_id=RUN_ID)
            seen["old"] = [" ".join(x.text.split()) for r in old for x in record_lines(r)]
            flat = next(r for r in old if r.kind == "action" and "flattened" in r.text)
            app.post_message(OpenJournalRecord(flat.id))
            await settle(pilot)
            assert isinstance(app.screen, RecordScreen)
            seen["record"] = [text_of(record_header(flat), 200).splitlines()[-1]]
            await pilot.press("escape")
            await pilot.press("f10")

    asyncio.run(first_run())
    asyncio.run(restart())

    lines = seen["lines"]
    # what this run must have said, in Russian
    assert any("прогон snap-run запущен на mock" in x for x in lines)
    assert any("трейдер закрыл позицию" in x and "причина не указана" in x for x in lines)
    assert any("трейдер выключил стратегию range_reversion_5m" in x for x in lines)
    panel = seen["strategies"]
    assert any("выключена: по решению трейдера: причина не указана" in x for x in panel)
    assert any(x.startswith("ВЫХОД ETH/USDT:USDT") and "стоп по времени: позиция держится 16"
               in x for x in panel), panel  # volatility_expansion_15m's exit, its reason
    assert any("закрытие" in x and "пробило вниз канал 55" in x for x in panel), panel

    exits = [x for x in lines if x.split()[1:2] == ["выход"]]
    assert exits, f"no exit line in the log: {lines[-40:]}"
    # The risk layer wraps a strategy's exit as "exit signal: <its reason>" (ats/brain/agents/
    # risk.py, the said-risk branch's to convert). Until that is merged the line's reason is
    # English and is left out here; after it, every exit line must read in Russian.
    pending = "ats/brain/agents/risk.py" in _scan()
    if not pending:
        assert all("стоп по времени" in x for x in exits), exits

    def checked(rows: list[str]) -> list[str]:
        return [re.sub(r"exit signal:[^│]*", " ", x) if pending else x for x in rows]

    english = {name: _english(checked(rows), names) for name, rows in seen.items()}
    assert not any(english.values()), f"English left on the ru desk: {english}"

    # after the restart the first run's records read in Russian from what the journal stored
    old = seen["old"]
    # the desk's lines from the journal (not its own "стол" notes), without time and kind
    journal_lines = {" ".join(x.split()[2:]) for x in lines
                     if x.split()[1:2] != ["стол"] and "передано мозгу" not in x}
    assert len(journal_lines) > 10 and journal_lines <= set(old), journal_lines - set(old)
    assert any("прогон snap-run остановлен после" in x for x in old)
    assert "трейдер закрыл позицию BTC/USDT:USDT: причина не указана" in seen["record"][0]
    assert any("прогон snap-run-2 запущен" in x for x in seen["restart"]), seen["restart"]


def test_stored_records_render_after_a_restart_without_the_objects() -> None:
    """What the restarted desk does: only the JSON record is left, and it says it again."""
    import json

    from ats.i18n.said import said_record

    s = Said("event.action.with_errors",
             text=Said("event.action.flatten", symbol="BTC/USDT:USDT",
                       reason=Said("event.action.no_reason")),
             errors=Said("reason.list.semicolon", first="x", more="y"))
    rec = json.loads(json.dumps(said_record(s)))
    back = from_record(rec)
    assert back == s == "trader flattened BTC/USDT:USDT: no reason given; errors: x; y"
    assert render(str(s), rec, "ru") == ("трейдер закрыл позицию BTC/USDT:USDT: причина не "
                                         "указана; ошибки: x; y")


def test_every_brain_message_formats_in_both_languages() -> None:
    """Each template of reasons_brain.yaml takes the same arguments in en and ru, and its
    number formats accept numbers (a typo like ``{pct:.2%%}`` fails here, not on the desk)."""
    import string

    import yaml

    path = ROOT / "ats" / "i18n" / "messages" / "reasons_brain.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert len(data) > 50
    for key, texts in data.items():
        assert key.startswith(("reason.", "event.")), key
        fields = {name: 1.5 if spec else "x"
                  for _, name, spec, _ in string.Formatter().parse(texts["en"]) if name}
        s = Said(key, **fields)
        assert s.render("en") == s and s.render("ru"), key
        ru = re.sub(r"\{[^}]*\}", "1", texts["ru"])
        assert not english_words(ru), f"{key}: English in ru: {english_words(ru)}"
