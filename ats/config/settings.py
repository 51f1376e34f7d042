"""Process settings from the environment and ``.env``: mode, virtual trading, paths, secrets.

Secrets are read here and nowhere else, held as ``SecretStr`` so a log line or a repr never
shows them.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from dotenv import dotenv_values
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from ats.config.errors import ConfigError
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


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _env_error(name: str, message: str, expected: str, found: str) -> ConfigError:
    """One line naming the variable: ``VIRTUAL_EQUITY (environment or .env): ...``."""
    shown = found if len(found) <= 60 else found[:57] + "..."
    return ConfigError(f"{name} (environment or .env)", message, expected=expected,
                       found=repr(shown))


def _env_bool(name: str, value: str | None) -> bool:
    if value is None:
        return False
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise _env_error(name, "not a yes/no value", "1/0, true/false, yes/no or on/off", value)


def _env_number(name: str, value: str, *, low: float, high: float, low_open: bool) -> float:
    try:
        x = float(value.strip())
    except ValueError:
        x = math.nan
    ok = math.isfinite(x) and (x > low if low_open else x >= low) and x <= high
    if not ok:
        bound = f"{'>' if low_open else '>='} {low:g}"
        raise _env_error(name, "not a valid number", f"a finite number {bound} and <= {high:g}",
                         value)
    return x


def _env_int(name: str, value: str, *, low: int, high: int) -> int:
    try:
        x = int(value.strip())
    except ValueError:
        raise _env_error(name, "not a whole number", f"an integer from {low} to {high}",
                         value) from None
    if not low <= x <= high:
        raise _env_error(name, "out of range", f"an integer from {low} to {high}", value)
    return x


def _env_mode(value: str) -> Mode:
    try:
        return Mode(value.strip().lower())
    except ValueError:
        allowed = ", ".join(m.value for m in Mode if m is not Mode.LIVE)
        raise _env_error("MODE", "unknown trading mode", f"one of {allowed}", value) from None


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
    mode = get("MODE")
    if mode:
        kwargs["mode"] = _env_mode(mode)
    kwargs["use_virtual_trading"] = _env_bool("USE_VIRTUAL_TRADING", get("USE_VIRTUAL_TRADING"))
    # Numbers are checked here, naming the variable: a pydantic error would name a field
    # the trader never typed, and ``nan``/``inf`` would pass ``gt=0``.
    equity = get("VIRTUAL_EQUITY")
    if equity is not None:
        kwargs["virtual_equity"] = _env_number("VIRTUAL_EQUITY", equity, low=0.0, high=1e12,
                                               low_open=True)
    port = get("PROMETHEUS_PORT")
    if port is not None:
        kwargs["prometheus_port"] = _env_int("PROMETHEUS_PORT", port, low=0, high=65535)
    login = get("MT5_LOGIN")
    if login is not None:
        kwargs["mt5_login"] = _env_int("MT5_LOGIN", login, low=1, high=2**63 - 1)
    for env_name, key in (
        ("VIRTUAL_ASSET", "virtual_asset"),
        ("ATS_DB", "db_path"),
        ("ATS_METRICS_HOST", "metrics_host"),
        ("BINGX_API_KEY", "bingx_api_key"),
        ("BINGX_API_SECRET", "bingx_api_secret"),
        ("MT5_PASSWORD", "mt5_password"),
        ("MT5_SERVER", "mt5_server"),
        ("OLLAMA_HOST", "ollama_host"),
        ("OLLAMA_MODEL", "ollama_model"),
    ):
        if get(env_name) is not None:
            kwargs[key] = get(env_name)
    return Settings(**kwargs)
