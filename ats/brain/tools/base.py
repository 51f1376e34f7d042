"""What a tool is: a described, named capability the agents reach only through the registry.

Agents never import a tool function directly. Going through ``ToolRegistry`` is what lets
the brain count and time every call (the TUI's tool table, ``ats_tool_calls_total``) and swap a
tool for a fake in a test without touching the agent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ats.config.models import EnableMap, Governance
from ats.domain.clock import Clock
from ats.domain.costs import CostModel

if TYPE_CHECKING:
    from ats.brain.state import BrainSnapshot
    from ats.domain.fx import FxRates
    from ats.portfolio import PortfolioController
    from ats.risk import RiskEngine
    from broker_adapters.base import BrokerAdapter
    from storage.protocol import Ledger


class ToolError(Exception):
    """A tool could not do its job; the message names the tool and the cause."""


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool's identity card.

    ``capability`` is what an agent asks for ("risk.stops"); ``agent`` is the graph node
    that owns it; ``safety_tags`` say what a call can touch ("sends_orders", "writes_db",
    "read_only") so a reviewer sees at a glance which tools have side effects.
    """

    name: str
    capability: str
    agent: str
    safety_tags: tuple[str, ...] = ("read_only",)
    cost_hint_ms: float = 0.1
    description: str = ""


@dataclass(slots=True)
class ToolContext:
    """The long-lived resources tools may use, plus the time of the current cycle.

    One instance per orchestrator; only ``ts``/``cycle`` change between cycles. Resources
    are optional so a unit test builds a context with just what the tool under test needs.
    """

    governance: Governance
    enable_map: EnableMap | None = None
    clock: Clock | None = None
    ts: int = 0
    cycle: int = 0
    run_id: str = ""
    risk_engine: RiskEngine | None = None
    portfolio: PortfolioController | None = None
    adapter: BrokerAdapter | None = None
    dao: Ledger | None = None
    cost_model: CostModel = field(default_factory=CostModel)
    # VST/demo: the most equity sizing may count (VIRTUAL_EQUITY), whatever the venue's
    # virtual balance says (100k VST must not size like 100k of the trader's money).
    equity_cap: float | None = None
    # The venue's rates to the account currency (ats.domain.fx.FxRates), kept current by the
    # orchestrator: notional caps are in the account currency.
    fx: FxRates | None = None
    venue: str = ""
    virtual_asset: str | None = None
    sinks: Sequence[Callable[[BrainSnapshot], None]] = ()


@runtime_checkable
class BaseTool(Protocol):
    """A tool: a spec and a call. ``__call__`` may be sync or ``async``."""

    spec: ToolSpec
    # Each tool names its own keyword arguments (the registry checks them against ``spec``),
    # so the protocol types the call as "context first, then whatever the spec says".
    @property
    def __call__(self) -> Callable[..., Any]: ...
