"""Brain tools and their registry. Agents reach every tool through ``ToolRegistry``."""

from ats.brain.tools.base import BaseTool, ToolContext, ToolError, ToolSpec
from ats.brain.tools.execution import (
    LiquidityCheck,
    LiquidityResult,
    PlaceOrder,
    PlaceResult,
    SlippageEstimate,
    SlippageEstimator,
    split_quantity,
)
from ats.brain.tools.monitor import ExportMetrics, ExportResult
from ats.brain.tools.registry import ToolRegistry
from ats.brain.tools.risk import (
    GuardDrawdown,
    GuardResult,
    PlanPosition,
    PlanStops,
    StopPlan,
    confidence_multiplier,
)
from ats.brain.tools.selection import (
    CooldownStatus,
    EnabledSet,
    LoadEnableMap,
    ManageCooldown,
    ScoreStrategy,
)


def default_registry() -> ToolRegistry:
    """A registry with every standard tool (one fresh instance each: some hold state)."""
    reg = ToolRegistry()
    for tool in (
        LoadEnableMap(), ScoreStrategy(), ManageCooldown(), GuardDrawdown(), PlanStops(),
        PlanPosition(), LiquidityCheck(), SlippageEstimator(), PlaceOrder(), ExportMetrics(),
    ):
        reg.register(tool)
    return reg


__all__ = [
    "BaseTool",
    "CooldownStatus",
    "EnabledSet",
    "ExportMetrics",
    "ExportResult",
    "GuardDrawdown",
    "GuardResult",
    "LiquidityCheck",
    "LiquidityResult",
    "LoadEnableMap",
    "ManageCooldown",
    "PlaceOrder",
    "PlaceResult",
    "PlanPosition",
    "PlanStops",
    "ScoreStrategy",
    "SlippageEstimate",
    "SlippageEstimator",
    "StopPlan",
    "ToolContext",
    "ToolError",
    "ToolRegistry",
    "ToolSpec",
    "confidence_multiplier",
    "default_registry",
    "split_quantity",
]
