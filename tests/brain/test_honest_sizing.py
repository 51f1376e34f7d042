"""Honest sizing through the real brain: a refusal below the minimum lot reaches the
journal's rejection list (what ``ats audit`` reads), the signals table and the desk; in VST
and demo the brain sizes from VIRTUAL_EQUITY, not from the venue's 100k of play money."""

from __future__ import annotations

from pathlib import Path

from ats.brain.runtime import RunOptions, build_orchestrator
from ats.config import load_adapters, load_settings, load_symbols
from ats.domain import FixedClock, Mode
from broker_adapters.factory import create_adapter
from broker_adapters.mock import MockMarket
from tests.brain.fakes import ScriptedStrategy, always_long
from tests.brain.helpers import START, config_dir, cycles


def _brain(tmp: Path, cfg: Path, env: dict[str, str], symbols: tuple[str, ...],
           mode: Mode = Mode.PAPER, adapter=None):  # type: ignore[no-untyped-def]
    clock = FixedClock(START)
    if adapter is None:
        adapter = create_adapter(
            "mock", mode=mode, adapters_cfg=load_adapters(cfg / "adapters.yaml"),
            symbols_cfg=load_symbols(cfg / "symbols.yaml"),
            settings=load_settings(env=env, dotenv_path=None), clock=clock, seed=7,
            symbols=symbols, history_days=3)
    else:
        adapter = adapter(clock)
    opts = RunOptions(mode=mode, config_dir=cfg, db_path=tmp / "ats.db", clock=clock,
                      symbols=symbols, timeframes=("1m",), skip_feed_check=True, run_id="t1")
    strat = ScriptedStrategy("longer", always_long("longer"))
    return build_orchestrator(opts, adapter=adapter, strategies={"longer": strat},
                              env=env), clock


async def test_below_the_minimum_lot_is_refused_with_its_reason_everywhere(
        tmp_path: Path) -> None:
    cfg = config_dir(tmp_path, strategies=["longer"])
    orch, clock = _brain(tmp_path, cfg, {"VIRTUAL_EQUITY": "300"}, ("XAUUSD",))
    await orch.start()
    snap = (await cycles(orch, clock, 1))[-1]
    rec = orch.dao.journal_tail(1, kind="cycle", run_id="t1")[-1].payload
    assert not rec["plans"] and not rec["orders"]
    rej = [r for r in rec["rejections"] if r["code"] == "below_min_qty"]
    assert rej and rej[0]["symbol"] == "XAUUSD" and rej[0]["strategy"] == "longer"
    assert "the minimum risks" in rej[0]["reason"] and "300.00" in rej[0]["reason"]
    assert snap.rejections.get("below_min_qty") == 1
    view = {s.name: s for s in snap.strategies}["longer"]
    assert view.last_signal and "refused: XAUUSD: size 0 is below the minimum" in \
        view.last_signal
    assert orch.dao.search("minimum")  # the journal text is searchable too
    await orch.stop()


async def test_vst_sizes_from_virtual_equity_not_the_venue_balance(tmp_path: Path) -> None:
    cfg = config_dir(tmp_path, strategies=["longer"])

    def venue(clock):  # type: ignore[no-untyped-def]
        return MockMarket(clock=clock, seed=7, symbols=("BTC/USDT:USDT",), history_days=3,
                          starting_balance=100_000.0, virtual_asset="VST")

    env = {"VIRTUAL_EQUITY": "1000", "MODE": "vst"}
    orch, clock = _brain(tmp_path, cfg, env, ("BTC/USDT:USDT",), mode=Mode.VST,
                         adapter=venue)
    await orch.start()
    assert orch.portfolio.equity > 99_000  # the book follows the venue's balance
    await cycles(orch, clock, 1)
    rec = orch.dao.journal_tail(1, kind="cycle", run_id="t1")[-1].payload
    assert rec["plans"], rec["rejections"]
    plan = rec["plans"][0]
    # BTC quotes in USDT at par: the loss at the stop alone is qty x distance dollars, and
    # it stays within 1 % of VIRTUAL_EQUITY (10), not 1 % of the venue's 100k (1,000).
    at_stop = plan["qty"] * abs(plan["entry"] - plan["stop"])
    assert 0 < at_stop <= 0.010 * 1000
    assert 0 < plan["risk_pct"] <= 0.010  # the planned share is of the capped equity
    await orch.stop()


async def test_paper_mode_has_no_equity_cap(tmp_path: Path) -> None:
    cfg = config_dir(tmp_path, strategies=["longer"])
    orch, _ = _brain(tmp_path, cfg, {"VIRTUAL_EQUITY": "1000"}, ("BTC/USDT:USDT",))
    assert orch.ctx.equity_cap is None
    await orch.stop()


async def test_kelly_stops_a_strategy_on_its_own_losing_record(tmp_path: Path) -> None:
    """Confidence 0.7 says nothing; 20 measured losses in a falling market do."""
    from broker_adapters.mock import Scenario
    from tests.brain.helpers import MINUTE, make_brain

    cfg = config_dir(tmp_path, strategies=["longer"],
                     governance={"locks": {"daily_max_loss": 0.2,
                                           "trailing_dd_kill_switch": 0.5}})
    syms = ("BTC/USDT:USDT", "ETH/USDT:USDT")
    crash = Scenario(start_ms=START + 30 * MINUTE, drift_per_hour={s: -1.0 for s in syms})
    orch, clock = make_brain(tmp_path, {"longer": ScriptedStrategy("longer", always_long(
        "longer"))}, cfg=cfg, symbols=syms, scenario=crash)
    await orch.start()
    refused = None
    for _ in range(200):
        await cycles(orch, clock, 1)
        rec = orch.dao.journal_tail(1, kind="cycle", run_id="t1")[-1].payload
        neg = [r for r in rec["rejections"] if r["code"] == "negative_edge"]
        if neg:
            refused = neg[0]
            break
    assert refused is not None, "Kelly never refused the losing strategy"
    assert "Kelly on longer's last" in refused["reason"] and "win rate" in refused["reason"]
    closed = [t for t in orch.portfolio.closed_trades if t.r_multiple is not None]
    assert len(closed) >= 20  # only its own measured record, never the signal's confidence
    await orch.stop()
