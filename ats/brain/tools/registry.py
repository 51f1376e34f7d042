"""The tool registry: lookup by name or capability, and the counting/timing every call gets.

Stats are kept here, not in the tools, so a tool written by anyone is measured the same way
and cannot forget to report itself. ``perf_counter`` measures latency (a duration, not a
time of day, so it does not go through the trading ``Clock``).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from time import perf_counter
from typing import Any

from ats.brain.latency import LatencyBook
from ats.brain.state import LatencyView, ToolStat
from ats.brain.tools.base import BaseTool, ToolContext, ToolError, ToolSpec


class ToolRegistry:
    """Tools by name; ``resolve`` finds the tool serving a capability."""

    def __init__(self) -> None:
        self._tools: dict[str, BaseTool] = {}
        self._by_capability: dict[str, str] = {}
        # name -> [calls, errors, total_ms, last_ms]; lists are cheaper to bump than objects.
        self._stats: dict[str, list[float]] = {}
        self._latency = LatencyBook()  # per-call latency buckets for the exporter's histogram

    def register(self, tool: BaseTool, *, replace: bool = False) -> BaseTool:
        spec = tool.spec
        if spec.name in self._tools and not replace:
            raise ToolError(f"tool {spec.name!r} is already registered (pass replace=True)")
        self._tools[spec.name] = tool
        self._by_capability[spec.capability] = spec.name
        self._stats.setdefault(spec.name, [0, 0, 0.0, 0.0])
        return tool

    def resolve(self, capability: str) -> BaseTool:
        name = self._by_capability.get(capability)
        if name is None:
            known = ", ".join(sorted(self._by_capability)) or "none"
            raise ToolError(f"no tool provides capability {capability!r} (known: {known})")
        return self._tools[name]

    def get(self, name_or_capability: str) -> BaseTool:
        tool = self._tools.get(name_or_capability)
        if tool is not None:
            return tool
        return self.resolve(name_or_capability)

    def list(self) -> list[ToolSpec]:
        return [t.spec for t in self._tools.values()]

    def __contains__(self, name_or_capability: object) -> bool:
        return name_or_capability in self._tools or name_or_capability in self._by_capability

    def call(self, name_or_capability: str, ctx: ToolContext, **kwargs: Any) -> Any:
        """Call a synchronous tool, counting and timing it; errors are counted and re-raised."""
        tool = self.get(name_or_capability)
        with _timed(self._stats[tool.spec.name], self._latency, tool.spec.name):
            result = tool(ctx, **kwargs)
            if inspect.isawaitable(result):
                close = getattr(result, "close", None)
                if close is not None:
                    close()
                raise ToolError(f"tool {tool.spec.name!r} is async: use acall()")
            return result

    async def acall(self, name_or_capability: str, ctx: ToolContext, **kwargs: Any) -> Any:
        """Call a tool that may be async (order placement); timed including the await."""
        tool = self.get(name_or_capability)
        with _timed(self._stats[tool.spec.name], self._latency, tool.spec.name):
            result = tool(ctx, **kwargs)
            if inspect.isawaitable(result):
                result = await result
            return result

    def stats(self) -> dict[str, ToolStat]:
        lat = self._latency.views()
        return {
            name: ToolStat(calls=int(s[0]), errors=int(s[1]), total_ms=s[2], last_ms=s[3],
                           latency=lat.get(name, LatencyView()))
            for name, s in self._stats.items()
        }


@contextmanager
def _timed(stat: list[float], book: LatencyBook, name: str) -> Iterator[None]:
    """Count one call into ``stat`` = [calls, errors, total_ms, last_ms] and ``book``,
    errors included."""
    t0 = perf_counter()
    try:
        yield
    except BaseException:
        stat[1] += 1
        raise
    finally:
        ms = (perf_counter() - t0) * 1000.0
        stat[0] += 1
        stat[2] += ms
        stat[3] = ms
        book.observe(name, ms / 1000.0)
