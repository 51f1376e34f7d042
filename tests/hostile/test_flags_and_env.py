"""Hostile flags and environment variables: every number finite and in range, names safe,
timeframes and symbols known, live refused with 3 — one line each, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Ats, check_one_line

RUN = ("run", "--max-cycles", "1")
SYNC = ("sync", "--once")

# (args after the command, words the line must contain)
RUN_FLAGS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "speed_nan": (("--speed", "nan"), ("--speed", "finite")),
    "speed_inf": (("--speed", "inf"), ("--speed", "finite")),
    "speed_minus_inf": (("--speed", "-inf"), ("--speed", "finite")),
    "speed_zero": (("--speed", "0"), ("--speed", "> 0")),
    "speed_negative": (("--speed", "-3"), ("--speed", "> 0")),
    "speed_text": (("--speed", "fast"), ("--speed",)),
    "speed_huge": (("--speed", "1e308"), ("--speed", "<= 1e+06")),
    "seed_negative": (("--seed", "-1"), ("--seed",)),
    "max_seconds_nan": (("--max-seconds", "nan"), ("--max-seconds", "finite")),
    "max_seconds_inf": (("--max-seconds", "inf"), ("--max-seconds", "finite")),
    "max_seconds_zero": (("--max-seconds", "0"), ("--max-seconds",)),
    "max_seconds_negative": (("--max-seconds", "-1"), ("--max-seconds",)),
    "max_cycles_zero": (("--max-cycles", "0"), ("--max-cycles",)),
    "timeframe_7m": (("--timeframes", "7m"), ("--timeframes", "7m", "1m, 5m")),
    "timeframe_mixed": (("--timeframes", "1m,7m"), ("--timeframes", "7m")),
    "timeframe_empty": (("--timeframes", ",,"), ("--timeframes",)),
    "run_id_traversal": (("--run-id", "../../x"), ("--run-id", "not a safe run id")),
    "run_id_slash": (("--run-id", "a/b"), ("--run-id", "not a safe run id")),
    "run_id_dotdot": (("--run-id", ".."), ("--run-id", "not a safe run id")),
    "run_id_hidden": (("--run-id", ".hidden"), ("--run-id", "not a safe run id")),
    "run_id_space": (("--run-id", "my run"), ("--run-id", "not a safe run id")),
    "run_id_too_long": (("--run-id", "x" * 65), ("--run-id", "not a safe run id")),
    "run_id_empty": (("--run-id", ""), ("--run-id", "not a safe run id")),
    "run_id_backslash": (("--run-id", "a\\b"), ("--run-id", "not a safe run id")),
    "metrics_port_range": (("--metrics-port", "70000"), ("--metrics-port",)),
    "metrics_port_text": (("--metrics-port", "abc"), ("--metrics-port",)),
    "adapter_unknown": (("--adapter", "kraken"), ("--adapter",)),
    "mode_unknown": (("--mode", "yolo"), ("--mode",)),
}


@pytest.mark.parametrize("case", sorted(RUN_FLAGS))
def test_run_flag_refused(case: str, ats: Ats) -> None:
    args, needles = RUN_FLAGS[case]
    out = ats(*RUN, "--db", str(ats.db), "--config-dir", str(ats.cfg), *args)
    check_one_line(out, 2, *needles)


SYNC_FLAGS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "speed_minus_one": (("--speed", "-1"), ("--speed", "> 0")),
    "speed_nan": (("--speed", "nan"), ("--speed", "finite")),
    "speed_inf": (("--speed", "inf"), ("--speed", "finite")),
    "speed_huge": (("--speed", "1e308"), ("--speed", "<= 1e+06")),
    "seed_negative": (("--seed", "-5"), ("--seed",)),
    "timeframe_7m": (("--timeframes", "7m"), ("--timeframes", "7m")),
    "batch_zero": (("--batch-size", "0"), ("--batch-size",)),
    "max_polls_negative": (("--max-polls", "-1"), ("--max-polls",)),
    "since_garbage": (("--since", "yesterday-ish"), ("--since",)),
    "unknown_symbol": (("--symbols", "NOPE/XYZ"), ("NOPE/XYZ", "mock")),
    "one_unknown_symbol": (("--symbols", "EURUSD,NOPE/XYZ"), ("NOPE/XYZ",)),
    "adapter_unknown": (("--adapter", "kraken"), ("kraken",)),
}


@pytest.mark.parametrize("case", sorted(SYNC_FLAGS))
def test_sync_flag_refused(case: str, ats: Ats) -> None:
    args, needles = SYNC_FLAGS[case]
    out = ats(*SYNC, "--db", str(ats.db), "--config-dir", str(ats.cfg), *args)
    check_one_line(out, 2, *needles)


def test_unknown_symbol_on_the_mock_stores_nothing(ats: Ats, tmp_path: Path) -> None:
    """The issue's example: 2,000 invented bars and an instrument "NOPE/XYZ" were stored."""
    fresh = tmp_path / "fresh.db"
    out = ats("sync", "--once", "--symbols", "NOPE/XYZ", "--db", str(fresh),
              "--config-dir", str(ats.cfg))
    check_one_line(out, 2, "NOPE/XYZ")
    assert not fresh.exists()


OTHER_FLAGS: dict[str, tuple[tuple[str, ...], int, tuple[str, ...]]] = {
    "report_traversal": (("report", "../../x"), 2, ("RUN_ID", "not a safe run id")),
    "report_absolute": (("report", "/etc/x"), 2, ("RUN_ID", "not a safe run id")),
    "tui_speed_nan": (("tui", "--speed", "nan"), 2, ("--speed", "finite")),
    "tui_speed_zero": (("tui", "--speed", "0"), 2, ("--speed",)),
    "cleanup_bad_age": (("db", "cleanup", "--older-than", "soon"), 2, ("soon",)),
    "search_limit_zero": (("search", "x", "--limit", "0"), 2, ("--limit",)),
    "unlock_nothing": (("unlock", "--reason", "because"), 2, ()),
    "unlock_blank_reason": (("unlock", "--kill-switch", "--reason", "  "), 2, ()),
    "research_run_traversal": (("research", "generate", "--run", "../x"), 2, ("--run",)),
    "research_count_zero": (("research", "generate", "-n", "0"), 2, ("--count",)),
    "unknown_command": (("frobnicate",), 2, ("frobnicate",)),
    "unknown_option": (("run", "--warp", "9"), 2, ("--warp",)),
}


@pytest.mark.parametrize("case", sorted(OTHER_FLAGS))
def test_other_commands_refuse(case: str, ats: Ats) -> None:
    args, code, needles = OTHER_FLAGS[case]
    db_flag = ["--db", str(ats.db)] if args[0] in ("db", "search", "unlock", "report") else []
    out = ats(*args, *db_flag)
    check_one_line(out, code, *needles)


# -------------------------------------------------------------------------- environment
ENV_CASES: dict[str, tuple[dict[str, str], int, tuple[str, ...]]] = {
    "mode_foo": ({"MODE": "foo"}, 2, ("MODE", "foo")),
    "mode_live": ({"MODE": "live"}, 3, ("live", "MODE")),
    "mode_live_caps": ({"MODE": " LIVE "}, 3, ("live",)),
    "equity_abc": ({"VIRTUAL_EQUITY": "abc"}, 2, ("VIRTUAL_EQUITY", "abc")),
    "equity_negative": ({"VIRTUAL_EQUITY": "-5"}, 2, ("VIRTUAL_EQUITY", "-5")),
    "equity_zero": ({"VIRTUAL_EQUITY": "0"}, 2, ("VIRTUAL_EQUITY",)),
    "equity_nan": ({"VIRTUAL_EQUITY": "nan"}, 2, ("VIRTUAL_EQUITY", "nan")),
    "equity_inf": ({"VIRTUAL_EQUITY": "inf"}, 2, ("VIRTUAL_EQUITY", "inf")),
    "port_abc": ({"PROMETHEUS_PORT": "abc"}, 2, ("PROMETHEUS_PORT", "abc")),
    "port_range": ({"PROMETHEUS_PORT": "70000"}, 2, ("PROMETHEUS_PORT",)),
    "port_negative": ({"PROMETHEUS_PORT": "-1"}, 2, ("PROMETHEUS_PORT",)),
    "virtual_maybe": ({"USE_VIRTUAL_TRADING": "maybe"}, 2, ("USE_VIRTUAL_TRADING",)),
    "mt5_login_text": ({"MT5_LOGIN": "admin"}, 2, ("MT5_LOGIN",)),
}


@pytest.mark.parametrize("command", ["run", "sync"])
@pytest.mark.parametrize("case", sorted(ENV_CASES))
def test_environment_refused(case: str, command: str, ats: Ats) -> None:
    env, code, needles = ENV_CASES[case]
    args = RUN if command == "run" else SYNC
    out = ats(*args, "--db", str(ats.db), "--config-dir", str(ats.cfg), env=env)
    check_one_line(out, code, *needles)


LIVE_FLAGS = {
    "run_mode_live": ("run", "--mode", "live"),
    "run_live_flag": ("run", "--live"),
    "run_paper_and_live": ("run", "--paper", "--mode", "live"),
    "sync_mode_live": ("sync", "--once", "--mode", "live"),
    "sync_live_flag": ("sync", "--once", "--live"),
    "tui_live": ("tui", "--live"),
}


@pytest.mark.parametrize("case", sorted(LIVE_FLAGS))
def test_every_live_request_exits_3(case: str, ats: Ats) -> None:
    out = ats(*LIVE_FLAGS[case], "--db", str(ats.db), "--config-dir", str(ats.cfg))
    check_one_line(out, 3, "live trading refused")


def test_vst_on_the_live_exchange_is_refused(ats: Ats) -> None:
    p = ats.cfg / "adapters.yaml"
    p.write_text(p.read_text().replace("sandbox: true", "sandbox: false"))
    env = {"BINGX_API_KEY": "k", "BINGX_API_SECRET": "s"}
    for args in (("run", "--mode", "vst", "--max-cycles", "1"),
                 ("sync", "--once", "--mode", "vst", "--adapter", "bingx")):
        out = ats(*args, "--db", str(ats.db), "--config-dir", str(ats.cfg), env=env)
        check_one_line(out, 3, "sandbox")


def test_report_cannot_write_outside_reports(ats: Ats, tmp_path: Path) -> None:
    from ats.monitor.report import ReportError, write_report
    from storage.dao import PersistDAO

    with PersistDAO(ats.db, readonly=True) as dao:
        for bad in ("../../x", "a/../../b", "/tmp/x"):
            with pytest.raises((ReportError, ValueError)):
                write_report(dao, bad, tmp_path / "reports")
    assert not (tmp_path / "x").exists() and not (tmp_path / "b").exists()
    out = ats("report", "seed-run", "--db", str(ats.db), "--out", str(tmp_path / "reports"))
    assert out.code == 0, out.stderr
    assert (tmp_path / "reports" / "run_seed-run" / "summary.md").exists()
