"""Returns of the live book (enable-map strategies and current challengers) for the
correlation gate.

Live strategies trade other timeframes than a candidate, so every series is reduced to
*daily* returns over the same calendar days of the same market path; a candidate that just
re-trades what the book already holds shows a high |ρ| there and fails the gate.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ats.config.loader import ConfigError, load_enable_map
from ats.domain import Bars
from ats.domain.types import timeframe_ms
from research_lab.backtest.engine import BacktestConfig, for_timeframe, run_backtest
from research_lab.backtest.replay import strategy_arrays
from research_lab.dsl.errors import DslError, read_spec
from research_lab.dsl.evaluate import SignalArrays, evaluate
from research_lab.pipeline_ci.market import MarketSpec, history, is_file, mock_market, recorded

DAY_MS = 86_400_000


def daily_returns(ts: np.ndarray, equity: np.ndarray, start_ms: int | None = None,
                  end_ms: int | None = None) -> np.ndarray:
    """Close-to-close daily returns of an equity curve sampled at bar open times ``ts``."""
    if len(ts) == 0:
        return np.zeros(0)
    d0 = (int(ts[0]) if start_ms is None else start_ms) // DAY_MS
    d1 = (int(ts[-1]) if end_ms is None else end_ms) // DAY_MS
    day_end = (np.arange(d0, d1 + 1, dtype=np.int64) + 1) * DAY_MS
    idx = np.searchsorted(ts, day_end, side="left") - 1
    eq = np.where(idx >= 0, equity[np.clip(idx, 0, len(equity) - 1)], equity[0])
    return np.diff(eq) / eq[:-1] if len(eq) > 1 else np.zeros(0)


def _series(bars: Bars, sig: SignalArrays, cfg: BacktestConfig, start_ms: int) -> np.ndarray:
    i0 = int(np.searchsorted(bars.ts, start_ms))
    res = run_backtest(bars.slice(i0, None), _slice(sig, i0), cfg)
    return daily_returns(bars.ts[i0:], res.equity, start_ms, int(bars.ts[-1]))


def _slice(sig: SignalArrays, i0: int) -> SignalArrays:
    return SignalArrays(*(getattr(sig, f)[i0:] for f in sig.__slots__))


def live_daily_returns(config_dir: Path, market: MarketSpec, cfg: BacktestConfig, *,
                       start_ms: int, skipped: list[str] | None = None
                       ) -> dict[str, np.ndarray]:
    """Daily returns from ``start_ms`` to the end of the research history, per live strategy.

    A live name the registry does not know (or a challenger whose document is broken) is
    appended to ``skipped`` with the reason, so the gate report says what it could not check.
    """
    skipped = skipped if skipped is not None else []
    try:
        em = load_enable_map(Path(config_dir) / "enable_map.yaml")
    except ConfigError as exc:
        skipped.append(f"enable map: {exc}")
        return {}
    if is_file(market):
        mkt: object = _Recorded(recorded(market))
        end_ms = int(history(market).ts[-1]) + timeframe_ms(market.timeframe)
    else:
        mkt = mock_market(market)
        end_ms = int(mkt.bars_between(  # type: ignore[attr-defined]
            market.symbol, market.timeframe, market.history_bars - 1,
            market.history_bars).ts[-1]) + timeframe_ms(market.timeframe)
    out: dict[str, np.ndarray] = {}
    from ats.strategies import registry

    for name in sorted(em.all_strategies()):
        try:
            strat = registry.create(name)
        except (KeyError, ValueError) as exc:
            skipped.append(f"{name}: {exc}")
            continue
        try:
            bars = _bars_until(mkt, market.symbol, strat.timeframe, end_ms, start_ms,
                               int(strat.bars_needed))
        except ValueError as exc:
            skipped.append(f"{name}: {exc}")
            continue
        tf_cfg = for_timeframe(strat.timeframe, risk_per_trade=cfg.risk_per_trade,
                               leverage_cap=cfg.leverage_cap, cost=cfg.cost)
        out[name] = _series(bars, strategy_arrays(strat, bars), tf_cfg, start_ms)
    for ch in em.challengers:
        if not ch.spec:
            continue
        try:
            spec = read_spec(Path(config_dir) / ch.spec)
        except DslError as exc:
            skipped.append(f"challenger {ch.name}: {exc}")
            continue
        try:
            bars = _bars_until(mkt, market.symbol, spec.timeframe, end_ms, start_ms,
                               spec.bars_needed())
        except ValueError as exc:
            skipped.append(f"challenger {ch.name}: {exc}")
            continue
        tf_cfg = for_timeframe(spec.timeframe, risk_per_trade=cfg.risk_per_trade,
                               leverage_cap=cfg.leverage_cap, cost=cfg.cost)
        out[f"challenger:{ch.name}"] = _series(bars, evaluate(spec, bars), tf_cfg, start_ms)
    return out


def _bars_until(mkt: object, symbol: str, timeframe: str, end_ms: int, start_ms: int,
               warmup: int) -> Bars:
    """Bars of ``timeframe`` from ``warmup`` bars before ``start_ms`` up to ``end_ms``."""
    tf = timeframe_ms(timeframe)
    origin = int(mkt.origin_ms)  # type: ignore[attr-defined]
    k0 = max(0, (start_ms - origin) // tf - warmup)
    return mkt.bars_between(symbol, timeframe, k0, (end_ms - origin) // tf)  # type: ignore[attr-defined]


class _Recorded:
    """Recorded bars behind the mock market's ``bars_between`` (bar k opens at origin + k·tf),
    resampled to coarser timeframes; a finer one cannot be made and is refused."""

    def __init__(self, bars: Bars) -> None:
        self.bars = bars
        self.origin_ms = int(bars.ts[0])

    def bars_between(self, symbol: str, timeframe: str, k0: int, k1: int) -> Bars:
        from broker_adapters.replay import resample

        if timeframe_ms(timeframe) < timeframe_ms(self.bars.timeframe):
            raise ValueError(f"the recorded market has {self.bars.timeframe} bars, no "
                             f"{timeframe} bars")
        b = resample(self.bars, timeframe)
        tf = timeframe_ms(timeframe)
        lo, hi = self.origin_ms + k0 * tf, self.origin_ms + k1 * tf
        return b.slice(int(np.searchsorted(b.ts, lo)), int(np.searchsorted(b.ts, hi)))
