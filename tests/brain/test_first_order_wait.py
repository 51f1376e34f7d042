"""Before its first signal the desk says what an enabled strategy waits for, so a calm start
(the default seed's market gives no setup for 40 cycles) does not look like a stuck brain."""

from __future__ import annotations

import asyncio
from pathlib import Path

from ats import i18n
from ats.brain.runtime import RunOptions, build_orchestrator
from ats.config.loader import load_adapters
from ats.domain import FixedClock
from broker_adapters.mock import parse_start

REPO = Path(__file__).resolve().parents[2]


def test_an_enabled_strategy_without_a_signal_says_when_it_looks_next(tmp_path: Path) -> None:
    start = parse_start(load_adapters(REPO / "configs" / "adapters.yaml").mock.start)
    clock = FixedClock(start)

    async def drive() -> list[tuple[str, str, str | None]]:
        o = build_orchestrator(RunOptions(config_dir=REPO / "configs", seed=42, clock=clock,
                                          run_id="wait", db_path=tmp_path / "w.db"), env={})
        await o.start()
        try:
            clock.advance(60_000)
            snap = await o.run_cycle()  # 00:01: the warm start evaluated, no setup yet
            assert o.counters.orders == 0
            return [(s.name, s.status, s.last_signal) for s in snap.strategies]
        finally:
            await o.stop()

    views = {name: (status, text) for name, status, text in asyncio.run(drive())}
    status, text = views["range_reversion_5m"]
    assert status == "enabled"
    assert text == "awaits signal: 00:05 (5m close)"
    assert i18n.t("said.strategy.waiting", lang="ru", tf="5m", at="00:05") == \
        "ждёт сигнала: 00:05 (закрытие 5m)"
    # a strategy no current regime enables is on standby and waits for nothing
    assert views["breakout_4h"][0] == "standby" and views["breakout_4h"][1] is None
