"""The run scripts: a short paper run leaves logs, telemetry and its report; live refuses."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _env(tmp: Path) -> dict[str, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.update({"ATS_DB": str(tmp / "ats.db"), "PROMETHEUS_PORT": str(port), "RUN_ID": "s1",
                "ATS_CONFIG_DIR": str(REPO / "configs")})
    return env


def test_run_paper_script_writes_logs_telemetry_and_report(tmp_path: Path) -> None:
    res = subprocess.run(
        ["bash", str(REPO / "scripts" / "run_paper.sh"), "--hours", "0.002", "--speed", "600"],
        cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=180,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert (tmp_path / "logs" / "s1.log").read_text().strip()
    csv_lines = (tmp_path / "logs" / "s1.csv").read_text().splitlines()
    assert csv_lines[0].startswith("ts,run_id,cycle") and len(csv_lines) > 2
    summary = (tmp_path / "reports" / "run_s1" / "summary.md").read_text()
    assert "# Run s1" in summary and "| cycles |" in summary
    assert (tmp_path / "reports" / "run_s1" / "equity.png").exists()


def test_run_live_script_refuses(tmp_path: Path) -> None:
    res = subprocess.run(["bash", str(REPO / "scripts" / "run_live.sh")], cwd=tmp_path,
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 3
    assert "02_acceptance_checklist.md" in res.stderr


def test_run_paper_script_rejects_unknown_option(tmp_path: Path) -> None:
    res = subprocess.run(["bash", str(REPO / "scripts" / "run_paper.sh"), "--bogus"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert res.returncode == 2 and "unknown option" in res.stderr
