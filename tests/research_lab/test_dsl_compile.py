"""Compiled DSL strategies: bar-by-bar ``generate()`` equals the vectorized evaluation, and
every candidate passes the anti-lookahead check (a leaky one does not)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from rl_helpers import random_bars

from ats.domain import Bars, Position, Regime, Side
from ats.strategies.base import StrategyContext, TradingStrategy
from research_lab.backtest.lookahead import arrays_keys, check_lookahead, spec_signal_fn
from research_lab.dsl import DslError, load_strategy, parse_spec
from research_lab.dsl.compile import compile_spec
from research_lab.dsl.evaluate import SignalArrays, evaluate
from research_lab.generators import DeterministicGenerator
from research_lab.generators.deterministic import TEMPLATES


def replay(strategy: TradingStrategy, bars: Bars) -> dict[str, set[int]]:
    """Every signal of ``generate`` over ``bars``, one closed bar at a time (flat)."""
    out: dict[str, set[int]] = {"le": set(), "se": set(), "lx": set(), "sx": set()}
    for t in range(1, len(bars)):
        ctx = StrategyContext("TEST/USDT", bars.slice(0, t + 1))
        for s in strategy.generate(ctx):
            assert s.ts == int(bars.ts[t]) + 3_600_000  # close time of the signal bar
            assert s.entry == bars.close[t]
            key = ("l" if s.side is Side.BUY else "s") + "e"
            if s.is_exit:
                key = "lx" if s.side is Side.SELL else "sx"
            out[key].add(t)
    return out


def vector_sets(sig: SignalArrays, start: int) -> dict[str, set[int]]:
    def idx(a: np.ndarray, drop: np.ndarray) -> set[int]:
        return {int(i) for i in np.flatnonzero(a & ~drop) if i >= start}

    le = sig.long_entry & ~sig.short_entry
    se = sig.short_entry & ~sig.long_entry
    return {"le": idx(le, np.zeros_like(le)), "se": idx(se, np.zeros_like(se)),
            "lx": idx(sig.long_exit, sig.long_entry), "sx": idx(sig.short_exit, sig.short_entry)}


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.__name__)
def test_generate_bar_by_bar_equals_vectorized(template: object) -> None:
    bars = random_bars(700, seed=11)
    spec = parse_spec(template(random.Random(4), "1h"))  # type: ignore[operator]
    strat = compile_spec(spec)
    start = strat.bars_needed  # the brain never calls a strategy before its warm-up
    got = replay(strat, bars)
    want = vector_sets(evaluate(spec, bars), start)
    got = {k: {t for t in v if t >= start} for k, v in got.items()}
    assert got == want
    assert sum(len(v) for v in want.values()) > 0


def test_entries_carry_stop_take_and_respect_regime_and_position() -> None:
    bars = random_bars(900, seed=2)
    spec = parse_spec(TEMPLATES[1](random.Random(3), "1h"))  # breakout with a take
    strat = compile_spec(spec)
    sig = evaluate(spec, bars)
    t = int(np.flatnonzero(sig.long_entry & ~sig.short_entry)[-1])
    window = bars.slice(0, t + 1)
    [entry] = [s for s in strat.generate(StrategyContext("X", window)) if not s.is_exit]
    assert entry.side is Side.BUY
    assert entry.stop_hint == pytest.approx(bars.close[t] - sig.stop_dist[t])
    assert entry.take_hint == pytest.approx(bars.close[t] + sig.take_dist[t])
    assert "donchian_upper" in entry.reason
    assert not [s for s in strat.generate(StrategyContext("X", window, regime=Regime.PANIC))
                if not s.is_exit]
    long_pos = Position("X", 1.0, 100.0, 0, strategy=spec.name)
    assert not [s for s in strat.generate(StrategyContext("X", window, position=long_pos))
                if not s.is_exit]


def test_load_strategy_reads_a_file_and_names_bad_fields(tmp_path: Path) -> None:
    spec = DeterministicGenerator(seed=3).generate(1)[0]
    p = tmp_path / "c.json"
    p.write_text(spec.model_dump_json(), encoding="utf-8")
    strat = load_strategy(p)
    assert isinstance(strat, TradingStrategy)
    assert (strat.name, strat.timeframe, strat.kind) == (spec.name, "1h", spec.kind)
    doc = json.loads(p.read_text())
    doc["stop"]["value"] = -1
    p.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(DslError, match=r"c\.json: stop\.value: must be > 0, got -1"):
        load_strategy(p)


def test_every_generated_candidate_passes_the_lookahead_check() -> None:
    bars = random_bars(800, seed=5)
    for spec in DeterministicGenerator(seed=9).generate(10):
        rep = check_lookahead(spec.name, spec_signal_fn(spec), bars)
        assert rep.ok, rep.problems
        assert rep.signals_checked > 0 or spec.kind == "mean_reversion"


def test_the_lookahead_check_catches_a_strategy_reading_the_future() -> None:
    bars = random_bars(600, seed=6)
    spec = DeterministicGenerator(seed=1).generate(1)[0]

    def leaky(b: Bars) -> list[tuple[int, str, float, float]]:
        sig = evaluate(spec, b)
        future_up = np.r_[b.close[1:] > b.close[:-1], False]  # tomorrow's close
        return arrays_keys(SignalArrays(future_up, sig.long_exit, sig.short_entry,
                                        sig.short_exit, sig.stop_dist, sig.take_dist))

    rep = check_lookahead("leaky", leaky, bars)
    assert not rep.ok
    assert "reads bars after" in rep.problems[0]


def test_the_projects_replay_helper_sees_the_same_signals() -> None:
    from ats.strategies import signals_over_history

    bars = random_bars(700, seed=12)
    spec = parse_spec(TEMPLATES[0](random.Random(6), "1h"))
    strat = compile_spec(spec)
    sigs = signals_over_history(strat, bars, track_positions=False, start=strat.bars_needed)
    got = {(s.ts, s.side, s.is_exit) for s in sigs}
    want = vector_sets(evaluate(spec, bars), strat.bars_needed - 1)
    close = {k: {int(bars.ts[t]) + 3_600_000 for t in v} for k, v in want.items()}
    expect = ({(ts, Side.BUY, False) for ts in close["le"]}
              | {(ts, Side.SELL, False) for ts in close["se"]}
              | {(ts, Side.SELL, True) for ts in close["lx"]}
              | {(ts, Side.BUY, True) for ts in close["sx"]})
    assert got == expect and got
