"""Shipped strategies through the research lab (lookahead check, replay into the backtester),
walk-forward bookkeeping, run state on disk, bars from the database."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from rl_helpers import random_bars

from ats.domain import Bars, FixedClock, Regime, Side, StrategySignal
from ats.strategies import registry, signals_over_history
from research_lab.backtest.engine import for_timeframe, run_backtest
from research_lab.backtest.lookahead import check_lookahead, strategy_keys
from research_lab.backtest.replay import signals_to_arrays, strategy_arrays
from research_lab.backtest.source import bars_for, strategy_signals
from research_lab.generators import DeterministicGenerator
from research_lab.pipeline_ci.live import daily_returns
from research_lab.pipeline_ci.market import MarketSpec, history, mock_market
from research_lab.pipeline_ci.state import ResearchSettings, RunState, check_run_id
from research_lab.pipeline_ci.walkforward import folds_for, walk_forward
from storage.dao import PersistDAO

START = 1_756_684_800_000  # 2025-09-01


@pytest.mark.parametrize("name", registry.names())
def test_every_shipped_strategy_passes_the_lookahead_check(name: str) -> None:
    strat = registry.create(name)
    n = strat.bars_needed + 1500
    bars = bars_for("BTC/USDT:USDT", strat.timeframe, START,
                    START + n * _tf(strat.timeframe))
    regime = strat.regimes[0] if strat.regimes else Regime.RANGE_LOWVOL  # one it trades in
    kwargs: dict[str, object] = {"regime": regime, "basis": 0.002}
    funding_ts = bars.ts[::8] + 1
    if name == "funding_reversion":  # funding known 1 ms after every 8th bar opens
        rng = np.random.default_rng(1)
        rates = rng.normal(0.0, 0.0001, len(funding_ts))
        rates[::15] += 0.002 * np.sign(rng.normal(size=len(rates[::15])))
        kwargs["funding_rates"] = rates

    def fn(b: Bars) -> list[tuple[int, str, float, float]]:
        k = dict(kwargs)
        if "funding_rates" in k:
            known = int(np.searchsorted(funding_ts, int(b.ts[-1]) + 1))
            k["funding_rates"] = np.asarray(k["funding_rates"])[:known]
            k["funding_ts"] = funding_ts[:known]
        sigs = signals_over_history(strat, b, start=strat.bars_needed, **k)  # type: ignore[arg-type]
        return strategy_keys(sigs, b)

    rep = check_lookahead(name, fn, bars, cuts=(strat.bars_needed + 600, len(bars) - 300))
    assert rep.ok, rep.problems
    assert rep.signals_checked > 0  # the check saw signals, it is not vacuous


def _tf(tf: str) -> int:
    from ats.domain import timeframe_ms

    return timeframe_ms(tf)


def test_signals_to_arrays_maps_sides_stops_and_exits(bars: object) -> None:
    b = random_bars(20)
    tf = 3_600_000
    sigs = [
        StrategySignal("s", "X", "1h", Side.BUY, 100.0, 98.0, 0.5, "", int(b.ts[3]) + tf,
                       take_hint=105.0),
        StrategySignal("s", "X", "1h", Side.SELL, 100.0, None, 0.5, "", int(b.ts[6]) + tf,
                       is_exit=True),
        StrategySignal("s", "X", "1h", Side.SELL, 100.0, 101.0, 0.5, "", int(b.ts[9]) + tf),
        StrategySignal("s", "X", "1h", Side.BUY, 100.0, None, 0.5, "", 1, is_exit=True),
    ]
    a = signals_to_arrays(sigs, b)
    assert np.flatnonzero(a.long_entry).tolist() == [3] and a.stop_dist[3] == 2.0
    assert a.take_dist[3] == 5.0
    assert np.flatnonzero(a.long_exit).tolist() == [6]
    assert np.flatnonzero(a.short_entry).tolist() == [9] and a.stop_dist[9] == 1.0
    assert not a.short_exit.any()


def test_a_shipped_strategy_backtests_through_its_live_code() -> None:
    strat, signals_of = strategy_signals("breakout_4h")
    bars = bars_for("BTC/USDT:USDT", "4h", START - 200 * 86_400_000, START)
    sig = signals_of(bars)
    again = strategy_arrays(strat, bars)
    assert np.array_equal(sig.long_entry, again.long_entry)
    res = run_backtest(bars, sig, for_timeframe("4h"))
    assert res.metrics.bars == len(bars)


def test_walk_forward_reports_only_out_of_sample_windows() -> None:
    bars = random_bars(1600, seed=8)
    spec = DeterministicGenerator(seed=0).generate(1)[0]
    wf = walk_forward(spec, bars, for_timeframe("1h"), train=400, test=200, variants=3)
    assert [f.test for f in wf.folds] == [(400, 600), (600, 800), (800, 1000), (1000, 1200),
                                          (1200, 1400), (1400, 1600)]
    assert wf.start_bar == 400 and len(wf.equity) == 1200
    assert wf.variants == 3 and {f.chosen for f in wf.folds} <= {spec.name} | {
        f.chosen for f in wf.folds if "_mw" in f.chosen}
    assert wf.metrics.trades == sum(f.test_trades for f in wf.folds)
    assert folds_for(100, 80, 40) == []
    with pytest.raises(ValueError, match="at least train\\+test"):
        walk_forward(spec, bars.slice(0, 100), for_timeframe("1h"), train=80, test=40)


def test_daily_returns_align_on_calendar_days() -> None:
    day = 86_400_000
    ts = np.arange(0, 3 * day, 3_600_000, dtype=np.int64)
    eq = np.r_[np.full(24, 100.0), np.full(24, 110.0), np.full(24, 99.0)]
    assert daily_returns(ts, eq).tolist() == pytest.approx([0.1, -0.1])


def test_trending_market_is_deterministic_and_differs_from_default() -> None:
    a = history(MarketSpec(history_bars=300))
    b = history(MarketSpec(history_bars=300))
    c = history(MarketSpec(market="mock", history_bars=300))
    assert np.array_equal(a.close, b.close) and not np.array_equal(a.close, c.close)
    with pytest.raises(ValueError, match="unknown research market"):
        mock_market(MarketSpec(market="nasdaq"))


def test_run_state_round_trip_and_run_ids(tmp_path: Path) -> None:
    st = RunState("r1", tmp_path, "2026-01-01T00:00:00Z", ResearchSettings())
    spec = DeterministicGenerator(seed=0).generate(1)[0]
    st.add(spec)
    st.candidates[spec.name].stages["lookahead"] = {"passed": True, "x": np.float64(1.5)}
    st.save()
    again = RunState.load(tmp_path, "r1")
    assert again.candidates[spec.name].spec == spec
    assert again.candidates[spec.name].furthest() == "lookahead"
    assert json.loads((tmp_path / "r1" / "state.json").read_text())["settings"]["market"][
        "symbol"] == "BTC/USDT:USDT"
    with pytest.raises(FileNotFoundError, match="no research run 'r2'"):
        RunState.load(tmp_path, "r2")
    with pytest.raises(ValueError):
        check_run_id("../etc")


def test_bars_from_the_database(tmp_path: Path) -> None:
    b = random_bars(100)
    dao = PersistDAO(tmp_path / "ats.db")
    dao.upsert_bars(b, "test")
    dao.close()
    got = bars_for(b.symbol, "1h", int(b.ts[10]), int(b.ts[50]), db=tmp_path / "ats.db")
    assert got.ts[0] == b.ts[10] and got.ts[-1] == b.ts[49]
    with pytest.raises(ValueError, match="holds no"):
        bars_for("NOPE", "1h", int(b.ts[0]), int(b.ts[5]), db=tmp_path / "ats.db")
    assert FixedClock(0).now_ms() == 0


def test_live_book_returns_include_challengers_and_name_what_was_skipped(tmp_path: Path
                                                                         ) -> None:
    import shutil

    from research_lab.backtest.engine import for_timeframe as cfg_for
    from research_lab.pipeline_ci.live import live_daily_returns
    from research_lab.pipeline_ci.promote import promote

    root = Path(__file__).resolve().parents[2]
    cfg = tmp_path / "configs"
    shutil.copytree(root / "configs", cfg, ignore=shutil.ignore_patterns("local"))
    a, b = DeterministicGenerator(seed=5).generate(2)
    promote(a, cfg, promoted_at="t", source_run="r")
    promote(b, cfg, promoted_at="t", source_run="r")
    (cfg / "local" / "challengers" / f"{b.name}.json").write_text("{broken")  # local layer
    market = MarketSpec(history_bars=600)
    start = int(history(market).ts[300])
    skipped: list[str] = []
    out = live_daily_returns(cfg, market, cfg_for("1h"), start_ms=start, skipped=skipped)
    assert f"challenger:{a.name}" in out and len(out[f"challenger:{a.name}"]) >= 10
    assert set(registry.names()) <= set(out)
    assert any(b.name in s and "not valid JSON" in s for s in skipped)
    (cfg / "enable_map.yaml").write_text("regimes: {}\n")
    skipped.clear()
    assert live_daily_returns(cfg, market, cfg_for("1h"), start_ms=start,
                              skipped=skipped) == {}
    assert skipped and "enable map" in skipped[0]
