"""Suite-wide isolation: no user config, no real .env, a fixed language."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CONFIGS = REPO / "configs"


@pytest.fixture(autouse=True)
def _isolate_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MODE", "ATS_LANG", "USE_VIRTUAL_TRADING", "ATS_CONFIG_DIR", "ATS_DB"):
        monkeypatch.delenv(name, raising=False)
    # Metrics are on by default at PROMETHEUS_PORT (9464): tests take any free port instead,
    # so parallel runs and a trader's running desk never collide (subprocesses inherit it).
    monkeypatch.setenv("PROMETHEUS_PORT", "0")
    from ats import i18n

    i18n.set_language("en")


@pytest.fixture
def configs_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped configs a test may break or edit."""
    import shutil

    dst = tmp_path / "configs"
    shutil.copytree(CONFIGS, dst, ignore=shutil.ignore_patterns("local"))  # no local layer
    return dst
