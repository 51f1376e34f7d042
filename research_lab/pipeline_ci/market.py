"""Where research bars come from: the built-in mock market, generated directly.

Two markets: ``mock`` is the mock adapter's default regime schedule (regimes last hours; in
our runs no candidate clears the drawdown and deflated-Sharpe gates there, and the report
says which gate stopped each one); ``mock-trending`` scripts long alternating trend and
range segments through the mock's ``Scenario`` with a stronger trend drift
(``TREND_DRIFT``) — a market with real structure for trend strategies to find, so that the
whole pipeline can be exercised end to end. Research history and the shadow stage's bars
never overlap: the shadow stage runs in the brain on the brain's own mock path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ats.domain import Bars, FixedClock
from ats.domain.costs import CostModel
from ats.domain.types import Regime
from broker_adapters.mock import MockMarket, RegimeParams, Scenario, parse_start

MARKETS = ("mock", "mock-trending")
FILE_PREFIX = "file:"  # a recorded market: "file:PATH" (CSV or Parquet OHLCV)
# Drift of the scripted trend regimes, in the symbol's per-block sigma (the mock's default
# is 0.12): trends strong enough to be worth trading after costs, still noisy.
TREND_DRIFT = 0.18
START = "2026-01-05T00:00:00Z"


@dataclass(frozen=True, slots=True)
class MarketSpec:
    market: str = "mock-trending"
    symbol: str = "BTC/USDT:USDT"
    timeframe: str = "1h"
    seed: int = 42
    history_bars: int = 4000
    segment_bars: int = 300

    def to_dict(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def mock_market(spec: MarketSpec) -> MockMarket:
    if spec.market not in MARKETS or is_file(spec):
        raise ValueError(f"unknown research market {spec.market!r}; expected one of "
                         f"{', '.join(MARKETS)}")
    start = parse_start(START)
    scenario = None
    params = None
    if spec.market == "mock-trending":
        base = RegimeParams()
        params = RegimeParams(drift=(TREND_DRIFT, -TREND_DRIFT, *base.drift[2:]))
        seg = spec.segment_bars
        cycle = ((Regime.TREND_UP, seg), (Regime.RANGE_LOWVOL, max(1, seg // 3)),
                 (Regime.TREND_DOWN, seg), (Regime.RANGE_HIGHVOL, max(1, seg // 3)))
        reps = spec.history_bars // (seg * 2 + 2 * max(1, seg // 3)) + 1
        scenario = Scenario(segments=cycle * reps, timeframe=spec.timeframe, start_ms=start)
    return MockMarket(clock=FixedClock(start), seed=spec.seed, symbols=(spec.symbol,),
                      history_days=0, scenario=scenario, regime_params=params)


def is_file(spec: MarketSpec) -> bool:
    return spec.market.startswith(FILE_PREFIX)


def recorded(spec: MarketSpec) -> Bars:
    """Every bar of a recorded market, in the spec's timeframe (resampled when coarser)."""
    from broker_adapters.replay import load_bars_file, resample

    bars = load_bars_file(spec.market[len(FILE_PREFIX):], spec.symbol)
    return resample(bars, spec.timeframe) if bars.timeframe != spec.timeframe else bars


def history(spec: MarketSpec) -> Bars:
    """The research history: the first ``history_bars`` bars of the path (of a recorded
    market, the bars after them are held out for the shadow stage's replay)."""
    if is_file(spec):
        return recorded(spec).slice(0, spec.history_bars)
    return mock_market(spec).bars_between(spec.symbol, spec.timeframe, 0, spec.history_bars)


def cost_model(spec: MarketSpec, config_dir: Path) -> CostModel:
    """The costs of the market's venue: the mock's for mock markets; for recorded bars the
    venue their symbol trades on (MT5 for FX/CFDs, BingX for crypto)."""
    from ats.config import load_adapters
    from broker_adapters.factory import cost_model_for, fees_venue_for

    if not is_file(spec):
        from broker_adapters.mock.profiles import profile_for

        mock = cost_model_for("mock", load_adapters(config_dir / "adapters.yaml"))
        return mock.for_class(profile_for(spec.symbol).asset_class)
    return recorded_costs(fees_venue_for((spec.symbol,)), config_dir)


def volume_is_size(spec: MarketSpec) -> bool:
    """Does the market's bar volume count traded size? The mock's does; recorded bars of a
    symbol that trades on MT5 (FX, metals, CFDs) carry tick volume, a count of quotes."""
    from broker_adapters.factory import fees_venue_for

    return not (is_file(spec) and fees_venue_for((spec.symbol,)) == "mt5")


def recorded_costs(venue: str, config_dir: Path) -> CostModel:
    """Costs on recorded bars: the venue's fees and slippage, without the depth term.

    Recorded bars carry no order book, and their volume is often a tick count (MT5), not a
    size: using it as visible depth would invent hundreds of bps of impact. The replay venue
    shows no depth either, so the backtest and the brain replay pay the same costs.
    """
    from dataclasses import replace

    from ats.config import load_adapters
    from broker_adapters.factory import cost_model_for

    base = cost_model_for(venue, load_adapters(config_dir / "adapters.yaml"))
    return replace(base, depth_impact_bps=0.0)
