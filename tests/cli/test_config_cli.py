from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from ats.cli.main import main


def test_help_lists_commands() -> None:
    res = CliRunner().invoke(main, ["--help"])
    assert res.exit_code == 0
    assert "config" in res.output


def test_config_check_shipped_passes(configs_copy: Path) -> None:
    res = CliRunner().invoke(main, ["config", "check", "--dir", str(configs_copy)])
    assert res.exit_code == 0, res.output
    assert "governance.yaml" in res.output and "valid" in res.output


def test_config_check_broken_file_fails_and_names_it(configs_copy: Path) -> None:
    p = configs_copy / "governance.yaml"
    p.write_text(p.read_text().replace("base_risk_per_trade: 0.008", "base_risk_per_trade: 8"))
    res = CliRunner().invoke(main, ["config", "check", "--dir", str(configs_copy)])
    assert res.exit_code == 2
    out = " ".join(res.output.split())
    assert "FAIL" in out and "base_risk_per_trade" in out


def test_config_check_in_russian(configs_copy: Path) -> None:
    res = CliRunner().invoke(main, ["--lang", "ru", "config", "check", "--dir", str(configs_copy)])
    assert res.exit_code == 0, res.output
    assert "Проверка конфигурации" in res.output
