"""Value types shared by every layer. A leaf: no I/O, imports nothing from ``ats``."""

from ats.domain.bars import Bars
from ats.domain.clock import Clock, FixedClock, RealClock, SimulatedClock
from ats.domain.fx import FxRates, point_value, same_money
from ats.domain.types import (
    AccountState,
    Fill,
    InstrumentSpec,
    Mode,
    Order,
    OrderIntent,
    OrderStatus,
    OrderType,
    Position,
    Quote,
    Regime,
    Side,
    StrategySignal,
    TimeInForce,
    timeframe_ms,
)

__all__ = [
    "AccountState",
    "Bars",
    "Clock",
    "Fill",
    "FixedClock",
    "FxRates",
    "InstrumentSpec",
    "Mode",
    "Order",
    "OrderIntent",
    "OrderStatus",
    "OrderType",
    "Position",
    "Quote",
    "RealClock",
    "Regime",
    "Side",
    "SimulatedClock",
    "StrategySignal",
    "TimeInForce",
    "point_value",
    "same_money",
    "timeframe_ms",
]
