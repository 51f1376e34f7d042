"""The promotion gates of ``gate_spec.md``, as code.

Each gate returns a ``GateCheck`` with the measured value and the threshold, so a report can
say *why* a candidate failed, not only that it did. Gates run on out-of-sample (walk-forward)
results; thresholds derive from the locked governance where one exists.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from ats.config.models import Governance
from research_lab.backtest.metrics import Metrics
from research_lab.pipeline_ci.dsr import deflated_sharpe


@dataclass(frozen=True, slots=True)
class GateConfig:
    min_profit_factor: float = 1.2
    dd_multiple: float = 1.3  # of governance.locks.trailing_dd_kill_switch
    min_trades: int = 10
    max_trades_per_day: float = 24.0
    max_abs_correlation: float | None = None  # None: governance.correlation.threshold
    min_dsr: float = 0.95
    # False when the bars' volume counts ticks (MT5 recorded FX/CFDs), not traded size: a
    # share of it means nothing, so the liquidity gate says "not measured" instead of failing
    volume_is_size: bool = True

    @classmethod
    def from_governance(cls, gov: Governance, **over: float) -> GateConfig:
        base = cls(max_abs_correlation=gov.correlation.threshold)
        return cls(**{**asdict(base), **over})  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class GateCheck:
    name: str
    passed: bool
    value: float
    threshold: float
    detail: str = ""


@dataclass(frozen=True, slots=True)
class GateReport:
    candidate: str
    checks: tuple[GateCheck, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def failed(self) -> list[str]:
        return [c.name for c in self.checks if not c.passed]

    def to_dict(self) -> dict[str, object]:
        return {"candidate": self.candidate, "passed": self.passed,
                "checks": [asdict(c) for c in self.checks]}


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two return series over their common tail; 0 if degenerate."""
    n = min(len(a), len(b))
    if n < 3:
        return 0.0
    x, y = a[-n:], b[-n:]
    if x.std() == 0 or y.std() == 0:
        return 0.0
    return float(np.corrcoef(x, y)[0, 1])


def evaluate_gates(
    name: str,
    m: Metrics,
    gov: Governance,
    *,
    returns: np.ndarray,
    live_returns: dict[str, np.ndarray],
    n_trials: int,
    sharpe_variance: float,
    days: float,
    cfg: GateConfig | None = None,
) -> GateReport:
    """All gates for one candidate's out-of-sample metrics and per-bar returns."""
    cfg = cfg or GateConfig.from_governance(gov)
    dd_limit = cfg.dd_multiple * gov.locks.trailing_dd_kill_switch
    max_corr = cfg.max_abs_correlation if cfg.max_abs_correlation is not None else (
        gov.correlation.threshold)
    per_day = m.trades / days if days > 0 else float(m.trades)
    part_limit = gov.execution.max_child_share_of_depth
    corrs = {k: correlation(returns, v) for k, v in live_returns.items()}
    worst = max(corrs, key=lambda k: abs(corrs[k])) if corrs else ""
    worst_val = abs(corrs[worst]) if worst else 0.0
    dsr = deflated_sharpe(m.per_bar_sharpe, max(m.bars - 1, 2), n_trials, sharpe_variance,
                          m.skew, m.kurtosis or 3.0)
    checks = (
        GateCheck("profit_factor", m.profit_factor >= cfg.min_profit_factor, m.profit_factor,
                  cfg.min_profit_factor, "gross profit / gross loss"),
        GateCheck("max_drawdown", m.max_drawdown <= dd_limit, m.max_drawdown, dd_limit,
                  f"{cfg.dd_multiple}x governance trailing_dd_kill_switch"),
        GateCheck("min_trades", m.trades >= cfg.min_trades, float(m.trades),
                  float(cfg.min_trades), "enough trades to measure anything"),
        GateCheck("trade_frequency", per_day <= cfg.max_trades_per_day, per_day,
                  cfg.max_trades_per_day, "trades per day"),
        GateCheck("liquidity", m.participation <= part_limit, m.participation, part_limit,
                  "mean share of bar volume per entry <= max_child_share_of_depth")
        if cfg.volume_is_size else
        GateCheck("liquidity", True, 0.0, part_limit,
                  "not measured: the bars' volume is MT5 tick volume (a count of quotes, not "
                  "a traded size)"),
        GateCheck("correlation", worst_val < max_corr, worst_val, max_corr,
                  f"max |rho| to live strategies ({worst or 'none'})"),
        GateCheck("expectancy", m.expectancy > 0, m.expectancy, 0.0, "mean net pnl per trade"),
        GateCheck("deflated_sharpe", dsr >= cfg.min_dsr, dsr, cfg.min_dsr,
                  f"Bailey & Lopez de Prado DSR over {n_trials} trials"),
    )
    return GateReport(name, checks)
