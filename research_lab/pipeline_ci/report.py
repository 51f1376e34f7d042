"""Run reports: ``report.md`` (gates per candidate, the numbers behind them), ``results.json``
(the same table for CI) and ``equity.png`` (out-of-sample equity of the best candidates).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from research_lab.pipeline_ci.state import RunState  # noqa: E402

if TYPE_CHECKING:
    from research_lab.pipeline_ci.stages import Lab

MARK = {True: "pass", False: "FAIL", None: "-"}


def _f(x: object, fmt: str = "{:.2f}") -> str:
    return fmt.format(x) if isinstance(x, int | float) else "-"


def write_results(st: RunState) -> Path:
    from research_lab.pipeline_ci.stages import summary_rows

    path = st.dir / "results.json"
    path.write_text(json.dumps({"run_id": st.run_id, "promoted": st.promoted,
                                "trials": st.trials, "candidates": summary_rows(st)},
                               indent=2), encoding="utf-8")
    return path


def write_equity_png(st: RunState, lab: Lab, top: int = 4) -> Path | None:
    from research_lab.pipeline_ci.stages import run_walkforward

    ranked = [c for c in st.candidates.values() if c.passed("walkforward")]
    ranked.sort(key=lambda c: -c.stages["walkforward"]["metrics"]["sharpe"])
    if not ranked:
        return None
    fig, ax = plt.subplots(figsize=(9, 4.5), dpi=100)
    for c in ranked[:top]:
        wf = run_walkforward(st, lab, c.spec)
        ax.plot(wf.equity, label=f"{c.name} ({c.furthest()})", linewidth=1.1)
    ax.set_title(f"Out-of-sample equity (walk-forward), run {st.run_id}")
    ax.set_xlabel("bar (out of sample)")
    ax.set_ylabel("equity")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    path = st.dir / "equity.png"
    fig.savefig(path)
    plt.close(fig)
    return path


def write_markdown(st: RunState, png: Path | None) -> Path:
    from research_lab.pipeline_ci.stages import summary_rows

    m = st.settings.market
    lines = [
        f"# Research run {st.run_id}", "",
        f"- created: {st.created_at}",
        f"- market: {m.market} {m.symbol} {m.timeframe}, {m.history_bars} bars of history "
        f"(seed {m.seed}), walk-forward train/test {st.settings.windows()} bars, "
        f"{st.settings.variants} variants per fold",
        f"- trials counted by the deflated Sharpe gate: {st.trials}",
        f"- promoted: {st.promoted or 'none'}", "",
        "Fill semantics: signals on the bar close, market fills at the next open with spread,"
        " slippage and taker fee from the shared CostModel; stop before take inside a bar. "
        "All gate numbers are out of sample.", "",
        "| candidate | kind | lookahead | backtest | walk-fwd | gates | shadow | promoted |"
        " OOS trades | OOS PF | OOS Sharpe | OOS MaxDD | failed gates |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in summary_rows(st):
        lines.append(
            f"| {r['candidate']} | {r['kind']} | "
            + " | ".join(MARK[r[s]] for s in ("lookahead", "backtest", "walkforward", "gates",
                                                "shadow", "promoted"))
            + f" | {r['oos_trades'] if r['oos_trades'] is not None else '-'}"
            f" | {_f(r['oos_pf'])} | {_f(r['oos_sharpe'])} | {_f(r['oos_maxdd'], '{:.2%}')}"
            f" | {', '.join(r['failed_gates']) or '-'} |")
    for c in st.candidates.values():
        g = c.stages.get("gates")
        if not g:
            continue
        lines += ["", f"## {c.name}", "", c.spec.description or "", "",
                  "| gate | value | threshold | result |", "|---|---|---|---|"]
        for chk in g["checks"]:
            lines.append(f"| {chk['name']} | {chk['value']:.4g} | {chk['threshold']:.4g} | "
                         f"{MARK[chk['passed']]} |")
        sh = c.stages.get("shadow")
        if sh:
            lines += ["", f"Shadow ({sh.get('mode')}): {sh.get('cycles')} cycles, "
                      f"{sh.get('plans')} plans, {sh.get('trades')} closed trades, pnl "
                      f"{sh.get('pnl', 0.0):.2f}. {sh.get('why') or 'passed'}"]
    if st.notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in st.notes]
    if png is not None:
        lines += ["", f"![out-of-sample equity]({png.name})"]
    path = st.dir / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_reports(st: RunState, lab: Lab) -> dict[str, Path]:
    st.save()
    png = write_equity_png(st, lab)
    out = {"results": write_results(st), "report": write_markdown(st, png)}
    if png is not None:
        out["equity"] = png
    return out
