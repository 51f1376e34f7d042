"""Process settings from the environment and ``.env``: mode, virtual trading, paths, secrets.

Secrets are read here and nowhere else, held as ``SecretStr`` so a log line or a repr never
shows them.
"""

from __future__ import annotations

import os
from pathlib import Path

from dotenv import dotenv_values
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from ats.domain.types import Mode

ACCEPTANCE_CHECKLIST = "reports/02_acceptance_checklist.md"


class LiveTradingRefused(Exception):
    """Live trading was requested; it is refused until acceptance passes."""

    def __init__(self, source: str) -> None:
        super().__init__(
            f"live trading refused (requested by {source}): ATS trades live only after every "
            f"item of {ACCEPTANCE_CHECKLIST} passes, and no flag bypasses that. "
            "Use --paper (default), --mode vst or --mode demo."
        )


def refuse_live(mode: str | Mode | None, source: str) -> None:
    """Raise ``LiveTradingRefused`` if ``mode`` is live — the one gate every entry point uses."""
    if mode is not None and str(mode).strip().lower() == Mode.LIVE.value:
        raise LiveTradingRefused(source)


def _truthy(value: str | None) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    mode: Mode = Mode.PAPER
    use_virtual_trading: bool = False
    virtual_asset: str = "VST"
    virtual_equity: float = Field(10_000.0, gt=0)
    db_path: Path = Path("data/ats.db")
    prometheus_port: int = 9464
    metrics_host: str = "127.0.0.1"
    bingx_api_key: SecretStr | None = None
    bingx_api_secret: SecretStr | None = None
    mt5_login: int | None = None
    mt5_password: SecretStr | None = None
    mt5_server: str | None = None
    ollama_host: str = "http://127.0.0.1:11434"
    ollama_model: str = "llama3.1"

    @property
    def effective_virtual_asset(self) -> str | None:
        """The tag written on orders, positions and fills when trading virtual money."""
        if self.use_virtual_trading or self.mode == Mode.VST:
            return self.virtual_asset
        return None


def load_settings(
    env: dict[str, str] | None = None, dotenv_path: Path | str | None = ".env"
) -> Settings:
    """Merge ``.env`` (lower priority) and the environment; refuse ``MODE=live``."""
    merged: dict[str, str] = {}
    if dotenv_path is not None and Path(dotenv_path).is_file():
        merged.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
    merged.update(os.environ if env is None else env)
    refuse_live(merged.get("MODE"), "the MODE environment variable")

    def get(name: str) -> str | None:
        v = merged.get(name)
        return v if v not in (None, "") else None

    kwargs: dict[str, object] = {}
    if get("MODE"):
        kwargs["mode"] = Mode(get("MODE").lower())  # type: ignore[union-attr]
    kwargs["use_virtual_trading"] = _truthy(get("USE_VIRTUAL_TRADING"))
    for env_name, key in (
        ("VIRTUAL_ASSET", "virtual_asset"),
        ("VIRTUAL_EQUITY", "virtual_equity"),
        ("ATS_DB", "db_path"),
        ("PROMETHEUS_PORT", "prometheus_port"),
        ("ATS_METRICS_HOST", "metrics_host"),
        ("BINGX_API_KEY", "bingx_api_key"),
        ("BINGX_API_SECRET", "bingx_api_secret"),
        ("MT5_LOGIN", "mt5_login"),
        ("MT5_PASSWORD", "mt5_password"),
        ("MT5_SERVER", "mt5_server"),
        ("OLLAMA_HOST", "ollama_host"),
        ("OLLAMA_MODEL", "ollama_model"),
    ):
        if get(env_name) is not None:
            kwargs[key] = get(env_name)
    return Settings(**kwargs)
