"""StrategySelectionAgent: who runs on a bar, isolation of failures, cooldown, owner exits."""

from __future__ import annotations

import numpy as np

from ats.brain.agents import RiskInput, SelectionInput, StrategySelectionAgent
from ats.brain.tools import ToolContext, default_registry
from ats.config.models import Challenger, EnableMap, Governance
from ats.domain import Bars, InstrumentSpec, Position, Regime, Side, StrategySignal
from tests.brain.fakes import ScriptedStrategy, always_long, raising

T0 = 1_767_571_200_000
GOV = Governance()


def bars(n: int = 60) -> Bars:
    close = np.linspace(100.0, 101.0, n)
    ts = T0 + np.arange(n, dtype=np.int64) * 60_000
    return Bars.from_arrays("X", "1m", ts, close, close * 1.001, close * 0.999, close,
                            np.ones(n))


def agent(strategies: dict[str, object], *, em: EnableMap,
          challengers: dict[str, object] | None = None) -> StrategySelectionAgent:
    ctx = ToolContext(governance=GOV, enable_map=em)
    return StrategySelectionAgent(default_registry(), ctx, strategies, challengers)


def em_for(*names: str, cooldown: int = 0, challengers: tuple[Challenger, ...] = ()
           ) -> EnableMap:
    regimes = {r: names for r in Regime}
    regimes[Regime.PANIC] = ()
    return EnableMap(regimes=regimes, cooldown_bars=cooldown, challengers=challengers)


def inp(regime: Regime = Regime.TREND_UP, position: Position | None = None,
        n: int = 60) -> SelectionInput:
    return SelectionInput("X", "1m", bars(n), regime, T0 + n * 60_000, position=position)


def test_skip_reasons_and_candidates() -> None:
    a = ScriptedStrategy("a", always_long("a"))
    slow = ScriptedStrategy("slow", always_long("slow"), bars_needed=500)
    picky = ScriptedStrategy("picky", always_long("picky"), regimes=(Regime.RANGE_LOWVOL,))
    other_tf = ScriptedStrategy("h", always_long("h"), timeframe="1h")
    ag = agent({"a": a, "slow": slow, "picky": picky, "h": other_tf},
               em=em_for("a", "slow", "picky", "h", "ghost"))
    res = ag.select(inp())
    assert [c.strategy for c in res.candidates] == ["a"]
    assert len(res.signals) == 1 and res.signals[0].strategy == "a"
    assert "warming up" in res.skipped["slow"] and "regime" in res.skipped["picky"]
    assert res.skipped["ghost"] == "unknown strategy" and "h" not in res.skipped
    assert ag.select(inp(Regime.PANIC)).signals == []  # panic enables nothing


def test_failures_are_isolated_and_disable_after_three() -> None:
    bad = ScriptedStrategy("bad", raising(ValueError("nan in the input")))
    good = ScriptedStrategy("good", always_long("good"))
    ag = agent({"bad": bad, "good": good}, em=em_for("bad", "good"))
    for i in range(3):
        res = ag.select(inp())
        assert "nan in the input" in res.errors["bad"] and len(res.signals) == 1
        assert ag.error_counts["bad"] == i + 1
    assert "bad" in ag.disabled
    res = ag.select(inp())
    assert bad.calls == 3 and "disabled" in res.skipped["bad"] and not res.errors


def test_cooldown_blocks_entries_but_the_owner_still_exits() -> None:
    def enter_or_exit(ctx):  # type: ignore[no-untyped-def]
        b = ctx.bars
        if ctx.position is not None:
            return [StrategySignal("s", "X", "1m", Side.SELL, float(b.close[-1]), None, 1.0,
                                   "exit", T0, is_exit=True)]
        return always_long("s")(ctx)

    s = ScriptedStrategy("s", enter_or_exit)
    ag = agent({"s": s}, em=em_for("s", cooldown=5))
    first = ag.select(inp())
    assert first.signals and not first.signals[0].is_exit
    ag.registry.call("manage_cooldown", ag.ctx, action="entered", strategy="s", symbol="X",
                     ts=T0 + 60 * 60_000)
    blocked = ag.select(inp())
    assert blocked.signals == [] and "cooldown" in blocked.skipped["s"]
    pos = Position("X", 1.0, 100.0, T0, strategy="s")
    out = ag.select(inp(Regime.PANIC, position=pos))  # not enabled in panic, but it owns X
    assert [sig.is_exit for sig in out.signals] == [True]
    foreign = Position("X", 1.0, 100.0, T0, strategy="someone_else")
    assert ag.select(inp(Regime.PANIC, position=foreign)).signals == []


def test_challengers_signal_in_shadow_only() -> None:
    ch = ScriptedStrategy("ch", always_long("ch"))
    ag = agent({}, em=em_for(challengers=(Challenger(name="ch"),)), challengers={"ch": ch})
    res = ag.select(inp())
    assert res.signals == [] and len(res.shadow_signals) == 1
    assert res.candidates[0].shadow


def test_partial_exit_closes_the_asked_fraction() -> None:
    from ats.brain.agents import RiskManagerAgent
    from ats.domain import Fill
    from ats.portfolio import PortfolioController

    pf = PortfolioController(GOV, 10_000.0)
    pf.apply_fill(Fill("f", "o", "X", Side.BUY, 1.0, 100.0, 0.0, T0), stop=95.0, strategy="s")
    risk = RiskManagerAgent(default_registry(), ToolContext(governance=GOV, portfolio=pf))
    spec = {"X": InstrumentSpec("X", "mock", "index", 0.01, 0.1, 0.1)}
    half = StrategySignal("s", "X", "1m", Side.SELL, 101.0, None, 1.0, "half", T0,
                          is_exit=True, meta={"qty_fraction": 0.5})
    assert risk.evaluate(RiskInput([half], {}, spec)).exits[0].qty == 0.5
    most = StrategySignal("s", "X", "1m", Side.SELL, 101.0, None, 1.0, "most", T0,
                          is_exit=True, meta={"qty_fraction": 0.95})
    assert risk.evaluate(RiskInput([most], {}, spec)).exits[0].qty == 1.0  # tiny rest: all
