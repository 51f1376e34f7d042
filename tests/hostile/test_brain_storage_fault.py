"""The real brain on the mock market with a database that fills up: the fault stops
trading after the cycle it happened in, on every front end (`ats run` loops with `run()`,
the desk calls `run_cycle()` itself)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ats.brain.runtime import RunOptions, build_orchestrator
from ats.domain import Mode
from storage.errors import DiskFullError

from .conftest import CONFIGS


async def test_full_database_stops_the_brain(tmp_path: Path) -> None:
    orch = build_orchestrator(
        RunOptions(mode=Mode.PAPER, adapter="mock", db_path=tmp_path / "b.db",
                   config_dir=CONFIGS, speed=6000.0, timeframes=("1m", "5m"),
                   skip_feed_check=True),
        env={})
    try:
        await orch.start()
        writer = orch.dao.db._writer
        pages = writer.execute("PRAGMA page_count").fetchall()[0][0]
        writer.execute(f"PRAGMA max_page_count = {pages}")
        await orch.run(max_cycles=500)
        assert isinstance(orch.fatal, DiskFullError)
        stopped_at = orch.counters.cycles
        assert stopped_at < 500
        with pytest.raises(DiskFullError):  # the desk's next cycle sees it too
            await orch.run_cycle()
        await orch.run(max_cycles=5)  # and a loop does not trade on
        assert orch.counters.cycles == stopped_at
    finally:
        await orch.stop()
