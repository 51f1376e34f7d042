"""Portfolio controller: positions, equity, drawdown, correlation safe mode, risk room.

Imports only ``ats.domain``, ``ats.config`` and ``ats.risk`` (plus numpy); the brain feeds
it fills and prices and persists what it emits.
"""

from ats.portfolio.controller import PortfolioController
from ats.portfolio.correlation import max_abs_correlation, safe_mode_cap
from ats.portfolio.drawdown import DailyBaseline, TrailingPeak
from ats.portfolio.ledger import Ledger
from ats.portfolio.types import AllocationDecision, ClosedTrade, EquitySnapshot
from ats.risk.plan import TradePlan

__all__ = [
    "AllocationDecision",
    "ClosedTrade",
    "DailyBaseline",
    "EquitySnapshot",
    "Ledger",
    "PortfolioController",
    "TradePlan",
    "TrailingPeak",
    "max_abs_correlation",
    "safe_mode_cap",
]
