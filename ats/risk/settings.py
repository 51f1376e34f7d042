"""The risk engine's inputs: locked limits and the account picture at decision time.

Both are frozen so a sizing decision can be journaled and replayed exactly: the same
settings and state always produce the same size. All percentages are fractions of equity
(0.008 = 0.8 %), matching ``configs/governance.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ats.config.models import Governance


@dataclass(frozen=True, slots=True)
class RiskSettings:
    """A flat copy of the governance limits the engine needs.

    Copied rather than referencing ``Governance`` so the engine can be tested with any
    combination of numbers without building a whole validated config.
    """

    base_risk_per_trade: float = 0.008
    bonus_risk_on_profit: float = 0.002
    max_risk_per_trade: float = 0.010
    max_portfolio_risk: float = 0.030
    leverage_cap: float = 3.0
    kelly_cap: bool = True
    kelly_fraction: float = 0.25
    loss_streak_reduction: float = 0.5
    loss_streak_trigger: int = 3
    high_vol_reduction: float = 0.7
    high_vol_quantile: float = 0.9
    daily_max_loss: float = 0.018
    kill_switch_dd: float = 0.035

    @classmethod
    def from_governance(cls, gov: Governance) -> RiskSettings:
        r, locks = gov.risk, gov.locks
        return cls(
            base_risk_per_trade=r.base_risk_per_trade,
            bonus_risk_on_profit=r.bonus_risk_on_profit,
            max_risk_per_trade=r.max_risk_per_trade,
            max_portfolio_risk=r.max_portfolio_risk,
            leverage_cap=r.leverage_cap,
            kelly_cap=r.kelly_cap,
            kelly_fraction=r.kelly_fraction,
            loss_streak_reduction=r.loss_streak_reduction,
            loss_streak_trigger=r.loss_streak_trigger,
            high_vol_reduction=r.high_vol_reduction,
            high_vol_quantile=r.high_vol_quantile,
            daily_max_loss=locks.daily_max_loss,
            kill_switch_dd=locks.trailing_dd_kill_switch,
        )


@dataclass(frozen=True, slots=True)
class RiskState:
    """The account as the risk engine sees it when sizing one trade.

    ``daily_pnl_pct`` and ``trailing_dd_pct`` are fractions with losses negative
    (``trailing_dd_pct`` is always <= 0). ``open_risk_pct`` is what open positions and
    pending plans would lose at their stops. ``risk_cap_pct`` is the portfolio cap after a
    safe-mode cut; ``None`` means "no cut": the settings' ``max_portfolio_risk``.
    """

    equity: float
    daily_pnl_pct: float = 0.0
    trailing_dd_pct: float = 0.0
    open_risk_pct: float = 0.0
    loss_streak: int = 0
    vol_quantile: float | None = None
    risk_cap_pct: float | None = None

    def cap(self, settings: RiskSettings) -> float:
        """The effective portfolio cap: never above the governance maximum."""
        if self.risk_cap_pct is None:
            return settings.max_portfolio_risk
        return min(self.risk_cap_pct, settings.max_portfolio_risk)
