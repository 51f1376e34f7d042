"""Trading strategies: ``StrategyContext`` in, ``StrategySignal``s out; no risk, no brokers.

Importing the package registers the shipped strategies, so ``registry.names()`` lists them.
"""

from ats.strategies import registry
from ats.strategies.base import StrategyContext, TradingStrategy
from ats.strategies.breakout_4h import Breakout4HStrategy
from ats.strategies.funding_reversion import FundingReversionStrategy
from ats.strategies.range_reversion_5m import RangeReversion5MStrategy
from ats.strategies.replay import signals_over_history
from ats.strategies.volatility_expansion_15m import VolatilityExpansion15MStrategy

__all__ = [
    "Breakout4HStrategy",
    "FundingReversionStrategy",
    "RangeReversion5MStrategy",
    "StrategyContext",
    "TradingStrategy",
    "VolatilityExpansion15MStrategy",
    "registry",
    "signals_over_history",
]
