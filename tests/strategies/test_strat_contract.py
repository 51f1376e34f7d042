"""Registry, base helpers, and the replay's own rules."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from strat_bars import T0, make_bars, position_at, wiggle

from ats.domain import Regime, Side, StrategySignal
from ats.strategies import (
    Breakout4HStrategy,
    StrategyContext,
    TradingStrategy,
    registry,
    signals_over_history,
)
from ats.strategies.base import entry_index

SHIPPED = ["breakout_4h", "funding_reversion", "range_reversion_5m", "volatility_expansion_15m"]


def test_registry_lists_the_shipped_strategies_and_creates_them():
    assert registry.names() == SHIPPED
    for name in SHIPPED:
        s = registry.create(name)
        assert isinstance(s, TradingStrategy)
        assert s.name == name and s.kind in ("trend", "mean_reversion")
        assert s.bars_needed > 0
    s = registry.create("breakout_4h", entry_period=30, adx_min=25.0)
    assert s.params()["entry_period"] == 30 and s.adx_min == 25.0


def test_registry_errors_name_the_problem():
    with pytest.raises(KeyError, match="unknown strategy 'nope'; known strategies: breakout_4h"):
        registry.create("nope")
    with pytest.raises(ValueError, match="has no parameter\\(s\\) bogus; accepted: timeframe"):
        registry.create("breakout_4h", bogus=1)
    with pytest.raises(ValueError, match="parameter stop_atr must be > 0"):
        registry.create("breakout_4h", stop_atr=-1.0)
    with pytest.raises(ValueError, match="exit_z must be below entry_z"):
        registry.create("funding_reversion", exit_z=3.0)
    with pytest.raises(ValueError, match="rsi_low < rsi_high"):
        registry.create("range_reversion_5m", rsi_low=80.0)


def test_register_refuses_clashes_and_non_strategies():
    class Clash(Breakout4HStrategy):
        pass

    with pytest.raises(ValueError, match="'breakout_4h' is already registered"):
        registry.register(Clash)
    assert registry.register(Breakout4HStrategy) is Breakout4HStrategy  # idempotent
    with pytest.raises(TypeError, match="expects a TradingStrategy subclass"):
        registry.register(int)  # type: ignore[arg-type]

    class Nameless(TradingStrategy):
        def generate(self, ctx):  # type: ignore[no-untyped-def]
            return []

    with pytest.raises(ValueError, match="has no strategy name"):
        registry.register(Nameless)


def test_custom_strategy_registers_and_replays():
    class EveryTenth(TradingStrategy):
        name = "test_every_tenth"
        kind = "trend"
        timeframe = "1h"
        bars_needed = 5

        def generate(self, ctx):  # type: ignore[no-untyped-def]
            bars = self.window(ctx)
            if (int(bars.ts[-1]) - T0) // 3_600_000 % 10 != 9:
                return []
            side = Side.SELL if ctx.position else Side.BUY
            return [self.signal(ctx, bars, side, confidence=2.0, reason="tick",
                                is_exit=ctx.position is not None)]  # fmt: skip

    try:
        registry.register(EveryTenth)
        bars = make_bars(wiggle(45), "1h")
        sigs = signals_over_history(registry.create("test_every_tenth"), bars)
        assert [s.is_exit for s in sigs] == [False, True, False, True]
        assert sigs[0].confidence == 1.0  # clamped into 0..1
        assert sigs[0].ts == int(bars.ts[9]) + 3_600_000  # close time of bar 9
        assert sigs[1].meta == {"qty_fraction": 1.0, "position_side": "buy"}
    finally:
        registry._REGISTRY.pop("test_every_tenth", None)


def test_window_refuses_bars_of_another_timeframe():
    bars = make_bars(wiggle(300), "1h")
    with pytest.raises(ValueError, match="breakout_4h runs on 4h bars, got 1h bars"):
        Breakout4HStrategy().generate(StrategyContext("X", bars))


def test_entry_index_counts_bars_from_the_fill():
    bars = make_bars(wiggle(10), "4h")
    assert entry_index(bars, position_at(bars, 4, 1.0)) == 4
    assert entry_index(bars, replace(position_at(bars, 0, 1.0), ts=0)) == 0
    assert entry_index(bars, replace(position_at(bars, 9, 1.0), ts=int(bars.ts[9]) + 1)) == 10


def test_replay_refuses_misaligned_or_timeless_context():
    strat = Breakout4HStrategy()
    bars = make_bars(wiggle(50), "4h")
    with pytest.raises(ValueError, match="regime has 3 values but there are 50 bars"):
        signals_over_history(strat, bars, regime=[Regime.TREND_UP] * 3)
    with pytest.raises(ValueError, match="funding_rates needs funding_ts"):
        signals_over_history(strat, bars, funding_rates=np.zeros(5))


def test_replay_tracks_partial_exits_down_to_flat():
    from ats.strategies.replay import _apply

    def sig(is_exit, frac=1.0):
        return StrategySignal("s", "X", "1h", Side.BUY, 10.0, None, 1.0, "r", 5, is_exit=is_exit,
                              meta={"qty_fraction": frac})  # fmt: skip

    pos = _apply(None, [sig(False)], "X", "s")
    assert pos is not None and pos.qty == 1.0
    pos = _apply(pos, [sig(True, 0.5), sig(False)], "X", "s")  # no pyramiding while open
    assert pos is not None and pos.qty == 0.5
    assert _apply(pos, [sig(True, 1.0)], "X", "s") is None
    assert _apply(None, [sig(True)], "X", "s") is None
