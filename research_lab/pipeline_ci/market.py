"""Where research bars come from: the built-in mock market, generated directly.

Two markets: ``mock`` is the mock adapter's default random regime schedule (short regimes,
no persistent edge — an honest pipeline promotes nothing there, and the deflated Sharpe
gate is what says so); ``mock-trending`` scripts long alternating trend and range segments
through the mock's ``Scenario``, a market with real structure for trend strategies to find.
History for research and the "fresh" bars of the shadow stage are consecutive, never
overlapping, slices of the same deterministic path.
"""

from __future__ import annotations

from dataclasses import dataclass

from ats.domain import Bars, FixedClock
from ats.domain.types import Regime
from broker_adapters.mock import MockMarket, Scenario, parse_start

MARKETS = ("mock", "mock-trending")
START = "2026-01-05T00:00:00Z"


@dataclass(frozen=True, slots=True)
class MarketSpec:
    market: str = "mock-trending"
    symbol: str = "BTC/USDT:USDT"
    timeframe: str = "1h"
    seed: int = 42
    history_bars: int = 4000
    fresh_bars: int = 600
    segment_bars: int = 300

    def to_dict(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def mock_market(spec: MarketSpec) -> MockMarket:
    if spec.market not in MARKETS:
        raise ValueError(f"unknown research market {spec.market!r}; expected one of "
                         f"{', '.join(MARKETS)}")
    start = parse_start(START)
    scenario = None
    if spec.market == "mock-trending":
        seg = spec.segment_bars
        cycle = ((Regime.TREND_UP, seg), (Regime.RANGE_LOWVOL, max(1, seg // 3)),
                 (Regime.TREND_DOWN, seg), (Regime.RANGE_HIGHVOL, max(1, seg // 3)))
        reps = (spec.history_bars + spec.fresh_bars) // (seg * 2 + 2 * max(1, seg // 3)) + 1
        scenario = Scenario(segments=cycle * reps, timeframe=spec.timeframe, start_ms=start)
    return MockMarket(clock=FixedClock(start), seed=spec.seed, symbols=(spec.symbol,),
                      history_days=0, scenario=scenario)


def history(spec: MarketSpec) -> Bars:
    """The research history: the first ``history_bars`` bars of the path."""
    return mock_market(spec).bars_between(spec.symbol, spec.timeframe, 0, spec.history_bars)


def fresh(spec: MarketSpec, warmup: int = 0) -> tuple[Bars, int]:
    """Bars after the research history (plus ``warmup`` bars before them), and the index of
    the first fresh bar in the returned bars."""
    k0 = max(0, spec.history_bars - warmup)
    bars = mock_market(spec).bars_between(spec.symbol, spec.timeframe, k0,
                                          spec.history_bars + spec.fresh_bars)
    return bars, spec.history_bars - k0
