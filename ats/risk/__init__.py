"""Risk engine: how much of the account one trade may lose, and the size that follows.

Imports only ``ats.domain`` and ``ats.config``: the engine knows nothing of brokers or
storage, so the backtester, the brain and the tests size positions the same way.
"""

from ats.risk.engine import RiskBudget, RiskEngine
from ats.risk.plan import TradePlan
from ats.risk.settings import RiskSettings, RiskState
from ats.risk.sizing import SizingResult, floor_to_step, kelly_risk_cap, round_stop

__all__ = [
    "RiskBudget",
    "RiskEngine",
    "RiskSettings",
    "RiskState",
    "SizingResult",
    "TradePlan",
    "floor_to_step",
    "kelly_risk_cap",
    "round_stop",
]
