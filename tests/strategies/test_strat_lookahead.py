"""No shipped strategy looks ahead: appending or rewriting future bars (and future funding)
never changes a signal already given, and each replay really produces signals."""

from __future__ import annotations

import numpy as np
import pytest
from strat_bars import mixed_market

from ats.domain import Bars, InstrumentSpec, Regime, timeframe_ms
from ats.strategies import registry, signals_over_history

PERP = InstrumentSpec("BTC/USDT:USDT", "bingx", "crypto_perp", 0.1, 0.001, 0.001, has_funding=True)


def scenario(name: str, n: int = 900) -> tuple[Bars, dict]:
    strat = registry.create(name)
    bars = mixed_market(n, strat.timeframe, seed=11)
    kwargs: dict = {}
    if name == "range_reversion_5m":
        kwargs["regime"] = [Regime.RANGE_LOWVOL] * n
    if name == "funding_reversion":
        rng = np.random.default_rng(5)
        every = 8  # a funding print every 8 bars, known at that bar's close
        idx = np.arange(0, n, every)
        rates = rng.normal(1e-4, 2e-5, len(idx))
        rates[rng.random(len(idx)) < 0.08] *= rng.choice([-4.0, 4.0])
        kwargs["funding_rates"] = rates
        kwargs["funding_ts"] = bars.ts[idx] + timeframe_ms(strat.timeframe)
        kwargs["basis"] = np.where(np.arange(n) % 2 == 0, 0.002, -0.002)
        kwargs["instrument"] = PERP
    return bars, kwargs


def cut_kwargs(kwargs: dict, m: int) -> dict:
    out = dict(kwargs)
    for key in ("regime", "basis"):
        if key in out:
            out[key] = out[key][:m]
    return out


def rewrite_future(bars: Bars, m: int) -> Bars:
    """Bars identical up to ``m``, then a wild, different future."""
    close = bars.close.copy()
    close[m:] = close[m - 1] * np.linspace(1.0, 3.0, len(close) - m)
    high, low = bars.high.copy(), bars.low.copy()
    high[m:], low[m:] = close[m:] * 1.01, close[m:] * 0.99
    volume = bars.volume.copy()
    volume[m:] *= 50.0
    return Bars.from_arrays(bars.symbol, bars.timeframe, bars.ts, bars.open, high, low, close,
                            volume)  # fmt: skip


@pytest.mark.parametrize("name", registry.names())
def test_future_bars_never_change_past_signals(name):
    strat = registry.create(name)
    bars, kwargs = scenario(name)
    m = 2 * len(bars) // 3
    horizon = int(bars.ts[m - 1]) + timeframe_ms(bars.timeframe)
    full = signals_over_history(strat, bars, **kwargs)
    cut = signals_over_history(strat, bars.slice(0, m), **cut_kwargs(kwargs, m))
    assert len(cut) >= 2 and any(s.is_exit for s in cut), "scenario must exercise the rules"
    assert all(s.ts <= horizon for s in cut)
    assert [s for s in full if s.ts <= horizon] == cut
    rewritten = signals_over_history(strat, rewrite_future(bars, m), **kwargs)
    assert [s for s in rewritten if s.ts <= horizon] == cut


def test_future_funding_is_invisible():
    strat = registry.create("funding_reversion")
    bars, kwargs = scenario("funding_reversion")
    m = len(bars) // 2
    horizon = int(bars.ts[m - 1]) + timeframe_ms(bars.timeframe)
    base = signals_over_history(strat, bars, **kwargs)
    later = kwargs["funding_ts"] > horizon
    spiked = dict(kwargs, funding_rates=np.where(later, 0.01, kwargs["funding_rates"]))
    other = signals_over_history(strat, bars, **spiked)
    assert [s for s in base if s.ts <= horizon] == [s for s in other if s.ts <= horizon]
    assert [s for s in base if s.ts > horizon] != [s for s in other if s.ts > horizon]


@pytest.mark.parametrize("name", registry.names())
def test_generate_reads_only_its_tail(name):
    """Signals depend on the last ``bars_needed`` bars: older history cannot matter."""
    strat = registry.create(name)
    bars, kwargs = scenario(name, n=600)
    short = bars.slice(len(bars) - strat.bars_needed - 150, None)
    k = len(short)
    kw = {key: (val[-k:] if key in ("regime", "basis") else val) for key, val in kwargs.items()}
    a = signals_over_history(strat, bars, start=len(bars) - 150, track_positions=False, **kwargs)
    b = signals_over_history(strat, short, start=k - 150, track_positions=False, **kw)
    assert a == b
