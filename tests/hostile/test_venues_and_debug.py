"""Unreachable venues, refused credentials, IPv6 metrics, `--debug` and `.env` — in-process
(click's runner) where that is faithful."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .conftest import Ats, check_one_line, free_port


def test_dead_mt5_bridge(ats: Ats) -> None:
    p = ats.cfg / "adapters.yaml"
    p.write_text(p.read_text().replace("port: 18812", f"port: {free_port()}")
                 .replace("timeout_seconds: 30", "timeout_seconds: 2"))
    for args in (("sync", "--once"), ("run", "--max-cycles", "1", "--no-metrics")):
        out = ats(*args, "--adapter", "mt5", "--db", str(ats.db), "--config-dir", str(ats.cfg))
        check_one_line(out, 1, "mt5", "bridge")


def test_dead_bingx(ats: Ats) -> None:
    p = ats.cfg / "adapters.yaml"
    p.write_text(p.read_text().replace("base_url: null",
                                       f"base_url: http://127.0.0.1:{free_port()}/openApi")
                 .replace("timeout_ms: 10000", "timeout_ms: 1000"))
    out = ats("sync", "--once", "--adapter", "bingx", "--db", str(ats.db), "--config-dir",
              str(ats.cfg))
    assert out.code == 1 and "Traceback" not in out.stderr
    errors = [ln for ln in out.lines if ln.startswith("Error:")]
    # Retries are announced while they happen (one warning line each); one error line.
    assert len(errors) == 1 and "bingx" in errors[0].lower(), out.stderr
    assert all(ln.startswith("warning: retrying") for ln in out.lines if ln not in errors)


def test_bingx_sync_auth_failure(ats: Ats, fake_bingx: str) -> None:
    """The refusal is recorded in sync_logs (the sync's audit trail); no bar is stored."""
    p = ats.cfg / "adapters.yaml"
    p.write_text(p.read_text().replace("base_url: null", f"base_url: {fake_bingx}"))
    fresh = ats.cwd / "vst.db"
    out = ats("sync", "--once", "--mode", "vst", "--adapter", "bingx", "--db", str(fresh),
              "--config-dir", str(ats.cfg),
              env={"BINGX_API_KEY": "wrong-key", "BINGX_API_SECRET": "wrong-secret"})
    check_one_line(out, 1, "credentials")
    assert "wrong-secret" not in out.stderr + out.stdout
    conn = sqlite3.connect(f"file:{fresh}?mode=ro", uri=True)
    try:
        assert conn.execute("SELECT count(*) FROM bars").fetchone()[0] == 0
    finally:
        conn.close()


def test_metrics_on_ipv6_any_works_or_says_why(ats: Ats) -> None:
    out = ats("run", "--max-cycles", "1", "--speed", "6000", "--metrics-host", "::",
              "--metrics-port", "0", "--db", str(ats.cwd / "m.db"), "--config-dir",
              str(ats.cfg))
    assert "Traceback" not in out.stderr
    if out.code == 0:
        assert "Address family" not in out.stderr
        # the bind warning; the run may also warn about its own pace ("clock slowed") on a
        # loaded machine, but nothing on stderr is an error
        assert any(ln.startswith("warning: metrics exporter bound to ::") for ln in out.lines)
        assert all(ln.startswith("warning: ") for ln in out.lines), out.stderr
    else:  # a machine without IPv6: one line naming the flag
        check_one_line(out, 2, "--metrics-host")


def test_metrics_host_that_does_not_resolve(ats: Ats) -> None:
    out = ats("run", "--max-cycles", "1", "--metrics-host", "no-such-host.invalid",
              "--metrics-port", "0", "--db", str(ats.db), "--config-dir", str(ats.cfg))
    assert out.code == 2 and "Traceback" not in out.stderr
    errors = [ln for ln in out.lines if ln.startswith("Error:")]
    assert len(errors) == 1 and "--metrics-host" in errors[0]


def test_debug_shows_the_traceback(ats: Ats) -> None:
    (ats.cfg / "governance.yaml").write_text("risk: [1, 2\n")
    args = ("run", "--max-cycles", "1", "--db", str(ats.db), "--config-dir", str(ats.cfg))
    check_one_line(ats(*args), 2, "governance.yaml:2", "invalid YAML")
    debug = ats("--debug", *args)
    assert debug.code == 2 and "Traceback" in debug.stderr and "ConfigError" in debug.stderr
    # ... and only for that call.
    check_one_line(ats(*args), 2, "governance.yaml")


def test_dotenv_values_are_checked_too(ats: Ats) -> None:
    (ats.cwd / ".env").write_text("VIRTUAL_EQUITY=-5\n")
    out = ats("run", "--max-cycles", "1", "--db", str(ats.db), "--config-dir", str(ats.cfg))
    check_one_line(out, 2, "VIRTUAL_EQUITY", ".env")


def test_unexpected_error_is_one_line_with_debug_hint(ats: Ats, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import ats.cli.db_cmd as db_cmd

    def boom(*_a: object, **_k: object) -> None:
        raise TypeError("something nobody expected")

    monkeypatch.setattr(db_cmd, "stats", boom)
    out = ats("db", "stats", "--db", str(ats.db))
    check_one_line(out, 1, "TypeError", "something nobody expected", "--debug")


def test_exit_codes_are_documented(ats: Ats) -> None:
    from ats.cli.errors import EXIT_CODES

    out = ats("--help")
    assert out.code == 0
    text = " ".join(out.stdout.split())
    assert "Exit codes" in text and "3 live trading refused" in text
    assert set(EXIT_CODES) >= {0, 1, 2, 3, 4}


def test_ok_run_path_still_works(ats: Ats, tmp_path: Path) -> None:
    fresh = tmp_path / "ok.db"
    out = ats("run", "--max-cycles", "2", "--speed", "6000", "--no-metrics", "--db", str(fresh),
              "--config-dir", str(ats.cfg), "--run-id", "ok-run")
    assert out.code == 0, out.stderr
    assert "Traceback" not in out.stderr


def test_symbol_unknown_to_bingx_is_refused(ats: Ats, fake_bingx: str) -> None:
    p = ats.cfg / "adapters.yaml"
    p.write_text(p.read_text().replace("base_url: null", f"base_url: {fake_bingx}"))
    out = ats("sync", "--once", "--adapter", "bingx", "--symbols", "NOPE/USDT:USDT",
              "--timeframes", "1h", "--db", str(ats.db), "--config-dir", str(ats.cfg))
    check_one_line(out, 2, "NOPE/USDT:USDT")
