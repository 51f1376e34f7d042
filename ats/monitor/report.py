"""Run reports: ``reports/run_<RUN_ID>/summary.md`` (+ ``virtual_summary.md``) and an equity PNG.

Everything is recomputed from what the run left in the database (run row, equity snapshots,
fills, cycle journal), so a report can be written after a crash too — a run that never closed
simply has no end-of-run summary and says so.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from storage.protocol import EquityPoint, Persistence


class ReportError(Exception):
    """The run cannot be reported (unknown id); the message says how to list runs."""


@dataclass
class RunFacts:
    run_id: str
    mode: str
    adapter: str
    started_ts: int | None
    ended_ts: int | None
    closed: bool
    cycles: int
    orders: int
    trades: int
    pnl: float
    start_equity: float | None
    end_equity: float | None
    max_drawdown_pct: float  # <= 0, from the equity series
    rejections: dict[str, int] = field(default_factory=dict)
    locks: list[str] = field(default_factory=list)
    errors: int = 0
    latency_ms: dict[str, float] = field(default_factory=dict)
    virtual_asset: str | None = None
    fees: float = 0.0
    shadow: dict[str, Any] = field(default_factory=dict)


def _fmt_ts(ms: int | None) -> str:
    if ms is None:
        return "—"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    k = (len(s) - 1) * q / 100.0
    lo, hi = math.floor(k), math.ceil(k)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def max_drawdown(series: list[EquityPoint]) -> float:
    """Deepest fall from a running peak of equity, as a fraction (<= 0)."""
    peak = -math.inf
    worst = 0.0
    for p in series:
        peak = max(peak, p.equity)
        if peak > 0:
            worst = min(worst, p.equity / peak - 1.0)
    return worst


def collect(dao: Persistence, run_id: str) -> tuple[RunFacts, list[EquityPoint]]:
    run = dao.get_run(run_id)
    if run is None:
        raise ReportError(f"no run {run_id!r} in the database; `ats runs` lists the runs it holds")
    summary: dict[str, Any] = run.get("summary") or {}
    meta: dict[str, Any] = run.get("meta") or {}
    series = dao.equity_series(run_id=run_id)
    fills = dao.load_fills(run_id=run_id)
    orders = dao.load_orders(run_id=run_id)
    cycles = dao.journal_tail(10_000_000, kind="cycle", run_id=run_id)
    latencies = [float(r.payload.get("latency_ms", 0.0)) for r in cycles]
    rejections: Counter[str] = Counter()
    errors = 0
    for r in cycles:
        for rej in r.payload.get("rejections", []) or []:
            rejections[str(rej.get("code") or rej.get("reason") or "unknown")] += 1
        errors += len(r.payload.get("errors", {}) or {})
    if not rejections and summary.get("rejections"):
        rejections.update({str(k): int(v) for k, v in summary["rejections"].items()})
    start_eq = series[0].equity if series else None
    end_eq = series[-1].equity if series else None
    pnl = float(summary.get("pnl", (end_eq - start_eq) if series else 0.0))  # type: ignore[operator]
    last_ts = max([p.ts for p in series] + [r.ts for r in cycles] + [0]) or None
    virtual = meta.get("virtual_asset") or next(
        (f.virtual_asset for f in fills if f.virtual_asset), None
    )
    facts = RunFacts(
        run_id=run_id,
        mode=str(run.get("mode", "")),
        adapter=str(run.get("adapter", "")),
        started_ts=run.get("started_ts"),
        ended_ts=run.get("ended_ts") or last_ts,
        closed=run.get("ended_ts") is not None,
        cycles=int(summary.get("cycles", len(cycles))),
        orders=len(orders),
        trades=len(fills),
        pnl=pnl,
        start_equity=start_eq,
        end_equity=end_eq,
        max_drawdown_pct=max_drawdown(series),
        rejections=dict(rejections.most_common()),
        locks=[str(x) for x in summary.get("locks", [])],
        errors=max(errors, int(summary.get("errors", 0) or 0)),
        latency_ms={
            "p50": _percentile(latencies, 50) if latencies else summary.get("latency_p50_ms", 0),
            "p90": _percentile(latencies, 90),
            "p99": _percentile(latencies, 99) if latencies else summary.get("latency_p99_ms", 0),
            "max": max(latencies) if latencies else 0.0,
        },
        virtual_asset=virtual,
        fees=sum(f.fee for f in fills),
        shadow=dict(summary.get("shadow", {}) or {}),
    )
    return facts, series


def equity_chart(series: list[EquityPoint], path: Path, title: str) -> Path | None:
    """Equity and drawdown as a PNG (matplotlib, no display needed)."""
    if not series:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = [datetime.fromtimestamp(p.ts / 1000, tz=UTC) for p in series]
    eq = [p.equity for p in series]
    peak = -math.inf
    dd = []
    for v in eq:
        peak = max(peak, v)
        dd.append((v / peak - 1.0) * 100 if peak > 0 else 0.0)
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 5), sharex=True,
                                   gridspec_kw={"height_ratios": [3, 1]})
    ax1.plot(xs, eq, color="#1f77b4", linewidth=1.2)
    ax1.set_ylabel("equity")
    ax1.set_title(title)
    ax1.grid(alpha=0.3)
    ax2.fill_between(xs, dd, 0, color="#d62728", alpha=0.4)
    ax2.set_ylabel("drawdown %")
    ax2.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def render_markdown(f: RunFacts, chart: str | None, *, virtual: bool = False) -> str:
    dur_s = ((f.ended_ts or 0) - (f.started_ts or 0)) / 1000 if f.started_ts else 0.0
    title = "Virtual-money run" if virtual else "Run"
    lines = [
        f"# {title} {f.run_id}",
        "",
        f"- mode: **{f.mode}**, venue: **{f.adapter}**"
        + (f", virtual asset: **{f.virtual_asset}**" if f.virtual_asset else ""),
        f"- started: {_fmt_ts(f.started_ts)}; ended: {_fmt_ts(f.ended_ts)}"
        + ("" if f.closed else " (the run did not close cleanly: figures up to its last record)"),
        f"- duration: {dur_s / 3600:.2f} h (clock time of the run)",
        "",
        "| figure | value |",
        "|---|---|",
        f"| cycles | {f.cycles} |",
        f"| orders | {f.orders} |",
        f"| trades (fills) | {f.trades} |",
        f"| PnL | {f.pnl:,.2f} |",
        f"| fees paid | {f.fees:,.2f} |",
        f"| start → end equity | {f.start_equity or 0:,.2f} → {f.end_equity or 0:,.2f} |",
        f"| max drawdown | {f.max_drawdown_pct:.2%} |",
        f"| errors | {f.errors} |",
        "| cycle latency p50 / p90 / p99 / max (ms) | "
        + " / ".join(f"{f.latency_ms.get(k, 0):.2f}" for k in ("p50", "p90", "p99", "max"))
        + " |",
        "",
        "## Rejections by reason",
        "",
    ]
    if f.rejections:
        lines += ["| reason | count |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in f.rejections.items()]
    else:
        lines.append("None.")
    lines += ["", "## Locks fired", ""]
    lines += [f"- {x}" for x in f.locks] if f.locks else ["None."]
    if f.shadow:
        lines += ["", "## Shadow challengers (scored, never sent)", "",
                  "| challenger | plans | trades | PnL |", "|---|---|---|---|"]
        for name, s in f.shadow.items():
            lines.append(f"| {name} | {s.get('plans', 0)} | {s.get('trades', 0)} | "
                         f"{float(s.get('pnl', 0.0)):,.2f} |")
    if chart:
        lines += ["", "## Equity", "", f"![equity and drawdown]({chart})"]
    return "\n".join(lines) + "\n"


def write_report(dao: Persistence, run_id: str, reports_dir: Path | str = "reports") -> list[Path]:
    """Write the report files for ``run_id``; returns their paths.

    The run id becomes a directory name, so it must be a safe name and the directory must
    land inside ``reports_dir`` (``--run-id ../../x`` once wrote elsewhere).
    """
    from ats.config.names import SAFE_NAME_RULE, is_safe_name

    if not is_safe_name(run_id):
        raise ReportError(f"run id {run_id!r} is not a safe name ({SAFE_NAME_RULE})")
    root = Path(reports_dir)
    out = root / f"run_{run_id}"
    if root.resolve() not in out.resolve().parents:
        raise ReportError(f"report directory {out} would be outside {root}; use a safe run id")
    facts, series = collect(dao, run_id)
    out.mkdir(parents=True, exist_ok=True)
    chart = equity_chart(series, out / "equity.png", f"ATS run {run_id}")
    written = [out / "summary.md"]
    (out / "summary.md").write_text(render_markdown(facts, chart.name if chart else None))
    if facts.virtual_asset or facts.mode in ("vst", "demo"):
        (out / "virtual_summary.md").write_text(
            render_markdown(facts, chart.name if chart else None, virtual=True)
        )
        written.append(out / "virtual_summary.md")
    if chart:
        written.append(chart)
    return written
