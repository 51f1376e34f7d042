"""The whole brain on the mock market: FixedClock advanced bar by bar, a real SQLite DAO."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ats.brain.state import GRAPH_NODES
from ats.cli.main import main
from ats.domain import OrderStatus, Regime, Side, StrategySignal
from broker_adapters.mock import Scenario
from tests.brain.fakes import ScriptedStrategy, always_long, raising
from tests.brain.helpers import MINUTE, START, config_dir, cycles, make_brain


async def test_ten_cycles_trade_journal_and_fill_the_snapshot(tmp_path: Path) -> None:
    cfg = config_dir(tmp_path, strategies=["longer"])
    strat = ScriptedStrategy("longer", always_long("longer"))
    orch, clock = make_brain(tmp_path, {"longer": strat}, cfg=cfg)
    seen = []
    orch.add_sink(seen.append)
    await orch.start()
    snaps = await cycles(orch, clock, 10)
    last = snaps[-1]
    assert len(seen) == 10 and seen[-1] is orch.snapshot is last
    assert last.cycle == 10 and last.connected and last.run_id == "t1"
    assert last.orders_total > 0 and last.fills_total > 0
    assert {a.id for a in last.agents} == set(GRAPH_NODES)
    assert all(a.state in ("ok", "warn") for a in last.agents)
    assert len(last.regimes) == 3 and all(r.held_bars >= 1 for r in last.regimes)
    assert {s.name: s.status for s in last.strategies}["longer"] in ("active", "enabled")
    assert last.tool_stats["place_order"].calls > 0 and last.tool_stats["plan_stops"].calls > 0
    assert set(last.stage_latency_ms) == set(GRAPH_NODES) and last.cycle_latency_ms > 0
    assert len(last.equity_history) == 10 and last.equity > 0
    assert last.last_journal_id is not None
    assert any(e.active for e in snaps[0].edges)
    orders = orch.dao.load_orders(run_id="t1")
    assert orders and all(o.status in (OrderStatus.FILLED, OrderStatus.NEW) for o in orders)
    assert len(orch.dao.load_fills(run_id="t1")) == last.fills_total
    cyc = orch.dao.journal_tail(20, kind="cycle", run_id="t1")
    assert len(cyc) == 10 and cyc[-1].payload["cycle"] == 10
    assert any(r.payload["orders"] for r in cyc)
    assert orch.dao.search("longer")
    assert "timings_ms" in cyc[-1].payload
    await orch.stop()
    from storage.dao import PersistDAO

    with PersistDAO(tmp_path / "ats.db") as dao:
        run = dao.get_run("t1")
    assert run is not None and run["summary"]["cycles"] == 10
    assert run["summary"]["orders"] == last.orders_total


async def test_no_new_bar_means_monitor_only(tmp_path: Path) -> None:
    cfg = config_dir(tmp_path, strategies=["longer"])
    strat = ScriptedStrategy("longer", always_long("longer"))
    orch, clock = make_brain(tmp_path, {"longer": strat}, cfg=cfg)
    await orch.start()
    await cycles(orch, clock, 1)
    calls = strat.calls
    snap = await orch.run_cycle()  # same minute: no bar closed
    assert strat.calls == calls and snap.cycle == 2
    assert not next(e for e in snap.edges if e.source == "brain").active
    await orch.stop()


async def test_correlated_market_turns_safe_mode_on(tmp_path: Path) -> None:
    cfg = config_dir(tmp_path, strategies=["longer"])
    syms = ("AAA", "BBB", "CCC")
    orch, clock = make_brain(tmp_path, {"longer": ScriptedStrategy("longer", lambda c: [])},
                             cfg=cfg, symbols=syms, correlation=0.99, cross_correlation=0.99)
    await orch.start()
    snap = (await cycles(orch, clock, 2))[-1]
    assert snap.risk.safe_mode and snap.risk.max_correlation >= 0.65
    assert snap.risk.risk_cap < snap.risk.portfolio_cap
    await orch.stop()


def _losing_scenario(symbols: tuple[str, ...]) -> Scenario:
    """Half an hour of calm, then a panic: longs gap through their stops."""
    return Scenario(segments=((Regime.RANGE_LOWVOL, 30), (Regime.PANIC, 120)), timeframe="1m")


async def test_losing_day_trips_the_daily_lock_at_the_right_cycle(tmp_path: Path) -> None:
    cfg = config_dir(tmp_path, strategies=["longer"])
    syms = ("BTC/USDT:USDT", "ETH/USDT:USDT")
    longer = ScriptedStrategy("longer", always_long("longer"))
    orch, clock = make_brain(tmp_path, {"longer": longer}, cfg=cfg, symbols=syms,
                             scenario=_losing_scenario(syms))
    await orch.start()
    limit = -orch.governance.locks.daily_max_loss
    tripped = None
    for i in range(150):
        clock.advance(MINUTE)
        snap = await orch.run_cycle()
        if snap.risk.daily_lock:
            tripped = i
            assert snap.risk.daily_pnl <= limit + 1e-12
            break
        assert snap.risk.daily_pnl > limit  # never locked before the limit
    assert tripped is not None, "the scripted losing day never reached the daily limit"
    assert tripped > 30  # not during the calm half hour
    locks = orch.dao.journal_tail(10, kind="lock", run_id="t1")
    assert any("daily lock" in r.text for r in locks)
    after = await cycles(orch, clock, 5)
    entries = [o for o in orch.dao.load_orders(run_id="t1") if not o.reduce_only]
    assert all(o.ts <= snap.ts for o in entries)  # no new entries once locked
    assert after[-1].risk.daily_lock  # held for the rest of the UTC day
    last = orch.dao.journal_tail(1, kind="cycle", run_id="t1")[0].payload
    assert last["errors"] == {} and "daily lock" in last["warnings"]["risk"]  # a lock, no fault
    assert orch.dao.search('"daily lock"')
    res = CliRunner().invoke(main, ["unlock", "--daily-lock", "--reason", "reviewed",
                                    "--db", str(tmp_path / "ats.db")])
    assert res.exit_code == 0, res.output
    released = (await cycles(orch, clock, 1))[0]
    assert not released.risk.daily_lock and abs(released.risk.daily_pnl) < 0.018
    await orch.stop()


async def test_drawdown_trips_kill_switch_and_restart_keeps_it(tmp_path: Path) -> None:
    # Kelly off: after 20 straight losses the strategy's own record would stop it (Kelly
    # on measured odds) before the drawdown reaches the kill switch this test is about; a
    # bigger budget because fees and slippage now count in the risk and shrink each trade.
    cfg = config_dir(tmp_path, strategies=["longer"],
                     governance={"locks": {"daily_max_loss": 0.2},
                                 "risk": {"kelly_cap": False, "base_risk_per_trade": 0.02,
                                          "max_risk_per_trade": 0.03}})
    syms = ("BTC/USDT:USDT", "ETH/USDT:USDT")
    db = tmp_path / "k.db"
    longer = ScriptedStrategy("longer", always_long("longer"))
    # Stops rest in the paper engine and fill where touched, and sizing shrinks as the
    # drawdown nears the limit: only a gap through the stops (a crash that opens 3 % lower)
    # can carry the account past the kill switch.
    crash = Scenario(start_ms=START + 30 * MINUTE, drift_per_hour={s: -1.0 for s in syms},
                     gaps={s: ((START + 20 * MINUTE, -0.03),) for s in syms})
    orch, clock = make_brain(tmp_path, {"longer": longer}, cfg=cfg, symbols=syms,
                             scenario=crash, db=db)
    await orch.start()
    for _ in range(150):
        clock.advance(MINUTE)
        snap = await orch.run_cycle()
        if snap.risk.kill_switch:
            break
        assert snap.risk.trailing_dd > -0.035
    assert snap.risk.kill_switch and snap.risk.trailing_dd <= -0.035
    assert "kill switch" in snap.risk.lock_reason
    held = {s: p.qty for s, p in orch.portfolio.positions.items()}
    await orch.stop()
    again, clock2 = make_brain(tmp_path, {"longer": ScriptedStrategy("longer",
                                                                    always_long("longer"))},
                               cfg=cfg, symbols=syms, clock=clock, db=db, run_id="t2")
    await again.start()
    snap2 = (await cycles(again, clock, 3))[-1]
    assert snap2.risk.kill_switch and snap2.orders_total == 0
    # The account is durable: what was held comes back (no entry wanted there); every symbol
    # the strategy wants and does not hold is refused by the kill switch.
    assert {s: p.qty for s, p in again.portfolio.positions.items()
            if s in held} == {s: q for s, q in held.items() if s in again.portfolio.positions}
    if set(again.portfolio.positions) != set(syms):
        assert snap2.rejections.get("kill_switch", 0) > 0
    else:
        assert {s: p.qty for s, p in again.portfolio.positions.items()} == held
    await again.unlock_kill_switch("tested the restart")
    assert not again.snapshot.risk.kill_switch
    assert any("tested the restart" in r.text for r in again.dao.journal_tail(5, kind="unlock"))
    snap3 = (await cycles(again, clock, 2))[-1]
    assert not snap3.risk.kill_switch  # the drawdown was re-based at the unlock
    await again.engage_kill_switch("manual test")
    assert again.snapshot.risk.kill_switch
    await again.stop()


async def test_raising_strategy_is_isolated_then_disabled(tmp_path: Path) -> None:
    cfg = config_dir(tmp_path, strategies=["broken", "longer"])
    broken = ScriptedStrategy("broken", raising(RuntimeError("bad math")))
    longer = ScriptedStrategy("longer", always_long("longer"))
    orch, clock = make_brain(tmp_path, {"broken": broken, "longer": longer}, cfg=cfg,
                             symbols=("BTC/USDT:USDT",))
    await orch.start()
    first = (await cycles(orch, clock, 1))[0]
    node = {a.id: a for a in first.agents}["strategy"]
    assert node.state == "error" and "bad math" in node.last_error
    assert first.orders_total > 0  # the healthy strategy still traded
    snaps = await cycles(orch, clock, 3)
    views = {s.name: s for s in snaps[-1].strategies}
    assert views["broken"].status == "disabled" and views["broken"].errors == 3
    assert broken.calls == 3
    assert orch.summary()["errors"] >= 3  # each raising call counted as an error
    assert {a.id: a.state for a in snaps[-1].agents}["strategy"] == "warn"
    await orch.stop()


async def test_failing_agent_turns_its_node_red_and_the_cycle_goes_on(tmp_path: Path) -> None:
    cfg = config_dir(tmp_path, strategies=["longer"])
    orch, clock = make_brain(tmp_path, {"longer": ScriptedStrategy("longer",
                                                                  always_long("longer"))},
                             cfg=cfg, symbols=("BTC/USDT:USDT",))
    await orch.start()

    def boom(*a: object, **k: object) -> None:
        raise ZeroDivisionError("risk exploded")

    orch.risk_agent.evaluate = boom  # type: ignore[method-assign]
    snap = (await cycles(orch, clock, 1))[0]
    states = {a.id: a for a in snap.agents}
    assert states["risk"].state == "error" and "risk exploded" in states["risk"].last_error
    assert snap.orders_total == 0 and states["monitor"].state == "ok"
    await orch.stop()


async def test_governance_edit_locks_trading(tmp_path: Path) -> None:
    cfg = config_dir(tmp_path, strategies=["longer"])
    orch, clock = make_brain(tmp_path, {"longer": ScriptedStrategy("longer",
                                                                  always_long("longer"))},
                             cfg=cfg, symbols=("BTC/USDT:USDT", "EURUSD"))
    await orch.start()
    with (cfg / "governance.yaml").open("a") as fh:
        fh.write("\n# edited while running\n")
    snaps = await cycles(orch, clock, 2)
    assert snaps[-1].risk.governance_locked
    assert "governance" in snaps[-1].risk.lock_reason and snaps[-1].orders_total == 0
    assert snaps[-1].rejections.get("governance_lock", 0) > 0
    assert orch.dao.search("governance")
    await orch.stop()


async def test_challenger_runs_in_shadow_and_never_sends(tmp_path: Path) -> None:
    cfg = config_dir(tmp_path, strategies=["quiet"], challengers=[{"name": "chall"}])
    quiet = ScriptedStrategy("quiet", lambda c: [])
    chall = ScriptedStrategy("chall", always_long("chall"))
    orch, clock = make_brain(tmp_path, {"quiet": quiet, "chall": chall}, cfg=cfg,
                             symbols=("BTC/USDT:USDT", "ETH/USDT:USDT"))
    await orch.start()
    snaps = await cycles(orch, clock, 30)
    assert snaps[-1].orders_total == 0 and chall.calls > 0
    view = {s.name: s for s in snaps[-1].strategies}["chall"]
    assert view.status == "shadow" and view.shadow and "shadow PnL" in (view.last_signal or "")
    score = orch.shadow.scores["chall"]
    assert score.plans > 0
    assert not [o for o in orch.dao.load_orders() if o.strategy == "chall"]
    shadow_text = [r for r in orch.dao.journal_tail(30, kind="cycle") if r.payload["shadow"]]
    assert shadow_text and "chall" in shadow_text[0].text
    await orch.stop()


async def test_lost_connection_is_reported_and_recovered(tmp_path: Path) -> None:
    cfg = config_dir(tmp_path, strategies=["longer"])
    orch, clock = make_brain(tmp_path, {"longer": ScriptedStrategy("longer",
                                                                  always_long("longer"))},
                             cfg=cfg, symbols=("BTC/USDT:USDT",))
    await orch.start()
    await cycles(orch, clock, 1)
    orch.adapter.venue.fail_next(2)
    down = (await cycles(orch, clock, 1))[0]
    assert not down.connected and {a.id: a.state for a in down.agents}["brain"] == "error"
    assert orch.dao.search("lost")
    up = (await cycles(orch, clock, 2))[-1]
    assert up.connected
    await orch.stop()


async def test_exit_signal_closes_the_position(tmp_path: Path) -> None:
    cfg = config_dir(tmp_path, strategies=["flip"])

    def flip(ctx):  # type: ignore[no-untyped-def]
        b = ctx.bars
        ts = int(b.ts[-1]) + MINUTE
        px = float(b.close[-1])
        if ctx.position is not None and ctx.position.qty:
            return [StrategySignal("flip", ctx.symbol, "1m", Side.SELL, px, None, 1.0, "out", ts,
                                   is_exit=True, meta={"qty_fraction": 1.0})]
        return [StrategySignal("flip", ctx.symbol, "1m", Side.BUY, px, None, 0.8, "in", ts)]

    orch, clock = make_brain(tmp_path, {"flip": ScriptedStrategy("flip", flip)}, cfg=cfg,
                             symbols=("BTC/USDT:USDT",))
    await orch.start()
    s1 = (await cycles(orch, clock, 1))[0]
    assert len(s1.positions) == 1 and s1.positions[0].strategy == "flip"
    s2 = (await cycles(orch, clock, 1))[0]
    assert not [p for p in s2.positions if p.qty]
    assert len(orch.portfolio.closed_trades) == 1
    await orch.stop()


@pytest.mark.parametrize("paused", [True])
async def test_pause_blocks_entries(tmp_path: Path, paused: bool) -> None:
    cfg = config_dir(tmp_path, strategies=["longer"])
    orch, clock = make_brain(tmp_path, {"longer": ScriptedStrategy("longer",
                                                                  always_long("longer"))},
                             cfg=cfg, symbols=("BTC/USDT:USDT",))
    await orch.start()
    orch.pause()
    orch.set_focus("BTC/USDT:USDT")
    snap = (await cycles(orch, clock, 2))[-1]
    assert snap.paused and snap.orders_total == 0 and snap.focus_symbol == "BTC/USDT:USDT"
    assert snap.rejections.get("paused", 0) == 2
    orch.resume()
    assert (await cycles(orch, clock, 1))[0].orders_total > 0
    assert orch.bars("BTC/USDT:USDT") is not None and orch.bars("NOPE") is None
    await orch.stop()


async def test_restart_reconciles_positions_and_orders_it_left_behind(tmp_path: Path) -> None:
    from ats.domain import Order, OrderType, Position
    from storage.dao import PersistDAO

    cfg = config_dir(tmp_path, strategies=["quiet"])
    db = tmp_path / "r.db"
    with PersistDAO(db) as dao:
        dao.record_order(Order("old-1", "BTC/USDT:USDT", Side.BUY, 0.01, OrderType.MARKET,
                               OrderStatus.NEW, START - MINUTE, venue="paper:mock"), "old")
        dao.upsert_position(Position("BTC/USDT:USDT", 0.01, 60_000.0, START - MINUTE,
                                     stop=59_000.0, venue="paper:mock"), "old")
    orch, clock = make_brain(tmp_path, {"quiet": ScriptedStrategy("quiet", lambda c: [])},
                             cfg=cfg, symbols=("BTC/USDT:USDT",), db=db, run_id="new")
    await orch.start()
    texts = [r.text for r in orch.dao.journal_tail(20, kind="reconcile")]
    assert any("old-1" in t and "canceled" in t for t in texts)
    assert any("BTC/USDT:USDT: database has 0.01" in t for t in texts)
    assert [o.status for o in orch.dao.load_orders(open_only=True)] == []
    # an unexplained position difference: no trading, the ledger left for `ats doctor`
    assert any("trading refused" in t for t in texts)
    assert orch.lock_status().blocked and orch.lock_status().code == "reconcile"
    assert [p.qty for p in orch.dao.load_positions()] == [0.01]
    await orch.stop()


async def test_signals_are_recorded_with_their_fate(tmp_path: Path) -> None:
    cfg = config_dir(tmp_path, strategies=["longer"])
    orch, clock = make_brain(tmp_path, {"longer": ScriptedStrategy("longer",
                                                                  always_long("longer"))},
                             cfg=cfg, symbols=("BTC/USDT:USDT",))
    await orch.start()
    await cycles(orch, clock, 3)
    rows = orch.dao.load_signals(run_id="t1")
    assert rows and any(r["accepted"] for r in rows)
    await orch.stop()


async def test_kill_switch_released_by_the_cli_while_running(tmp_path: Path) -> None:
    cfg = config_dir(tmp_path, strategies=["quiet"])
    orch, clock = make_brain(tmp_path, {"quiet": ScriptedStrategy("quiet", lambda c: [])},
                             cfg=cfg, symbols=("BTC/USDT:USDT",))
    await orch.start()
    await orch.engage_kill_switch("news")
    assert (await cycles(orch, clock, 1))[0].risk.kill_switch
    res = CliRunner().invoke(main, ["unlock", "--kill-switch", "--reason", "all clear",
                                    "--db", str(tmp_path / "ats.db")])
    assert res.exit_code == 0, res.output
    snap = (await cycles(orch, clock, 1))[0]
    assert not snap.risk.kill_switch
    assert any("released by ats unlock" in r.text for r in orch.dao.journal_tail(5,
                                                                                kind="unlock"))
    await orch.stop()


async def test_risk_view_shows_the_engine_budget_and_zero_when_locked(tmp_path: Path) -> None:
    cfg = config_dir(tmp_path, strategies=["longer"])
    orch, clock = make_brain(tmp_path, {"longer": ScriptedStrategy("longer", lambda ctx: [])},
                             cfg=cfg, symbols=("BTC/USDT:USDT",))
    await orch.start()
    snap = (await cycles(orch, clock, 1))[0]
    g = orch.governance.risk
    # flat book, flat day: exactly the base risk, not the per-trade maximum
    assert snap.risk.risk_per_trade == pytest.approx(g.base_risk_per_trade)
    assert snap.risk.base_risk == pytest.approx(g.base_risk_per_trade)
    await orch.engage_kill_switch("test")
    snap = (await cycles(orch, clock, 1))[0]
    assert snap.risk.kill_switch and snap.risk.risk_per_trade == 0.0
    await orch.stop()


async def test_paper_stop_rests_in_the_engine_and_fills_at_the_stop_price(
        tmp_path: Path) -> None:
    """The whole brain on the mock market (paper): an entry's stop rests in the paper engine
    and fills inside the bar that touched it, at the stop price — not at the bar's close and
    not by a market exit from the brain's bar-close check (which would fill near the close)."""
    cfg = config_dir(tmp_path, strategies=["tight"])
    sym = "BTC/USDT:USDT"
    entered: list[float] = []

    def tight(ctx):  # type: ignore[no-untyped-def]
        if entered or (ctx.position is not None and ctx.position.qty):
            return []
        b = ctx.bars
        px = float(b.close[-1])
        entered.append(px)
        return [StrategySignal("tight", sym, "1m", Side.BUY, px, px * 0.999, 0.9, "in",
                               int(b.ts[-1]) + MINUTE, take_hint=px * 1.5)]

    orch, clock = make_brain(tmp_path, {"tight": ScriptedStrategy("tight", tight)}, cfg=cfg,
                             symbols=(sym,))
    await orch.start()
    stop = None
    for _ in range(240):
        snap = (await cycles(orch, clock, 1))[0]
        plans = orch.dao.journal_tail(1, kind="cycle", run_id="t1")[0].payload["plans"]
        stop = plans[0]["stop"] if plans else stop
        if entered and not [p for p in snap.positions if p.qty]:
            break
    assert stop is not None and entered
    fills = orch.dao.load_fills(run_id="t1")
    exits = [f for f in fills if f.side is Side.SELL]
    assert [f.client_order_id.endswith("-sl") for f in exits] == [True]
    (ex,) = exits
    assert ex.price == pytest.approx(stop)  # where the price touched it
    market = orch.adapter.venue  # the mock under the paper broker
    bars = await market.history(sym, "1m", ex.ts - MINUTE, 1)
    assert bars.ts[0] == ex.ts - MINUTE  # the fill carries the touching bar's close time
    assert bars.low[0] <= stop <= bars.open[0]  # touched inside the bar, not gapped through
    assert ex.price != pytest.approx(float(bars.close[0]))
    cyc = orch.dao.journal_tail(300, kind="cycle", run_id="t1")
    assert not any(r.payload["exits"] for r in cyc)  # the fallback never had to act
    assert not any(r.payload["rejections"] for r in cyc)
    assert any(f["price"] == ex.price for r in cyc for f in r.payload["fills"])
    assert len(orch.portfolio.closed_trades) == 1
    await orch.stop()


async def test_trailed_stop_moves_at_the_venue_and_fills_there(tmp_path: Path) -> None:
    """A stop moved in the book (trailing) is moved at the venue on the same cycle, and the
    venue closes the position at the new level."""
    cfg = config_dir(tmp_path, strategies=["once"])
    sym = "BTC/USDT:USDT"
    entered: list[float] = []

    def once(ctx):  # type: ignore[no-untyped-def]
        if entered:
            return []
        b = ctx.bars
        px = float(b.close[-1])
        entered.append(px)
        return [StrategySignal("once", sym, "1m", Side.BUY, px, px * 0.95, 0.9, "in",
                               int(b.ts[-1]) + MINUTE, take_hint=px * 1.5)]

    orch, clock = make_brain(tmp_path, {"once": ScriptedStrategy("once", once)}, cfg=cfg,
                             symbols=(sym,))
    await orch.start()
    await cycles(orch, clock, 1)
    engine = orch.adapter.engine
    wide = engine.protection(sym)["sl"].stop_price
    market = orch.adapter.venue  # the mock: a function of time, so the test can look ahead
    k = (clock.now_ms() - market.origin_ms) // MINUTE
    near = market.bars_between(sym, "1m", k - 1, k + 2)  # replayed around the move
    later = market.bars_between(sym, "1m", k + 2, k + 180)
    floor = float(min(near.low)) - 1.0  # 10 ticks of margin below what is seen first
    tight = float(max(lo for lo in later.low if lo < floor))  # touched later, not before
    orch.portfolio.set_stops(sym, stop=tight)
    await cycles(orch, clock, 1)
    legs = engine.protection(sym)
    if legs:  # still open: the venue's stop is the trailed one now
        assert legs["sl"].stop_price == tight != wide
        assert legs["tp"].limit_price == pytest.approx(entered[0] * 1.5, rel=1e-3)
    for _ in range(240):
        if not [p for p in orch.snapshot.positions if p.qty]:
            break
        await cycles(orch, clock, 1)
    exits = [f for f in orch.dao.load_fills(run_id="t1") if f.side is Side.SELL]
    assert len(exits) == 1 and exits[0].price == pytest.approx(tight)
    assert exits[0].client_order_id.rsplit("-", 1)[-1].startswith("sl")
    moved = [r.text for r in orch.dao.journal_tail(50, kind="event", run_id="t1")]
    assert any("protection at" in t and str(tight) in t for t in moved)
    await orch.stop()
