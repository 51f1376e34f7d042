"""``export_metrics``: hand the cycle's snapshot to every registered sink.

A sink that raises (a full disk under the CSV telemetry, a closed TUI) must not stop the
trading cycle nor the other sinks; its failure is counted and reported instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from ats.brain.state import BrainSnapshot
from ats.brain.tools.base import ToolContext, ToolSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ExportResult:
    delivered: int
    errors: tuple[str, ...] = field(default_factory=tuple)


class ExportMetrics:
    spec = ToolSpec("export_metrics", "monitor.export", "monitor",
                    safety_tags=("read_only", "publishes"),
                    description="publish the snapshot to sinks (exporter, TUI, telemetry)")

    def __call__(self, ctx: ToolContext, *, snapshot: BrainSnapshot, **_: Any) -> ExportResult:
        errors: list[str] = []
        delivered = 0
        for sink in list(ctx.sinks):
            try:
                sink(snapshot)
                delivered += 1
            except Exception as exc:  # one broken sink never stops the brain
                name = getattr(sink, "__qualname__", type(sink).__name__)
                errors.append(f"{name}: {exc}")
                log.warning("snapshot sink %s failed: %s", name, exc)
        return ExportResult(delivered, tuple(errors))
