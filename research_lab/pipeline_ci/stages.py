"""The pipeline's stages over a ``RunState``: generate → backtest → walk-forward → gates →
shadow → promote. Each stage records, per candidate, whether it passed and the numbers why.

A candidate only enters a stage if it passed the one before; the ``trials`` count used by
the deflated Sharpe gate is every candidate generated times the walk-forward variants, so
generating more candidates raises the bar each of them has to clear.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from ats.config.models import Governance
from ats.domain import Bars
from ats.domain.clock import Clock, ms_to_datetime
from ats.i18n.said import Said
from research_lab.backtest.engine import BacktestConfig, for_timeframe, run_backtest
from research_lab.backtest.lookahead import check_lookahead, spec_signal_fn
from research_lab.dsl.evaluate import evaluate
from research_lab.dsl.models import StrategySpec
from research_lab.pipeline_ci import market as mk
from research_lab.pipeline_ci.executor import Executor
from research_lab.pipeline_ci.gates import GateConfig, evaluate_gates
from research_lab.pipeline_ci.live import daily_returns, live_daily_returns
from research_lab.pipeline_ci.promote import Promotion, promote
from research_lab.pipeline_ci.state import RunState
from research_lab.pipeline_ci.sweep import walk_forward_many
from research_lab.pipeline_ci.walkforward import WalkForwardResult

Progress = Callable[[str, int, int], None]


class Generator(Protocol):
    name: str

    def generate(self, n: int) -> list[StrategySpec]: ...


@dataclass(slots=True)
class Lab:
    """What the stages need from outside: configs, governance, a clock, a progress hook."""

    config_dir: Path
    governance: Governance
    clock: Clock
    progress: Progress = field(default=lambda stage, i, n: None)
    journal: Any = None  # a Persistence (or anything with .journal()) to record promotions
    # Where walk-forward training folds run (None: in this process); see executor.py.
    executor: Executor | None = None
    _bars: dict[str, Bars] = field(default_factory=dict)
    _wf: dict[tuple[str, str, str], WalkForwardResult] = field(default_factory=dict)

    def bars(self, st: RunState) -> Bars:
        key = repr(st.settings.market)
        if key not in self._bars:
            self._bars[key] = mk.history(st.settings.market)
        return self._bars[key]

    def backtest_config(self, st: RunState) -> BacktestConfig:
        """Sizing from governance; costs from the one ``CostModel`` a paper or replay run on
        the market's venue pays (its fees from ``adapters.yaml``, the shared slippage)."""
        return for_timeframe(st.settings.market.timeframe,
                             risk_per_trade=self.governance.risk.base_risk_per_trade,
                             leverage_cap=self.governance.risk.leverage_cap,
                             cost=mk.cost_model(st.settings.market, self.config_dir))


def stage_generate(st: RunState, lab: Lab, gen: Generator) -> list[str]:
    """Ask ``gen`` for candidates, then prove each one causal (anti-lookahead)."""
    specs = gen.generate(st.settings.n_candidates)
    st.notes.append(f"generator {gen.name}: {len(specs)} candidate(s)")
    if getattr(gen, "failure", ""):
        st.notes.append(f"generator stopped early: {gen.failure}")
    bars = lab.bars(st)
    for i, spec in enumerate(specs):
        lab.progress("lookahead", i + 1, len(specs))
        st.add(spec)
        rep = check_lookahead(spec.name, spec_signal_fn(spec), bars)
        st.candidates[spec.name].stages["lookahead"] = {
            "passed": rep.ok, "cuts": list(rep.cuts), "signals": rep.signals_checked,
            "problems": rep.problems}
    st.trials = len(st.candidates) * st.settings.variants
    return [s.name for s in specs]


def stage_backtest(st: RunState, lab: Lab) -> None:
    """In-sample screen on the whole history: enough trades and a positive expectancy."""
    bars, cfg = lab.bars(st), lab.backtest_config(st)
    todo = [c for c in st.candidates.values() if c.passed("lookahead")]
    for i, c in enumerate(todo):
        lab.progress("backtest", i + 1, len(todo))
        m = run_backtest(bars, evaluate(c.spec, bars), cfg).metrics
        ok = m.trades >= st.settings.min_trades and m.expectancy > 0
        c.stages["backtest"] = {"passed": ok, "metrics": m.to_dict(),
                                "why": "" if ok else "too few trades or expectancy <= 0"}


def walkforwards(st: RunState, lab: Lab, specs: list[StrategySpec], stage: str
                 ) -> list[WalkForwardResult]:
    """Walk-forward of every spec, its training folds spread over ``lab.executor``.

    Kept on the lab for the stages after (gates and the report reuse them in the same
    command instead of training every fold again).
    """
    s = st.settings
    train, test = s.windows()
    key = (repr(s.market), repr((train, test, s.variants, s.seed)))
    todo = [sp for sp in specs if (*key, sp.model_dump_json()) not in lab._wf]
    done = walk_forward_many(
        todo, s.market, lab.backtest_config(st), train=train, test=test,
        variants=s.variants, seed=s.seed, executor=lab.executor, bars=lab.bars(st),
        progress=lambda i, n: lab.progress(stage, i, n))
    for sp, wf in zip(todo, done, strict=True):
        lab._wf[(*key, sp.model_dump_json())] = wf
    return [lab._wf[(*key, sp.model_dump_json())] for sp in specs]


def run_walkforward(st: RunState, lab: Lab, spec: StrategySpec) -> WalkForwardResult:
    return walkforwards(st, lab, [spec], "walkforward")[0]


def stage_walkforward(st: RunState, lab: Lab) -> None:
    todo = [c for c in st.candidates.values() if c.passed("backtest")]
    results = walkforwards(st, lab, [c.spec for c in todo], "walkforward")
    for c, wf in zip(todo, results, strict=True):
        ok = wf.metrics.trades > 0
        c.stages["walkforward"] = {"passed": ok, **wf.to_dict()}


def stage_gates(st: RunState, lab: Lab, cfg: GateConfig | None = None) -> None:
    """gate_spec.md on out-of-sample results; correlation against the live book."""
    bars = lab.bars(st)
    todo = [c for c in st.candidates.values() if c.passed("walkforward")]
    if not todo:
        return
    train, _ = st.settings.windows()
    oos_start = int(bars.ts[train])
    skipped: list[str] = []
    live = live_daily_returns(lab.config_dir, st.settings.market, lab.backtest_config(st),
                              start_ms=oos_start, skipped=skipped)
    st.notes += [f"correlation gate could not check {s}" for s in skipped]
    cfg = cfg or GateConfig.from_governance(lab.governance, min_trades=st.settings.min_trades)
    if not mk.volume_is_size(st.settings.market):
        cfg = replace(cfg, volume_is_size=False)
        st.notes.append("liquidity gate not measured: the bars' volume is MT5 tick volume")
    days = (int(bars.ts[-1]) - oos_start) / 86_400_000
    results = walkforwards(st, lab, [c.spec for c in todo], "walkforward")
    for i, (c, wf) in enumerate(zip(todo, results, strict=True)):
        lab.progress("gates", i + 1, len(todo))
        ts = bars.ts[wf.start_bar: wf.start_bar + len(wf.equity)]
        rets = daily_returns(ts, wf.equity)
        n_obs = max(wf.metrics.bars, 2)
        rep = evaluate_gates(c.name, wf.metrics, lab.governance, returns=rets,
                             live_returns=live, n_trials=max(st.trials, 1),
                             sharpe_variance=1.0 / n_obs, days=days, cfg=cfg)
        c.stages["gates"] = {"passed": rep.passed, "failed": rep.failed,
                             **rep.to_dict()}


def stage_shadow(st: RunState, lab: Lab) -> None:
    """The best gate passers run in the brain as shadow challengers on fresh bars."""
    from research_lab.pipeline_ci.shadow import shadow_run

    passed = [c for c in st.candidates.values() if c.passed("gates")]
    passed.sort(key=lambda c: -c.stages["walkforward"]["metrics"]["sharpe"])
    chosen = passed[: st.settings.shadow_top]
    for i, c in enumerate(chosen):
        lab.progress("shadow", i + 1, len(chosen))
        res = shadow_run(c.spec, lab, st.settings, workdir=st.dir / "shadow" / c.name)
        c.stages["shadow"] = res


def choose(st: RunState, name: str | None = None) -> str:
    if name is not None:
        c = st.candidates.get(name)
        if c is None:
            raise KeyError(f"run {st.run_id} has no candidate {name!r}; see "
                           f"`ats research status --run {st.run_id}`")
        if not c.passed("shadow"):
            raise ValueError(f"{name} stopped at stage {c.furthest()!r}; only a candidate "
                             "that passed the shadow stage can be promoted")
        return name
    ok = [c for c in st.candidates.values() if c.passed("shadow")]
    if not ok:
        raise ValueError(f"no candidate of run {st.run_id} passed every stage; nothing to "
                         "promote")
    return max(ok, key=lambda c: c.stages["walkforward"]["metrics"]["sharpe"]).name


def stage_promote(st: RunState, lab: Lab, name: str | None = None, *,
                  dry_run: bool = False, shipped: bool = False) -> Promotion:
    chosen = choose(st, name)
    c = st.candidates[chosen]
    when = ms_to_datetime(lab.clock.now_ms()).strftime("%Y-%m-%dT%H:%M:%SZ")
    res = promote(c.spec, lab.config_dir, promoted_at=when, source_run=st.run_id,
                  patch_dir=st.dir, dry_run=dry_run, shipped=shipped)
    if not dry_run:
        c.stages["promoted"] = {"passed": True, "at": when, "spec": str(res.spec_path),
                                "patch": str(res.patch_path)}
        st.promoted = chosen
        if lab.journal is not None:
            m = c.stages["walkforward"]["metrics"]
            text = Said("event.research.promoted", run=st.run_id, candidate=chosen,
                        pf=float(m["profit_factor"]), sharpe=float(m["sharpe"]),
                        max_dd=float(m["max_drawdown"]), trades=int(m["trades"]))
            lab.journal.journal(
                "research", {"event": "promoted", "run": st.run_id, "candidate": chosen,
                             "spec": str(res.spec_path), "enable_map": str(res.enable_map),
                             "patch": str(res.patch_path), "oos": m, "diff": res.diff,
                             "said": text.record()},
                ts=lab.clock.now_ms(), run_id=st.run_id, text=text)
    return res


def summary_rows(st: RunState) -> list[dict[str, Any]]:
    """One row per candidate: which stages it passed and its headline numbers."""
    rows = []
    for c in st.candidates.values():
        wf = c.stages.get("walkforward", {}).get("metrics", {})
        bt = c.stages.get("backtest", {}).get("metrics", {})
        gates = c.stages.get("gates", {})
        rows.append({
            "candidate": c.name, "kind": c.spec.kind, "furthest": c.furthest(),
            **{s: c.stages.get(s, {}).get("passed") for s in
               ("lookahead", "backtest", "walkforward", "gates", "shadow", "promoted")},
            "is_trades": bt.get("trades"), "is_pf": bt.get("profit_factor"),
            "oos_trades": wf.get("trades"), "oos_pf": wf.get("profit_factor"),
            "oos_sharpe": wf.get("sharpe"), "oos_maxdd": wf.get("max_drawdown"),
            "failed_gates": gates.get("failed", []),
        })
    return rows

