"""The real brain over many symbols: every cycle gives every symbol its new bar, across a
midnight, while the mock market builds each symbol's next day once (prefetched before
midnight) and never regenerates a day it already built — the cache is sized for the
symbol count, not a fixed 512 symbol-days."""

from __future__ import annotations

from pathlib import Path

import pytest

from ats.brain.runtime import RunOptions, build_orchestrator
from ats.config import load_adapters, load_settings, load_symbols
from ats.domain import FixedClock, Mode, timeframe_ms
from broker_adapters.factory import create_adapter
from broker_adapters.mock import parse_start

REPO = Path(__file__).resolve().parents[2]
N = 300  # more than the old 512-day cache could hold at two days per symbol


@pytest.mark.slow
async def test_hundreds_of_symbols_across_a_midnight(tmp_path: Path) -> None:
    cfg = REPO / "configs"
    clock = FixedClock(parse_start("2026-01-05T22:30:00Z"))
    syms = tuple(f"SYN{i:04d}" for i in range(N - 2)) + ("BTC/USDT:USDT", "EURUSD")
    adapter = create_adapter(
        "mock", mode=Mode.PAPER, adapters_cfg=load_adapters(cfg / "adapters.yaml"),
        symbols_cfg=load_symbols(cfg / "symbols.yaml"),
        settings=load_settings(env={}, dotenv_path=None), clock=clock, seed=42,
        symbols=syms, history_days=3)
    mock = adapter.venue  # type: ignore[attr-defined]
    made: list[int] = []
    real = mock.gen._make_day

    def counting(prof, d):  # type: ignore[no-untyped-def]
        made.append(d)
        return real(prof, d)

    mock.gen._make_day = counting
    opts = RunOptions(config_dir=cfg, db_path=tmp_path / "ats.db", clock=clock, symbols=syms,
                      timeframes=("5m",), skip_feed_check=True, run_id="many")
    orch = build_orchestrator(opts, adapter=adapter, env={})
    await orch.start()
    step = timeframe_ms("5m")
    today = (clock.now_ms() - mock.origin_ms) // 86_400_000
    try:
        after_start = len(made)
        per_cycle = []
        for _ in range(24):  # 22:30 -> 00:30
            clock.advance(step)
            n0 = len(made)
            snap = await orch.run_cycle()
            per_cycle.append(len(made) - n0)
            due = clock.now_ms() // step * step - step
            assert all(orch.windows[(s, "5m")].last_ts == due for s in syms)
            assert snap.cycle > 0
        # Tomorrow was built once per symbol — partly while starting (22:30 is inside most
        # symbols' prefetch lead), the rest spread over the cycles before midnight; after
        # start no day was ever built twice and no cycle built more than a slice of them.
        assert made.count(today + 1) == N
        assert all(d == today + 1 for d in made[after_start:])
        assert per_cycle[-6:] == [0] * 6  # past midnight: every day already there
        assert max(per_cycle) < N // 4
        tail = orch.dao.journal_tail(5, kind="cycle", run_id="many")
        assert len(tail) == 5
    finally:
        await orch.stop()
