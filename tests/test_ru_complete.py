"""Russian is complete: the ru rendering of every ``--help`` and of the desk's screens holds
no English word outside an allow-list of names that stay as they are (symbols, tickers,
units, key names, option values, file names, product names).

Brain-composed reasons (a rejection's reason, a strategy's last signal, a lock's cause) are
``Said`` texts: the journal keeps their catalogue key and arguments, and the desk shows them
in the reader's language, so the desk test skips nothing but the run id.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ats.cli.main import main

# names, not words: they read the same in a Russian interface
ALLOWED = {
    # products, venues, formats, protocols
    "ats", "ATS", "BingX", "bingx", "MetaTrader", "MT5", "mt5", "VST", "vst", "SQLite", "WAL",
    "Prometheus", "Grafana", "Ollama", "ollama", "LLM", "CCXT", "RPyC", "JSON", "YAML", "DSL",
    "Parquet", "CSV", "PNG", "SVG", "ISO", "UTC", "FTS5", "OR", "AND", "NOT", "Dask", "dask",
    "vector", "brain", "OHLCV", "file",
    # modes, choices and values typed as-is
    "paper", "demo", "live", "mock", "trending", "deterministic", "replay", "en", "ru",
    "integrity_check", "foreign_key_check", "walk", "forward", "diff", "git", "local",
    "configs", "data", "archive", "reports", "run", "summary", "virtual_summary", "equity",
    "report", "gate_spec", "enable_map", "governance", "symbols", "adapters", "challengers",
    "metrics", "graph", "adapter", "regime", "kill", "lock",
    # indicators, units and abbreviations
    "ADX", "ATR", "EMA", "DD", "PnL", "P&L", "RSI", "ms", "nPnL", "PF", "MaxDD", "OOS", "ID",
    "id", "Id", "bps", "Walk", "ATS_DB", "ATS_CONFIG_DIR", "ATS_LANG", "PROMETHEUS_PORT",
    # keys
    "Ctrl", "Esc", "Enter", "Tab", "PageDown", "PageUp", "Shift",
    # metavars click prints
    "TEXT", "INTEGER", "FLOAT", "RANGE", "PATH", "DIRECTORY", "FILENAME", "BOOLEAN",
    "OPTIONS", "COMMAND", "ARGS", "RUN_ID", "STRATEGY", "QUERY", "DEST",
}
WORD = re.compile(r"[A-Za-z][A-Za-z_&]+")


def _command_names(cmd: click.Command) -> set[str]:
    names = {cmd.name or ""}
    if isinstance(cmd, click.Group):
        for sub in cmd.commands.values():
            names |= _command_names(sub)
    return names


COMMANDS = _command_names(main)  # typed as they are: `ats research walkforward`


def english_words(text: str) -> list[str]:
    """Latin words of 2+ letters outside options, paths, commands, symbols and numbers."""
    text = re.sub(r"`[^`]*`", " ", text)  # commands quoted for the reader
    text = re.sub(r"(?<!\w)--?[\w-]+", " ", text)  # option names
    text = re.sub(r"\S*[/\\.:@<>]\S*", " ", text)  # paths, symbols, file names, urls
    text = re.sub(r"\[[a-z|-]+\]", " ", text)  # click choices [en|ru]
    text = re.sub(r"\b\w*\d\w*\b", " ", text)  # tokens with digits: 1m, 4h, F10, 90d
    return [w for w in WORD.findall(text) if w not in ALLOWED and w not in COMMANDS
            and not (w.isupper() and len(w) <= 6)]  # tickers, currencies: EURUSD, USDT


def command_paths(cmd: click.Command, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [path]
    if isinstance(cmd, click.Group):
        for name, sub in sorted(cmd.commands.items()):
            out += command_paths(sub, (*path, name))
    return out


@pytest.mark.parametrize("how", ["flag", "env"])
def test_every_help_is_russian(how: str, monkeypatch: pytest.MonkeyPatch) -> None:
    found: dict[str, list[str]] = {}
    for path in command_paths(main):
        if how == "flag":
            res = CliRunner().invoke(main, ["--lang", "ru", *path, "--help"], prog_name="ats")
        else:
            monkeypatch.setenv("ATS_LANG", "ru")
            res = CliRunner().invoke(main, [*path, "--help"], prog_name="ats")
        assert res.exit_code == 0, res.output
        assert "Использование:" in res.output and "Показать эту справку" in res.output
        words = english_words(res.output)
        if words:
            found[" ".join(path) or "ats"] = words
    assert not found, f"English left in --help (ru): {found}"


def test_english_help_stays_english() -> None:
    res = CliRunner().invoke(main, ["--lang", "en", "runs", "--help"], prog_name="ats")
    assert "Usage: ats runs" in res.output and "Show this message and exit." in res.output
    assert "List the runs in the database" in res.output


def test_the_detector_catches_english() -> None:
    assert english_words("Показать эту справку then exit") == ["then", "exit"]
    assert english_words("BTC/USDT:USDT ADX 19 F10 `ats runs` --db PATH") == []


def desk_text(svg: str) -> list[str]:
    """The text rows of an SVG screenshot, in screen order."""
    import html

    rows: dict[int, dict[int, str]] = {}
    for m in re.finditer(r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+" textLength="[\d.]+" '
                         r'clip-path="url\(#[^"]*-line-(\d+)\)">(.*?)</text>', svg):
        x, line, txt = m.groups()
        rows.setdefault(int(line), {})[round(float(x) / 12.2)] = \
            html.unescape(txt).replace("\xa0", " ")
    out = []
    for line in sorted(rows):
        buf: list[str] = []
        for col in sorted(rows[line]):
            buf.extend(" " * max(0, col - len(buf)))
            buf[col:col + len(rows[line][col])] = list(rows[line][col])
        out.append("".join(buf))
    return out


@pytest.mark.slow
def test_the_desk_in_russian_has_no_english_left(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from ats import i18n
    from ats.domain import FixedClock
    from ats.strategies import registry
    from tests.tui.conftest import settle
    from tests.tui.real_brain import CLOCK_START, real_desk, run_minutes

    i18n.set_language("ru")
    names = set(registry.names())
    screens: dict[str, list[str]] = {}

    async def drive() -> None:
        clock = FixedClock(CLOCK_START)
        app = real_desk(tmp_path / "ru.db", clock)
        async with app.run_test(size=(120, 40)) as pilot:
            await run_minutes(app, clock, 250)
            await settle(pilot)
            screens["desk"] = desk_text(app.export_screenshot())
            for key, name in (("f1", "help"), ("f8", "kill"), ("f4", "governance")):
                await pilot.press(key)
                await settle(pilot)
                screens[name] = desk_text(app.export_screenshot())
                await pilot.press("escape")
                await settle(pilot)
            await app.run_action("flatten")
            await pilot.press("enter")
            await settle(pilot)
            screens["flatten"] = desk_text(app.export_screenshot())
            await pilot.press("escape")
            await settle(pilot)
            await app.run_action("command_palette")
            await settle(pilot)
            screens["palette"] = desk_text(app.export_screenshot())
            await pilot.press("escape")
            await pilot.press("f10")

    asyncio.run(drive())
    found: dict[str, list[str]] = {}
    for name, rows in screens.items():
        for row in rows:
            for cell in re.split(r"[│╭╮╰╯█▀▄]", row):  # panel borders, dialog frames
                cell = cell.replace("snap-run", " ")  # the run id
                # a strategy name cut by a dialog drawn over it ("br█") is still a name
                words = [w for w in english_words(cell) if w not in names
                         and not (cell.rstrip().endswith(w)
                                  and any(n.startswith(w) for n in names))]
                if words:
                    found.setdefault(name, []).extend(words)
    assert not found, f"English left on the ru desk: {found}"
