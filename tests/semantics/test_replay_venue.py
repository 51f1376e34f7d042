"""The replay venue: what it reads, what the brain may see at each instant, and the CLI."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from ats.cli.main import main
from ats.domain.costs import CostModel
from broker_adapters.replay import BarsFileError, ReplayVenue, load_bars_file, resample
from tests.semantics.replay_helpers import bars_from_closes

H1 = 3_600_000
REPO = Path(__file__).resolve().parents[2]


def frame(n: int = 300, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = bars_from_closes(100 + np.cumsum(rng.normal(0, 0.5, n)), H1, rng, wick=0.2)
    f["spread"] = 0.02
    return f


def test_loader_reads_csv_and_parquet_and_infers_the_timeframe(tmp_path: Path) -> None:
    f = frame(50)
    f.to_csv(tmp_path / "a.csv", index=False)
    f.rename(columns={"ts": "Time"}).to_parquet(tmp_path / "a.parquet")
    a = load_bars_file(tmp_path / "a.csv", "X")
    b = load_bars_file(tmp_path / "a.parquet", "X")
    assert a.timeframe == b.timeframe == "1h" and len(a) == len(b) == 50
    assert np.array_equal(a.ts, b.ts) and np.array_equal(a.close, b.close)
    assert a.spread[0] == pytest.approx(0.02)


def test_loader_reads_a_pandas_datetime_index_csv(tmp_path: Path) -> None:
    f = frame(30)
    idx = pd.to_datetime(f["ts"], unit="ms")
    f.drop(columns="ts").set_axis(idx).rename(columns=str.capitalize).to_csv(tmp_path / "d.csv")
    b = load_bars_file(tmp_path / "d.csv", "X")
    assert int(b.ts[0]) == int(f["ts"][0]) and len(b) == 30


@pytest.mark.parametrize(("mutate", "words"), [
    (lambda f: f.drop(columns="close"), "missing column(s) close"),
    (lambda f: pd.concat([f, f.iloc[[3]]]), "two bars at the same time"),
    (lambda f: f.assign(high=f["low"] - 1), "low/high outside open/close"),
    (lambda f: f.assign(close=f["close"].astype(object).where(f.index != 7, "x")),
     "is not a number"),
])
def test_loader_refuses_bad_files_in_one_line(tmp_path: Path, mutate, words: str) -> None:
    mutate(frame(20)).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(BarsFileError) as err:
        load_bars_file(tmp_path / "bad.csv", "X")
    assert words in str(err.value) and "\n" not in str(err.value)
    assert str(tmp_path / "bad.csv") in str(err.value)


def test_resample_matches_a_direct_aggregation() -> None:
    b = load_bars_from(frame(48))
    four = resample(b, "4h")
    assert four.ts[1] % (4 * H1) == 0  # buckets align with the epoch, like a venue's
    i = int(np.searchsorted(b.ts, four.ts[1]))  # first 1h bar of the second 4h bucket
    assert four.high[1] == pytest.approx(b.high[i:i + 4].max())
    assert four.low[1] == pytest.approx(b.low[i:i + 4].min())
    assert four.open[1] == b.open[i] and four.close[1] == b.close[i + 3]


def load_bars_from(f: pd.DataFrame):  # type: ignore[no-untyped-def]
    from ats.domain import Bars

    return Bars.from_arrays("X", "1h", f["ts"].to_numpy(), f["open"].to_numpy(),
                            f["high"].to_numpy(), f["low"].to_numpy(), f["close"].to_numpy(),
                            f["volume"].to_numpy(), f["spread"].to_numpy())


def test_the_venue_shows_only_closed_bars_and_quotes_the_next_open() -> None:
    b = load_bars_from(frame(100))
    v = ReplayVenue({"X": b}, warmup_bars=40)

    async def at_start() -> tuple:
        return (await v.latest_bars("X", "1h", 500), await v.quote("X"),
                await v.latest_bars("X", "4h", 500))

    closed, q, four = asyncio.run(at_start())
    assert len(closed) == 40 and closed.ts[-1] == b.ts[39]  # nothing of bar 40 leaks
    bid, ask = CostModel.bar_quote(float(b.open[40]), 0.02)
    assert (q.bid, q.ask) == (pytest.approx(bid), pytest.approx(ask))
    assert all(t + 4 * H1 <= v.clock.now_ms() for t in four.ts)  # only whole 4h bars
    assert v.cycles_left() == 60
    asyncio.run(v.clock.sleep(3600))
    assert len(asyncio.run(v.latest_bars("X", "1h", 500))) == 41
    assert v.bar_range_bps("X") == pytest.approx(
        (b.high[40] - b.low[40]) / b.close[40] * 1e4)


def test_cli_run_and_backtest_on_a_csv(tmp_path: Path) -> None:
    """`ats run --adapter replay --bars` and `ats backtest --engine brain --bars` as a user
    types them: a summary and the lab's metrics table, nothing written beside the data."""
    rng = np.random.default_rng(1)
    up = 100 + np.cumsum(0.35 + rng.normal(0, 0.6, 420))
    down = up[-1] + np.cumsum(-0.4 + rng.normal(0, 0.6, 200))
    f = bars_from_closes(np.r_[up, down], 4 * H1, rng, wick=0.3)
    path = tmp_path / "XYZ.csv"
    f.to_csv(path, index=False)
    runner = CliRunner()
    env = {"ATS_DB": str(tmp_path / "run.db")}
    res = runner.invoke(main, ["run", "--adapter", "replay", "--bars", str(path), "--symbols",
                               "XYZ/USDT", "--db", str(tmp_path / "run.db"), "--no-metrics"],
                        env=env)
    assert res.exit_code == 0, res.output
    assert "replay" in res.output and "Cycles" in res.output
    res = runner.invoke(main, ["backtest", "breakout_4h", "--engine", "brain", "--bars",
                               str(path), "--symbol", "XYZ/USDT"], env=env)
    assert res.exit_code == 0, res.output
    for word in ("trades", "profit_factor", "max_drawdown", "sharpe", "mar"):
        assert word in res.output
    # the brain backtest kept its database in a temporary directory
    assert {p.name for p in tmp_path.iterdir()} <= {"XYZ.csv", "run.db", "run.db-shm",
                                                    "run.db-wal"}
    res = runner.invoke(main, ["run", "--adapter", "replay", "--no-metrics"], env=env)
    assert res.exit_code != 0 and "exactly one source of bars" in res.output


def test_cli_refuses_a_bad_bars_file_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("ts,open,high\n1,2,3\n")
    res = CliRunner().invoke(main, ["backtest", "breakout_4h", "--engine", "brain", "--bars",
                                    str(tmp_path / "bad.csv")])
    assert res.exit_code != 0 and "missing column(s) low, close" in res.output


def test_backtester_charges_funding_with_the_cost_model() -> None:
    """A position held through funding events pays CostModel.funding_payment at each close
    it is held through; the same trade without funding pays nothing extra."""
    from research_lab.backtest.engine import BacktestConfig, run_backtest
    from research_lab.dsl.evaluate import SignalArrays

    b = load_bars_from(frame(20))
    n = len(b)
    le = np.zeros(n, dtype=bool)
    le[2] = True
    lx = np.zeros(n, dtype=bool)
    lx[8] = True
    z = np.zeros(n, dtype=bool)
    sig = SignalArrays(le, lx, z.copy(), z.copy(), np.full(n, np.nan), np.full(n, np.nan))
    cfg = BacktestConfig(sizing="notional", cost=CostModel())
    funding = np.full(n, np.nan)
    funding[[1, 5, 7, 12]] = 0.001  # events before, during (5, 7) and after the trade
    plain = run_backtest(b, sig, cfg, allow_fast=False)
    paid = run_backtest(b, sig, cfg, funding=funding)
    t = plain.trades
    assert (t.entry_bar[0], t.exit_bar[0]) == (3, 9)
    want = sum(CostModel.funding_payment(t.qty[0] * float(b.close[k]), 0.001) for k in (5, 7))
    assert plain.trades.pnl[0] - paid.trades.pnl[0] == pytest.approx(want)
    assert paid.equity[-1] == pytest.approx(plain.equity[-1] - want)


def test_the_lab_prices_with_the_venues_configured_costs(tmp_path: Path) -> None:
    from ats.config import load_adapters
    from broker_adapters.factory import cost_model_for
    from research_lab.pipeline_ci.market import MarketSpec, cost_model

    cfg = REPO / "configs"
    adapters = load_adapters(cfg / "adapters.yaml")
    assert cost_model(MarketSpec("mock-trending"), cfg) == cost_model_for("mock", adapters)
    f = tmp_path / "EURUSD.csv"
    frame(10).to_csv(f, index=False)
    # recorded bars: the venue's fees and slippage without a depth term (no order book)
    want = dataclasses.replace(cost_model_for("mt5", adapters), depth_impact_bps=0.0)
    assert cost_model(MarketSpec(f"file:{f}", "EURUSD"), cfg) == want


def test_research_on_a_recorded_market_shadows_the_held_out_bars_in_the_brain(
        tmp_path: Path) -> None:
    """The research lab on a file market: history is the first bars, and the shadow stage
    runs the candidate as a challenger in the brain on the replay venue over the bars after
    them (never the research history)."""
    from ats.domain import FixedClock
    from research_lab.dsl.models import StrategySpec
    from research_lab.pipeline_ci.market import MarketSpec, history
    from research_lab.pipeline_ci.pipeline import make_lab
    from research_lab.pipeline_ci.shadow import shadow_run
    from research_lab.pipeline_ci.state import ResearchSettings
    from tests.semantics.test_parity import CANDIDATE

    b = history(MarketSpec("mock-trending", "BTC/USDT:USDT", "1h", history_bars=1400))
    path = tmp_path / "btc.csv"
    pd.DataFrame({"ts": b.ts, "open": b.open, "high": b.high, "low": b.low, "close": b.close,
                  "volume": b.volume, "spread": b.spread}).to_csv(path, index=False)
    market = MarketSpec(f"file:{path}", "BTC/USDT:USDT", "1h", history_bars=1000)
    assert len(history(market)) == 1000 and history(market).ts[-1] == b.ts[999]
    lab = make_lab(REPO / "configs", FixedClock(0))
    spec = StrategySpec.model_validate({**CANDIDATE.model_dump(), "name": "ema_cross_shadow"})
    settings = ResearchSettings(market=market, shadow_cycles=300)
    res = shadow_run(spec, lab, settings, workdir=tmp_path / "shadow")
    assert res["mode"] == "brain" and res["cycles"] == 300 and not res["errors"]
    assert res["plans"] >= 1
    import apsw

    con = apsw.Connection(str(tmp_path / "shadow" / "shadow.db"))
    first = min(r[0] for r in con.execute("SELECT ts FROM journal WHERE kind = 'cycle'"))
    assert first > int(b.ts[999])  # the first shadow cycle is after the research history


def test_replay_from_the_bars_sync_mirrored(tmp_path: Path) -> None:
    """`--from-db`: the bars and instrument `ats sync` stored are replayed, with that
    instrument's own spec (here a perpetual with 0.01 lots) rather than a guessed one."""
    from ats.domain import Bars, InstrumentSpec
    from storage.dao import PersistDAO

    rng = np.random.default_rng(1)
    up = 100 + np.cumsum(0.35 + rng.normal(0, 0.6, 420))
    f = bars_from_closes(np.r_[up, up[-1] + np.cumsum(-0.4 + rng.normal(0, 0.6, 200))],
                         4 * H1, rng, wick=0.3)
    bars = Bars.from_arrays(
        "XYZ/USDT:USDT", "4h", f["ts"].to_numpy(), f["open"].to_numpy(), f["high"].to_numpy(),
        f["low"].to_numpy(), f["close"].to_numpy(), f["volume"].to_numpy())
    db = tmp_path / "ats.db"
    dao = PersistDAO(db)
    dao.upsert_instruments("bingx", [InstrumentSpec("XYZ/USDT:USDT", "bingx", "crypto_perp",
                                                    0.01, 0.01, 0.01, 1.0, "USDT", True)])
    dao.upsert_bars(bars, "bingx")
    dao.close()
    res = CliRunner().invoke(main, ["run", "--adapter", "replay", "--from-db", "--symbols",
                                    "XYZ/USDT:USDT", "--db", str(db), "--no-metrics"],
                             env={"ATS_DB": str(db)})
    assert res.exit_code == 0, res.output
    dao = PersistDAO(db, readonly=True)
    try:
        orders = dao.load_orders()
    finally:
        dao.close()
    assert orders and all(abs(o.qty / 0.01 - round(o.qty / 0.01)) < 1e-9 for o in orders)
    res = CliRunner().invoke(main, ["run", "--adapter", "replay", "--from-db", "--symbols",
                                    "NOPE/USDT", "--db", str(db), "--no-metrics"],
                             env={"ATS_DB": str(db)})
    assert res.exit_code != 0 and "ats sync" in res.output


def test_a_replay_is_reproducible_and_keeps_out_of_the_trading_database(
        tmp_path: Path) -> None:
    """Without --db each replay gets its own database under data/replays/: the same bars
    give the same result twice, and the trading account's database is not touched."""
    rng = np.random.default_rng(1)
    up = 100 + np.cumsum(0.35 + rng.normal(0, 0.6, 420))
    f = bars_from_closes(np.r_[up, up[-1] + np.cumsum(-0.4 + rng.normal(0, 0.6, 200))],
                         4 * H1, rng, wick=0.3)
    path = tmp_path / "XYZ.csv"
    f.to_csv(path, index=False)
    env = {"ATS_DB": str(tmp_path / "data" / "ats.db")}
    outs = []
    for _ in range(2):
        res = CliRunner().invoke(main, ["run", "--bars", str(path), "--symbols", "XYZ/USDT",
                                        "--no-metrics"], env=env)
        assert res.exit_code == 0, res.output
        outs.append([line for line in res.output.splitlines() if "PnL" in line or "Closed"
                     in line or "Orders" in line])
    assert outs[0] == outs[1] and len(outs[0]) == 3
    assert len(list((tmp_path / "data" / "replays").glob("*.db"))) == 2
    assert not (tmp_path / "data" / "ats.db").exists()
