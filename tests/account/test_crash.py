"""Bounded crash trials and a short fault soak, through the scripts a user runs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.account.helpers import REPO, env


@pytest.mark.slow
def test_kill_9_at_random_moments_loses_nothing() -> None:
    res = subprocess.run([sys.executable, str(REPO / "scripts" / "crash_trials.py"),
                          "--trials", "2", "--speed", "20000", "--seed", "3"],
                         capture_output=True, text=True, env=env(), timeout=240, check=False)
    out = " ".join(res.stdout.split())
    assert res.returncode == 0, res.stdout + res.stderr
    assert "2/2 trials" in out and "fills lost 0, duplicated 0" in out


@pytest.mark.slow
def test_short_fault_soak_ends_with_zero_breaches() -> None:
    res = subprocess.run([sys.executable, str(REPO / "scripts" / "soak.py"), "--sim-days",
                          "0.25", "--faults", "--busy-holds", "0", "--seed", "5"],
                         capture_output=True, text=True, env=env(), timeout=240, check=False)
    out = " ".join(res.stdout.split())
    assert res.returncode == 0, res.stdout + res.stderr
    assert "invariant breaches (ats audit) │ 0" in out and "fills lost / duplicated │ 0 / 0" in out
