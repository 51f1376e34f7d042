"""Typed, frozen, strict configuration models.

Every model forbids unknown keys so a typo (``dialy_max_loss``) is an error at start-up, not
a silently ignored limit. Governance values are fractions (0.008 = 0.8 %) and are range-
checked so that "risk 8" is refused instead of risking 800 % of equity.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from ats.domain.types import TIMEFRAMES, Regime


def _not_bool(value: Any) -> Any:
    """YAML reads ``true`` as a boolean and ``"5"`` as text; pydantic would coerce both
    (``True`` to 1), so a typo would become a limit. Only YAML numbers are numbers."""
    if isinstance(value, bool):
        raise PydanticCustomError("number_not_bool", "a number, not a boolean")
    if isinstance(value, str):
        raise PydanticCustomError("number_not_text", "a number, not text (remove the quotes)")
    return value


# Where a number is expected, a boolean is refused; ``.inf``/``.nan`` are refused by
# ``allow_inf_nan=False`` on every model.
Num = Annotated[float, BeforeValidator(_not_bool)]
Int = Annotated[int, BeforeValidator(_not_bool)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


# --------------------------------------------------------------------------- governance
class RiskLimits(Strict):
    base_risk_per_trade: Num = Field(0.008, gt=0, le=0.05)
    bonus_risk_on_profit: Num = Field(0.002, ge=0, le=0.05)
    max_risk_per_trade: Num = Field(0.010, gt=0, le=0.05)
    max_portfolio_risk: Num = Field(0.030, gt=0, le=0.25)
    leverage_cap: Num = Field(3.0, gt=0, le=3.0)
    kelly_cap: bool = True
    kelly_fraction: Num = Field(0.25, gt=0, le=1.0)
    loss_streak_reduction: Num = Field(0.5, gt=0, le=1.0)
    loss_streak_trigger: Int = Field(3, ge=1, le=50)
    high_vol_reduction: Num = Field(0.7, gt=0, le=1.0)
    high_vol_quantile: Num = Field(0.9, gt=0, lt=1.0)

    @model_validator(mode="after")
    def _max_covers_base(self) -> RiskLimits:
        if self.max_risk_per_trade < self.base_risk_per_trade:
            raise ValueError("max_risk_per_trade must be >= base_risk_per_trade")
        return self


class LockLimits(Strict):
    daily_max_loss: Num = Field(0.018, gt=0, le=0.2)
    trailing_dd_kill_switch: Num = Field(0.035, gt=0, le=0.5)
    trailing_dd_window_hours: Int = Field(72, ge=1, le=24 * 30)


class CorrelationLimits(Strict):
    threshold: Num = Field(0.65, gt=0, le=1.0)
    window_bars: Int = Field(100, ge=10, le=10_000)
    safe_mode_action: Literal["reduce", "block"] = "reduce"


class ExecutionLimits(Strict):
    max_child_share_of_depth: Num = Field(0.25, gt=0, le=1.0)
    max_child_notional: Num = Field(250_000.0, gt=0)
    max_slippage_bps: Num = Field(50.0, gt=0, le=1000)


class Governance(Strict):
    """The locked limits. Frozen: assigning to any field raises."""

    version: Int = 1
    risk: RiskLimits = RiskLimits()
    locks: LockLimits = LockLimits()
    correlation: CorrelationLimits = CorrelationLimits()
    execution: ExecutionLimits = ExecutionLimits()


# --------------------------------------------------------------------------- enable map
class Challenger(Strict):
    """A strategy promoted by the research lab; it runs in shadow only."""

    name: str
    spec: str | None = None  # path of its DSL document (relative to the configs dir)
    regimes: tuple[Regime, ...] = tuple(Regime)
    promoted_at: str | None = None
    source_run: str | None = None


class EnableMap(Strict):
    min_bars_hold: Int = Field(3, ge=1, le=500)
    cooldown_after_2_losses: bool = True
    cooldown_bars: Int = Field(6, ge=0, le=10_000)
    regimes: dict[Regime, tuple[str, ...]]
    challengers: tuple[Challenger, ...] = ()

    @model_validator(mode="after")
    def _every_regime(self) -> EnableMap:
        missing = [r.value for r in Regime if r not in self.regimes]
        if missing:
            raise ValueError(f"regimes missing: {', '.join(missing)}")
        return self

    def strategies_for(self, regime: Regime) -> tuple[str, ...]:
        return self.regimes.get(regime, ())

    def all_strategies(self) -> set[str]:
        return {s for names in self.regimes.values() for s in names}


# --------------------------------------------------------------------------- symbols
Timeframe = Literal["1m", "5m", "15m", "30m", "1h", "4h", "1d"]


class AdapterSymbols(Strict):
    symbols: tuple[str, ...] = Field(min_length=1)
    timeframes: tuple[Timeframe, ...] | None = None


class InstrumentCurrencies(Strict):
    """What an instrument is expected to be denominated in (the venue's word wins)."""

    quote: str = Field(min_length=3, max_length=8, pattern=r"^[A-Z]+$")
    margin: str = Field(min_length=3, max_length=8, pattern=r"^[A-Z]+$")


class SymbolsConfig(Strict):
    timeframes: tuple[Timeframe, ...] = ("1m", "5m", "15m", "1h", "4h")
    poll_interval_seconds: Num = Field(5.0, gt=0, le=3600)
    backfill_bars: Int = Field(2000, ge=1, le=1_000_000)
    adapters: dict[str, AdapterSymbols]
    # Quote (PnL) and margin currency per symbol; checked against the venue's spec at start.
    instruments: dict[str, InstrumentCurrencies] = Field(default_factory=dict)

    def symbols_for(self, adapter: str) -> tuple[str, ...]:
        if adapter not in self.adapters:
            raise KeyError(f"symbols.yaml has no section for adapter {adapter!r}")
        return self.adapters[adapter].symbols

    def timeframes_for(self, adapter: str) -> tuple[str, ...]:
        a = self.adapters.get(adapter)
        return tuple(a.timeframes) if a and a.timeframes else tuple(self.timeframes)


assert set(Timeframe.__args__) <= set(TIMEFRAMES)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- adapters
class Fees(Strict):
    maker: Num = Field(0.0002, ge=-0.01, le=0.01)
    taker: Num = Field(0.0005, ge=0, le=0.01)


AssetClass = Literal["crypto_perp", "crypto_spot", "fx", "metal", "index"]


class MockAdapterConfig(Strict):
    seed: Int = 42
    speed: Num = Field(60.0, gt=0)
    start: str = "2026-01-05T00:00:00Z"
    correlation: Num = Field(0.3, ge=-1, le=1)
    fees: Fees = Fees()
    # The mock lists crypto perpetuals next to FX and metals; each pays what its own kind of
    # venue charges (a crypto exchange's taker fee is ~7x an FX ECN commission).
    fees_by_class: dict[AssetClass, Fees] = Field(default_factory=dict)


class BingxAdapterConfig(Strict):
    sandbox: bool = True
    default_type: Literal["swap"] = "swap"
    timeout_ms: Int = Field(10_000, ge=100)
    base_url: str | None = None
    fees: Fees = Fees()
    # one_way | hedge: set at start when the account is flat; keep: use the account's mode
    position_mode: Literal["one_way", "hedge", "keep"] = "one_way"


class Mt5AdapterConfig(Strict):
    mode: Literal["native", "bridge"] = "bridge"
    host: str = "127.0.0.1"
    port: Int = Field(18812, ge=1, le=65535)
    timeout_seconds: Num = Field(30.0, gt=0)
    server_utc_offset_hours: Num | None = None
    fees: Fees = Fees(maker=0.0, taker=0.00007)


class PaperConfig(Strict):
    slippage_bps_base: Num = Field(1.0, ge=0)
    depth_impact_bps: Num = Field(10.0, ge=0)
    vol_impact: Num = Field(0.1, ge=0)


class AdaptersConfig(Strict):
    default: Literal["mock", "mt5", "bingx"] = "mock"
    mock: MockAdapterConfig = MockAdapterConfig()
    bingx: BingxAdapterConfig = BingxAdapterConfig()
    mt5: Mt5AdapterConfig = Mt5AdapterConfig()
    paper: PaperConfig = PaperConfig()
