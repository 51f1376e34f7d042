from __future__ import annotations

from pathlib import Path

import pytest

from ats.config import LiveTradingRefused, load_settings, refuse_live
from ats.domain import Mode


def test_defaults_are_paper(tmp_path: Path) -> None:
    s = load_settings(env={}, dotenv_path=tmp_path / ".env")
    assert s.mode is Mode.PAPER
    assert s.effective_virtual_asset is None


def test_virtual_trading_from_env() -> None:
    s = load_settings(
        env={"USE_VIRTUAL_TRADING": "true", "VIRTUAL_EQUITY": "2500", "VIRTUAL_ASSET": "VUSDT"},
        dotenv_path=None,
    )
    assert s.use_virtual_trading and s.virtual_equity == 2500.0
    assert s.effective_virtual_asset == "VUSDT"
    assert load_settings(env={"MODE": "vst"}, dotenv_path=None).effective_virtual_asset == "VST"


@pytest.mark.parametrize("value", ["live", "LIVE", " Live "])
def test_mode_live_env_refused(value: str) -> None:
    with pytest.raises(LiveTradingRefused, match="02_acceptance_checklist"):
        load_settings(env={"MODE": value}, dotenv_path=None)


def test_dotenv_is_read_and_env_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("BINGX_API_KEY=from-dotenv\nVIRTUAL_EQUITY=1000\nMODE=live\n")
    with pytest.raises(LiveTradingRefused):
        load_settings(env={}, dotenv_path=env_file)
    s = load_settings(env={"MODE": "paper", "VIRTUAL_EQUITY": "42"}, dotenv_path=env_file)
    assert s.virtual_equity == 42.0
    assert s.bingx_api_key is not None
    assert s.bingx_api_key.get_secret_value() == "from-dotenv"
    assert "from-dotenv" not in repr(s) and "from-dotenv" not in str(s.model_dump())


def test_refuse_live_only_refuses_live() -> None:
    refuse_live("paper", "x")
    refuse_live(None, "x")
    refuse_live(Mode.VST, "x")
    with pytest.raises(LiveTradingRefused, match="--mode live"):
        refuse_live(Mode.LIVE, "--mode live")
