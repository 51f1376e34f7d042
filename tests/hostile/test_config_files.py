"""Hostile configuration files: each is refused by `ats run` and `ats sync` with one line
that names the file (and the line, key or byte offset), exit code 2, nothing written."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ats.config import ConfigError
from ats.config.safe_yaml import MAX_BYTES, load_yaml

from .conftest import Ats, check_one_line


def _laughs() -> str:
    text = 'lol: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    prev = "a"
    for name in "bcdefghi":
        text += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
        prev = name
    return text


def replace(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)
    return edit


def whole(new: str) -> Callable[[str], str]:
    return lambda _text: new


# (file, edit of its text, words the one line must contain)
TEXT_CASES: dict[str, tuple[str, Callable[[str], str], tuple[str, ...]]] = {
    "billion_laughs": ("governance.yaml", whole(_laughs()), ("governance.yaml", "aliases")),
    "deep_nesting_5000": ("governance.yaml", whole("risk: " + "[" * 5000 + "]" * 5000 + "\n"),
                          ("governance.yaml:1", "nesting")),
    "deep_mapping": ("governance.yaml",
                     whole("".join("  " * i + f"k{i}:\n" for i in range(100))
                           + "  " * 100 + "x: 1\n"),
                     ("governance.yaml", "nesting")),
    "duplicate_risk_key": ("governance.yaml",
                           replace("base_risk_per_trade: 0.008",
                                   "base_risk_per_trade: 0.008\n  base_risk_per_trade: 0.05"),
                           ("governance.yaml", "duplicate key", "base_risk_per_trade", "lines")),
    "duplicate_section": ("governance.yaml", lambda t: t + "\nlocks:\n  daily_max_loss: 0.5\n",
                          ("governance.yaml", "duplicate key", "locks")),
    "python_tag": ("governance.yaml",
                   lambda t: t + "\nevil: !!python/object/apply:os.system [id]\n",
                   ("governance.yaml", "tag")),
    "float_tag": ("governance.yaml", replace("base_risk_per_trade: 0.008",
                                             "base_risk_per_trade: !!float 0.008"),
                  ("governance.yaml", "tag")),
    "custom_tag": ("governance.yaml", replace("base_risk_per_trade: 0.008",
                                              "base_risk_per_trade: !risk 0.008"),
                   ("governance.yaml", "tag")),
    "boolean_risk": ("governance.yaml", replace("base_risk_per_trade: 0.008",
                                                "base_risk_per_trade: true"),
                     ("governance.yaml", "base_risk_per_trade", "boolean")),
    "yes_as_hours": ("governance.yaml", replace("trailing_dd_window_hours: 72",
                                                "trailing_dd_window_hours: yes"),
                     ("governance.yaml", "trailing_dd_window_hours", "boolean")),
    "inf_child_notional": ("governance.yaml", replace("max_child_notional: 250000.0",
                                                      "max_child_notional: .inf"),
                           ("governance.yaml", "max_child_notional", "finite")),
    "nan_threshold": ("governance.yaml", replace("threshold: 0.65", "threshold: .nan"),
                      ("governance.yaml", "threshold", "finite")),
    "minus_inf_daily_loss": ("governance.yaml", replace("daily_max_loss: 0.018",
                                                        "daily_max_loss: -.inf"),
                             ("governance.yaml", "daily_max_loss")),
    "overflow_leverage": ("governance.yaml", replace("leverage_cap: 3.0",
                                                     "leverage_cap: 1.0e+400"),
                          ("governance.yaml", "leverage_cap", "finite")),
    "quoted_number": ("governance.yaml", replace("base_risk_per_trade: 0.008",
                                                 'base_risk_per_trade: "0.008"'),
                      ("governance.yaml", "base_risk_per_trade", "text")),
    "risk_8_not_0008": ("governance.yaml", replace("base_risk_per_trade: 0.008",
                                                   "base_risk_per_trade: 8"),
                        ("governance.yaml", "base_risk_per_trade")),
    "fractional_streak": ("governance.yaml", replace("loss_streak_trigger: 3",
                                                     "loss_streak_trigger: 3.5"),
                          ("governance.yaml", "loss_streak_trigger")),
    "typo_key": ("governance.yaml", replace("daily_max_loss:", "dialy_max_loss:"),
                 ("governance.yaml", "unknown key", "dialy_max_loss")),
    "empty_file": ("governance.yaml", whole(""), ("governance.yaml", "empty")),
    "top_level_list": ("governance.yaml", whole("- 1\n- 2\n"), ("governance.yaml", "mapping")),
    "nul_byte": ("governance.yaml", lambda t: t + "\nx: a\x00b\n",
                 ("governance.yaml", "control character")),
    "unclosed_bracket": ("governance.yaml", whole("risk: [1, 2\n"),
                         ("governance.yaml", "invalid YAML")),
    "two_documents": ("governance.yaml", lambda t: t + "\n---\nrisk: {}\n",
                      ("governance.yaml", "invalid YAML")),
    "recursive_alias": ("governance.yaml", whole("risk: &r [*r]\n"),
                        ("governance.yaml", "recursive")),
    "symbols_bad_timeframe": ("symbols.yaml", replace("timeframes: [1m, 5m, 15m, 1h, 4h]",
                                                      "timeframes: [1m, 7m]"),
                              ("symbols.yaml", "timeframes")),
    "symbols_nan_poll": ("symbols.yaml", replace("poll_interval_seconds: 5",
                                                 "poll_interval_seconds: .nan"),
                         ("symbols.yaml", "poll_interval_seconds")),
    "symbols_bool_backfill": ("symbols.yaml", replace("backfill_bars: 2000",
                                                      "backfill_bars: true"),
                              ("symbols.yaml", "backfill_bars", "boolean")),
    "symbols_duplicate_adapter": ("symbols.yaml",
                                  replace("\ninstruments:",
                                          "\n  mock:\n    symbols: [X]\ninstruments:"),
                                  ("symbols.yaml", "duplicate key", "mock")),
    "adapters_inf_speed": ("adapters.yaml", replace("speed: 60.0", "speed: .inf"),
                           ("adapters.yaml", "speed", "finite")),
    "adapters_port_range": ("adapters.yaml", replace("port: 18812", "port: 70000"),
                            ("adapters.yaml", "port")),
    "adapters_bool_timeout": ("adapters.yaml", replace("timeout_ms: 10000", "timeout_ms: false"),
                              ("adapters.yaml", "timeout_ms", "boolean")),
    "adapters_binary_tag": ("adapters.yaml", lambda t: t + "\nblob: !!binary aGVsbG8=\n",
                            ("adapters.yaml", "tag")),
    "adapters_default_live": ("adapters.yaml", replace("default: mock", "default: live"),
                              ("adapters.yaml", "default")),
    "enable_map_inf_cooldown": ("enable_map.yaml", replace("cooldown_bars: 6",
                                                           "cooldown_bars: .inf"),
                                ("enable_map.yaml", "cooldown_bars")),
    "enable_map_unknown_strategy": ("enable_map.yaml", lambda t: t.replace(
        "breakout_4h", "breakout_4hh", 1), ("enable_map.yaml", "breakout_4hh")),
}


@pytest.mark.parametrize("case", sorted(TEXT_CASES))
def test_run_refuses_hostile_config(case: str, ats: Ats) -> None:
    name, edit, needles = TEXT_CASES[case]
    path = ats.cfg / name
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    t0 = time.monotonic()
    out = ats("run", "--config-dir", str(ats.cfg), "--db", str(ats.db), "--max-cycles", "1")
    check_one_line(out, 2, *needles)
    assert time.monotonic() - t0 < 10, "refusing must not hang"


BYTE_CASES: dict[str, tuple[str, Callable[[bytes], bytes], tuple[str, ...]]] = {
    # The example: bytes that are not UTF-8 in symbols.yaml once became U+FFFD and
    # the instrument "BTC/USDT:USDT\ufffd\ufffd" reached the database.
    "symbols_not_utf8": ("symbols.yaml",
                         lambda b: b.replace(b"BTC/USDT:USDT,", b"BTC/USDT:USDT\xff\xfe,", 1),
                         ("symbols.yaml", "UTF-8", "byte offset")),
    "adapters_latin1": ("adapters.yaml", lambda b: b + b"\n# caf\xe9\n",
                        ("adapters.yaml", "UTF-8", "byte offset")),
    "governance_64mb": ("governance.yaml", lambda b: b + b"#" * (MAX_BYTES + 10),
                        ("governance.yaml", "larger than")),
}


@pytest.mark.parametrize("case", sorted(BYTE_CASES))
@pytest.mark.parametrize("command", ["run", "sync"])
def test_bytes_level_abuse_refused(case: str, command: str, ats: Ats) -> None:
    name, edit, needles = BYTE_CASES[case]
    if command == "sync" and name == "governance.yaml":
        name, edit = "adapters.yaml", BYTE_CASES[case][1]  # sync does not read governance
        needles = ("adapters.yaml",) + needles[1:]
    path = ats.cfg / name
    path.write_bytes(edit(path.read_bytes()))
    extra = ["--max-cycles", "1"] if command == "run" else ["--once"]
    out = ats(command, "--config-dir", str(ats.cfg), "--db", str(ats.db), *extra)
    check_one_line(out, 2, *needles)


@pytest.mark.parametrize("case", ["billion_laughs", "duplicate_risk_key", "inf_child_notional",
                                  "boolean_risk", "python_tag"])
def test_config_check_fails_the_file(case: str, ats: Ats) -> None:
    """`ats config check` shows the table (FAIL on the broken file) and exits 2."""
    name, edit, needles = TEXT_CASES[case]
    path = ats.cfg / name
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    out = ats("config", "check", "--dir", str(ats.cfg))
    assert out.code == 2 and "Traceback" not in out.stdout + out.stderr
    assert "FAIL" in out.stdout


def test_sync_refuses_bad_symbols_file(ats: Ats) -> None:
    p = ats.cfg / "symbols.yaml"
    p.write_text(p.read_text() + "\nadapters: {}\n")
    out = ats("sync", "--once", "--config-dir", str(ats.cfg), "--db", str(ats.db))
    check_one_line(out, 2, "symbols.yaml", "duplicate key", "adapters")


def test_missing_and_directory_config(ats: Ats) -> None:
    (ats.cfg / "governance.yaml").unlink()
    out = ats("run", "--config-dir", str(ats.cfg), "--db", str(ats.db), "--max-cycles", "1")
    check_one_line(out, 2, "governance.yaml", "not found")
    (ats.cfg / "governance.yaml").mkdir()
    out = ats("run", "--config-dir", str(ats.cfg), "--db", str(ats.db), "--max-cycles", "1")
    check_one_line(out, 2, "governance.yaml", "directory")


def test_billion_laughs_refused_fast(tmp_path: Path) -> None:
    p = tmp_path / "bomb.yaml"
    p.write_text(_laughs())
    t0 = time.monotonic()
    with pytest.raises(ConfigError, match="aliases expand"):
        load_yaml(p)
    assert time.monotonic() - t0 < 1.0


def test_duplicate_key_names_both_lines(tmp_path: Path) -> None:
    p = tmp_path / "g.yaml"
    p.write_text("risk:\n  base_risk_per_trade: 0.008\n  other: 1\n  base_risk_per_trade: 0.05\n")
    with pytest.raises(ConfigError) as exc:
        load_yaml(p)
    assert exc.value.line == 4 and "lines 2 and 4" in exc.value.message


def test_non_utf8_names_the_offset(tmp_path: Path) -> None:
    raw = b"a: 1\nsymbols: [BTC\xff]\n"
    p = tmp_path / "s.yaml"
    p.write_bytes(raw)
    with pytest.raises(ConfigError) as exc:
        load_yaml(p)
    offset = raw.index(b"\xff")
    assert f"byte offset {offset}" in exc.value.message and exc.value.line == 2


def test_merge_keys_and_plain_aliases_still_work(tmp_path: Path) -> None:
    p = tmp_path / "ok.yaml"
    p.write_text("base: &b {maker: 0.0002}\nfees: {<<: *b, taker: 0.0005}\n")
    assert load_yaml(p).data == {"base": {"maker": 0.0002},
                                 "fees": {"maker": 0.0002, "taker": 0.0005}}


def test_shipped_configs_pass(ats: Ats) -> None:
    out = ats("config", "check", "--dir", str(ats.cfg))
    assert out.code == 0, out.stdout
