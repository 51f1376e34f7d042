"""Latency histograms kept by the brain, exported by the monitor as Prometheus histograms.

Prometheus histograms need every observation, but the exporter only sees one snapshot per
cycle. So the brain counts each timed call into fixed buckets here (cheap: one bisect and
two additions) and the snapshot carries the cumulative counts; the exporter turns the
difference between two snapshots into bucket increments. No observation is lost between
snapshots, and the buckets are the same for every latency the brain measures.
"""

from __future__ import annotations

from bisect import bisect_left

from ats.brain.state import LatencyView

# Upper bounds in seconds (le): 0.5 ms .. 5 s covers a tool call, a stage, a venue round trip
# over the network and a slow cycle; anything slower lands in +Inf.
LATENCY_BUCKETS_S: tuple[float, ...] = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
)


class LatencyHistogram:
    """Counts per bucket (the last slot is +Inf) and the sum of the observed seconds."""

    __slots__ = ("counts", "sum_s")

    def __init__(self) -> None:
        self.counts = [0] * (len(LATENCY_BUCKETS_S) + 1)
        self.sum_s = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(LATENCY_BUCKETS_S, seconds)] += 1
        self.sum_s += seconds

    def view(self) -> LatencyView:
        return LatencyView(tuple(self.counts), self.sum_s)


class LatencyBook:
    """Histograms by key (a tool, a stage, a venue method)."""

    __slots__ = ("_by_key",)

    def __init__(self) -> None:
        self._by_key: dict[str, LatencyHistogram] = {}

    def observe(self, key: str, seconds: float) -> None:
        hist = self._by_key.get(key)
        if hist is None:
            hist = self._by_key[key] = LatencyHistogram()
        hist.observe(seconds)

    def views(self) -> dict[str, LatencyView]:
        return {k: h.view() for k, h in self._by_key.items()}
