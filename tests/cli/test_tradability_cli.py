"""``ats config check`` warns where the account cannot trade an instrument at its risk."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from ats.cli.main import main
from ats.cli.tradability import check_tradability
from ats.config import load_adapters, load_governance, load_symbols


def test_the_specs_300_dollar_account_is_warned(configs_copy: Path) -> None:
    res = CliRunner().invoke(main, ["config", "check", "--dir", str(configs_copy),
                                    "--equity", "300"])
    assert res.exit_code == 0, res.output  # a warning, not a failure
    out = " ".join(res.output.split())
    assert "WARN mock XAUUSD 4h" in out and "minimum lot" in out
    assert "cannot be traded at this equity" in out


def test_a_large_account_can_trade_everything(configs_copy: Path) -> None:
    res = CliRunner().invoke(main, ["config", "check", "--dir", str(configs_copy),
                                    "--equity", "1000000"])
    assert res.exit_code == 0, res.output
    assert "WARN" not in res.output and "can be traded" in " ".join(res.output.split())


def test_usdjpy_minimum_is_counted_in_dollars(configs_copy: Path) -> None:
    rows = check_tradability(load_symbols(configs_copy / "symbols.yaml"),
                             load_adapters(configs_copy / "adapters.yaml"),
                             load_governance(configs_copy / "governance.yaml").governance,
                             10_000.0)
    jpy = {r.timeframe: r for r in rows if r.symbol == "USDJPY"}
    assert jpy and all(r.ok for r in jpy.values())
    # 4h: 1.2 x ATR ~ 0.52 JPY + costs ~ 0.24 JPY per unit, x 1,000 units / 150 ~ 5 USD;
    # counted as dollars it would have been ~ 760 and "untradable" on any small account.
    assert 2.0 < jpy["4h"].min_lot_risk < 10.0
