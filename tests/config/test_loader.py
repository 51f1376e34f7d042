from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from ats.config import (
    ConfigError,
    load_adapters,
    load_enable_map,
    load_governance,
    load_symbols,
)
from ats.domain import Regime

KNOWN = {"breakout_4h", "volatility_expansion_15m", "range_reversion_5m", "funding_reversion"}


def test_shipped_governance_has_the_locked_limits(configs_copy: Path) -> None:
    g = load_governance(configs_copy / "governance.yaml").governance
    assert g.risk.base_risk_per_trade == pytest.approx(0.008)
    assert g.locks.daily_max_loss == pytest.approx(0.018)
    assert g.locks.trailing_dd_kill_switch == pytest.approx(0.035)
    assert g.locks.trailing_dd_window_hours == 72
    assert g.risk.leverage_cap == pytest.approx(3.0)
    assert g.correlation.threshold == pytest.approx(0.65)
    assert g.correlation.safe_mode_action in ("reduce", "block")


def test_governance_is_frozen(configs_copy: Path) -> None:
    g = load_governance(configs_copy / "governance.yaml").governance
    with pytest.raises(ValidationError):
        g.risk.base_risk_per_trade = 0.5  # type: ignore[misc]
    with pytest.raises(ValidationError):
        g.locks = g.locks  # type: ignore[misc]


def test_changed_on_disk_detects_edit_and_removal(configs_copy: Path) -> None:
    p = configs_copy / "governance.yaml"
    locked = load_governance(p)
    assert not locked.changed_on_disk()
    p.write_text(p.read_text().replace("0.008", "0.009"))
    assert locked.changed_on_disk()
    p.unlink()
    assert locked.changed_on_disk()


def test_risk_8_instead_of_0008_is_refused_with_line_and_field(configs_copy: Path) -> None:
    p = configs_copy / "governance.yaml"
    text = p.read_text().replace("base_risk_per_trade: 0.008", "base_risk_per_trade: 8")
    p.write_text(text)
    with pytest.raises(ConfigError) as exc:
        load_governance(p)
    err = exc.value
    assert err.field == "risk.base_risk_per_trade"
    assert err.found == "8"
    assert err.line == next(
        i for i, line in enumerate(text.splitlines(), 1) if "base_risk_per_trade" in line
    )
    assert "governance.yaml" in str(err) and "0.05" in (err.expected or "")


def test_leverage_above_three_is_refused(configs_copy: Path) -> None:
    p = configs_copy / "governance.yaml"
    p.write_text(p.read_text().replace("leverage_cap: 3.0", "leverage_cap: 5.0"))
    with pytest.raises(ConfigError, match="leverage_cap"):
        load_governance(p)


def test_bad_yaml_names_file_and_line(tmp_path: Path) -> None:
    p = tmp_path / "governance.yaml"
    p.write_text("risk:\n  base_risk_per_trade: [0.008\nlocks: {}\n")
    with pytest.raises(ConfigError) as exc:
        load_governance(p)
    assert exc.value.line is not None and exc.value.line >= 2
    assert "invalid YAML" in str(exc.value)


def test_unknown_key_is_refused(configs_copy: Path) -> None:
    p = configs_copy / "governance.yaml"
    p.write_text(p.read_text().replace("daily_max_loss:", "dialy_max_loss:"))
    with pytest.raises(ConfigError) as exc:
        load_governance(p)
    assert exc.value.field == "locks.dialy_max_loss"
    assert exc.value.message.startswith("unknown key")


def test_wrong_type_reports_expected_and_found(configs_copy: Path) -> None:
    p = configs_copy / "symbols.yaml"
    p.write_text(p.read_text().replace("poll_interval_seconds: 5", "poll_interval_seconds: soon"))
    with pytest.raises(ConfigError) as exc:
        load_symbols(p)
    assert exc.value.field == "poll_interval_seconds"
    assert exc.value.found == "'soon'"
    assert "number" in (exc.value.expected or "")


def test_empty_and_non_mapping_files(tmp_path: Path) -> None:
    p = tmp_path / "adapters.yaml"
    p.write_text("")
    with pytest.raises(ConfigError, match="empty"):
        load_adapters(p)
    p.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_adapters(p)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_symbols(tmp_path / "nope.yaml")


def test_enable_map_unknown_strategy(configs_copy: Path) -> None:
    p = configs_copy / "enable_map.yaml"
    p.write_text(p.read_text().replace("range_lowvol: [range_reversion_5m", "range_lowvol: [foo"))
    with pytest.raises(ConfigError) as exc:
        load_enable_map(p, KNOWN)
    assert exc.value.field == "regimes.range_lowvol[0]"
    assert exc.value.found == "'foo'"
    assert exc.value.line is not None


def test_enable_map_every_regime_required(configs_copy: Path) -> None:
    p = configs_copy / "enable_map.yaml"
    p.write_text(p.read_text().replace("  panic: []\n", ""))
    with pytest.raises(ConfigError, match="panic"):
        load_enable_map(p)


def test_enable_map_shipped(configs_copy: Path) -> None:
    em = load_enable_map(configs_copy / "enable_map.yaml", KNOWN)
    assert set(em.regimes) == set(Regime)
    assert em.strategies_for(Regime.PANIC) == ()
    assert em.min_bars_hold >= 1


def test_challenger_must_be_known_or_have_spec(configs_copy: Path) -> None:
    p = configs_copy / "enable_map.yaml"
    p.write_text(p.read_text().replace("challengers: []", "challengers:\n  - name: mystery\n"))
    with pytest.raises(ConfigError, match="mystery"):
        load_enable_map(p, KNOWN)
    p.write_text(
        p.read_text().replace("  - name: mystery\n", "  - name: mystery\n    spec: x.json\n")
    )
    assert load_enable_map(p, KNOWN).challengers[0].spec == "x.json"


def test_symbols_and_adapters_shipped(configs_copy: Path) -> None:
    s = load_symbols(configs_copy / "symbols.yaml")
    assert "BTC/USDT:USDT" in s.symbols_for("bingx")
    assert "EURUSD" in s.symbols_for("mt5")
    assert set(s.timeframes_for("mock")) == {"1m", "5m", "15m", "1h", "4h"}
    with pytest.raises(KeyError):
        s.symbols_for("nasdaq")
    a = load_adapters(configs_copy / "adapters.yaml")
    assert a.default == "mock" and a.bingx.sandbox is True and a.mt5.port == 18812
