"""``TelemetryExporter``: an append-only CSV of cycle events with rolling counters.

A CSV survives anything a trader does to Prometheus or Grafana and opens in a spreadsheet;
it rotates by size so an 8 h run cannot fill the disk.
"""

from __future__ import annotations

import csv
import io
import time
from collections import deque
from pathlib import Path

from ats.brain.state import BrainSnapshot

FIELDS = (
    "ts", "run_id", "cycle", "cycle_latency_ms", "cycles_per_s", "equity", "pnl_total",
    "drawdown_pct", "orders_total", "fills_total", "open_positions", "daily_lock",
    "kill_switch", "safe_mode", "connected", "errors",
)


class TelemetryExporter:
    """A brain sink writing one CSV row per new cycle, rotating at ``max_bytes``."""

    def __init__(self, path: Path | str, *, max_bytes: int = 5_000_000, backups: int = 3) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.backups = backups
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._last_cycle = -1
        self._times: deque[float] = deque(maxlen=50)
        self.rows_written = 0

    def cycles_per_second(self) -> float:
        if len(self._times) < 2 or self._times[-1] == self._times[0]:
            return 0.0
        return (len(self._times) - 1) / (self._times[-1] - self._times[0])

    def __call__(self, snap: BrainSnapshot) -> None:
        if snap.cycle == self._last_cycle:
            return
        self._last_cycle = snap.cycle
        self._times.append(time.monotonic())
        errors = sum(1 for a in snap.agents if a.state == "error")
        row = (
            snap.ts, snap.run_id, snap.cycle, f"{snap.cycle_latency_ms:.3f}",
            f"{self.cycles_per_second():.3f}", f"{snap.equity:.2f}", f"{snap.pnl_total:.2f}",
            f"{snap.risk.trailing_dd * 100:.4f}", snap.orders_total, snap.fills_total,
            len(snap.positions), int(snap.risk.daily_lock), int(snap.risk.kill_switch),
            int(snap.risk.safe_mode), int(snap.connected), errors,
        )
        self._rotate_if_needed()
        new = not self.path.exists() or self.path.stat().st_size == 0
        buf = io.StringIO()
        writer = csv.writer(buf)
        if new:
            writer.writerow(FIELDS)
        writer.writerow(row)
        with self.path.open("a", encoding="utf-8", newline="") as fh:
            fh.write(buf.getvalue())
        self.rows_written += 1

    def _rotate_if_needed(self) -> None:
        if not self.path.exists() or self.path.stat().st_size < self.max_bytes:
            return
        for i in range(self.backups - 1, 0, -1):
            src = self.path.with_name(f"{self.path.name}.{i}")
            if src.exists():
                src.replace(self.path.with_name(f"{self.path.name}.{i + 1}"))
        self.path.replace(self.path.with_name(f"{self.path.name}.1"))
