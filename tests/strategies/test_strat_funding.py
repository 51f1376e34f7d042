"""funding_reversion: fades extreme funding confirmed by basis; silent without funding."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from strat_bars import make_bars, position_at, wiggle

from ats.domain import InstrumentSpec, Side
from ats.strategies import FundingReversionStrategy, StrategyContext

BARS = make_bars(wiggle(60), "1h")
PERP = InstrumentSpec("BTC/USDT:USDT", "bingx", "crypto_perp", 0.1, 0.001, 0.001, has_funding=True)
SPOT = InstrumentSpec("EURUSD", "mt5", "fx", 1e-5, 0.01, 0.01)


def history(last: float, n: int = 100) -> np.ndarray:
    rng = np.random.default_rng(1)
    return np.append(rng.normal(1e-4, 2e-5, n), last)


def run(**ctx):
    return FundingReversionStrategy().generate(StrategyContext(BARS.symbol, BARS, **ctx))


def test_extreme_positive_funding_with_premium_goes_short():
    (sig,) = run(funding_rates=history(3e-4), basis=0.002, instrument=PERP)
    assert sig.side is Side.SELL and sig.stop_hint > sig.entry
    assert sig.meta["funding_z"] > 2.0 and sig.meta["basis"] == 0.002
    assert "fade the crowded longs" in sig.reason and sig.confidence > 0.7


def test_extreme_negative_funding_with_discount_goes_long():
    (sig,) = run(funding_rates=history(-1e-4), basis=-0.002)
    assert sig.side is Side.BUY and "crowded shorts" in sig.reason


def test_basis_must_confirm_and_unknown_basis_lowers_confidence():
    assert run(funding_rates=history(3e-4), basis=-0.002) == []
    assert run(funding_rates=history(3e-4), basis=0.0001) == []  # below basis_min
    (sig,) = run(funding_rates=history(3e-4))
    assert sig.side is Side.SELL and sig.confidence <= 0.7 and "basis unknown" in sig.reason


def test_ordinary_funding_gives_nothing():
    assert run(funding_rates=history(1.1e-4), basis=0.002) == []


def test_exit_when_funding_reverts():
    short = position_at(BARS, 50, -1.0)
    (sig,) = run(funding_rates=history(1e-4), position=short)
    assert sig.is_exit and sig.side is Side.BUY and "reverted" in sig.reason
    assert run(funding_rates=history(3e-4), position=short) == []
    long = position_at(BARS, 50, 1.0)
    assert run(funding_rates=history(-1e-4), position=long) == []


@pytest.mark.parametrize(
    ("ctx", "why"),
    [
        ({}, "no funding-rate history"),
        ({"funding_rates": history(3e-4), "instrument": SPOT}, "EURUSD is not a perpetual"),
        ({"funding_rates": history(3e-4, n=10)}, "11 funding rates, need 31"),
        ({"funding_rates": np.full(50, 1e-4)}, "funding history is flat"),
    ],
)
def test_silent_with_a_logged_reason(caplog, ctx, why):
    with caplog.at_level(logging.INFO, logger="ats.strategies.funding_reversion"):
        assert run(**ctx) == []
    assert why in caplog.text and "funding_reversion on BTC/USDT:USDT" in caplog.text
