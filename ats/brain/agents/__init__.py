"""The five brain agents. Each has one entry point and reaches tools only via the registry."""

from ats.brain.agents.execution import ExecInput, ExecResult, ExecutionAgent
from ats.brain.agents.monitor import MonitorAgent, MonitorInput, MonitorResult
from ats.brain.agents.regime import MarketRegimeAgent, RegimeFeatures, RegimeResult
from ats.brain.agents.risk import (
    ExitRequest,
    LockStatus,
    Rejection,
    RiskInput,
    RiskManagerAgent,
    RiskResult,
)
from ats.brain.agents.selection import (
    Candidate,
    SelectionInput,
    SelectionResult,
    StrategySelectionAgent,
)

__all__ = [
    "Candidate",
    "ExecInput",
    "ExecResult",
    "ExecutionAgent",
    "ExitRequest",
    "LockStatus",
    "MarketRegimeAgent",
    "MonitorAgent",
    "MonitorInput",
    "MonitorResult",
    "RegimeFeatures",
    "RegimeResult",
    "Rejection",
    "RiskInput",
    "RiskManagerAgent",
    "RiskResult",
    "SelectionInput",
    "SelectionResult",
    "StrategySelectionAgent",
]
