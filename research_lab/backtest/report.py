"""A one-strategy backtest report: ``report.md`` with the metrics and ``equity.png``."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ats.domain import Bars  # noqa: E402
from research_lab.backtest.engine import BacktestResult  # noqa: E402


def backtest_report(out: Path, name: str, bars: Bars, res: BacktestResult) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(9, 4), dpi=100)
    ax.plot(res.equity, linewidth=1.1)
    ax.set_title(f"{name} on {bars.symbol} {bars.timeframe}: equity")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "equity.png")
    plt.close(fig)
    m = res.metrics.to_dict()
    lines = [f"# Backtest {name} — {bars.symbol} {bars.timeframe}, {len(bars)} bars", "",
             "Signals on the bar close, fills at the next open (spread, slippage, taker fee "
             "from the shared CostModel); stops before takes inside a bar.", "",
             "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {v:.6g} |" if isinstance(v, float) else f"| {k} | {v} |"
              for k, v in m.items()]
    lines += ["", "![equity](equity.png)"]
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
