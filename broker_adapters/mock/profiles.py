"""What the mock market trades and how each market regime behaves.

Profiles are plain numbers chosen to look like the real instruments (price level, yearly
volatility, tick, lot, typical spread, liquidity) so that sizing, spreads and slippage in a
mock session are of the same order as on the real venues. Any unknown symbol gets a generic
profile derived from its name, so tests may invent instruments freely.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np

from ats.domain import InstrumentSpec, Regime, timeframe_ms

MINUTES_PER_YEAR = 525_600.0


@dataclass(frozen=True, slots=True)
class SymbolProfile:
    symbol: str
    group: str  # correlated instruments share a group factor and a regime path
    asset_class: str
    price: float  # price level at the origin of the path
    annual_vol: float
    tick: float
    lot_step: float
    min_qty: float
    contract_size: float = 1.0
    quote_currency: str = "USD"
    margin_currency: str = ""  # "" = the quote currency
    has_funding: bool = False
    spread_bps: float = 1.0  # typical quoted spread
    volume_per_min: float = 10.0  # typical traded volume per minute, in qty units
    depth_per_level: float = 5.0  # typical size at each book level, in qty units
    max_leverage: float = 100.0
    sign: float = 1.0  # -1 loads negatively on the group factor (negative correlation)

    @property
    def sigma_min(self) -> float:
        return self.annual_vol / float(np.sqrt(MINUTES_PER_YEAR))

    def spec(self, venue: str) -> InstrumentSpec:
        return InstrumentSpec(
            self.symbol, venue, self.asset_class, self.tick, self.lot_step, self.min_qty,
            self.contract_size, self.quote_currency, self.has_funding, self.max_leverage,
            self.margin_currency or self.quote_currency,
        )


KNOWN: dict[str, SymbolProfile] = {
    p.symbol: p
    for p in (
        SymbolProfile("BTC/USDT:USDT", "crypto", "crypto_perp", 60_000.0, 0.60, 0.1, 0.001,
                      0.001, quote_currency="USDT", margin_currency="USDT", has_funding=True,
                      spread_bps=0.5,
                      volume_per_min=40.0, depth_per_level=1.5, max_leverage=125.0),
        SymbolProfile("ETH/USDT:USDT", "crypto", "crypto_perp", 3_000.0, 0.75, 0.01, 0.01,
                      0.01, quote_currency="USDT", margin_currency="USDT", has_funding=True,
                      spread_bps=0.8,
                      volume_per_min=400.0, depth_per_level=25.0, max_leverage=100.0,
                      sign=-1.0),
        SymbolProfile("EURUSD", "fx", "fx", 1.0850, 0.07, 0.00001, 0.01, 0.01,
                      contract_size=100_000.0, margin_currency="EUR", spread_bps=0.8,
                      volume_per_min=300.0,
                      depth_per_level=20.0, max_leverage=30.0),
        SymbolProfile("GBPUSD", "fx", "fx", 1.2700, 0.08, 0.00001, 0.01, 0.01,
                      contract_size=100_000.0, margin_currency="GBP", spread_bps=1.1,
                      volume_per_min=200.0,
                      depth_per_level=15.0, max_leverage=30.0, sign=-1.0),
        SymbolProfile("XAUUSD", "metal", "metal", 2_350.0, 0.15, 0.01, 0.01, 0.01,
                      contract_size=100.0, margin_currency="XAU", spread_bps=1.5,
                      volume_per_min=80.0, depth_per_level=5.0, max_leverage=20.0),
        SymbolProfile("USDJPY", "fx", "fx", 150.00, 0.09, 0.001, 0.01, 0.01,
                      contract_size=100_000.0, quote_currency="JPY", margin_currency="USD",
                      spread_bps=0.9, volume_per_min=250.0, depth_per_level=20.0,
                      max_leverage=30.0),
        SymbolProfile("EURGBP", "fx", "fx", 0.8550, 0.06, 0.00001, 0.01, 0.01,
                      contract_size=100_000.0, quote_currency="GBP", margin_currency="EUR",
                      spread_bps=1.2, volume_per_min=120.0, depth_per_level=10.0,
                      max_leverage=30.0),
    )
}


def stable_id(name: str) -> int:
    """A process-independent integer for a name (``hash()`` is salted per process)."""
    return zlib.crc32(name.encode("utf-8"))


def profile_for(symbol: str) -> SymbolProfile:
    """The profile of ``symbol``; unknown names get a deterministic generic instrument."""
    if symbol in KNOWN:
        return KNOWN[symbol]
    h = stable_id(symbol)
    price = float(10 ** (1 + (h % 3000) / 1000.0))  # 10 .. 10_000
    return SymbolProfile(
        symbol, "generic", "index", round(price, 2), 0.25 + (h % 20) / 100.0, 0.01, 1.0, 1.0,
        spread_bps=2.0, volume_per_min=500.0, depth_per_level=200.0,
        sign=-1.0 if h % 2 else 1.0,
    )


# --------------------------------------------------------------------------- regimes
REGIMES: tuple[Regime, ...] = (
    Regime.TREND_UP, Regime.TREND_DOWN, Regime.RANGE_LOWVOL, Regime.RANGE_HIGHVOL, Regime.PANIC,
)
REGIME_INDEX = {r: i for i, r in enumerate(REGIMES)}


@dataclass(frozen=True, slots=True)
class RegimeParams:
    """Per regime, in units of the symbol's own per-block volatility."""

    vol: tuple[float, ...] = (1.0, 1.1, 0.5, 1.8, 4.0)
    drift: tuple[float, ...] = (0.12, -0.10, 0.0, 0.0, -1.2)  # sigma_block per block
    kappa: tuple[float, ...] = (0.0, 0.0, 0.08, 0.08, 0.0)  # pull toward the range anchor
    spread: tuple[float, ...] = (1.0, 1.1, 0.8, 2.0, 6.0)
    volume: tuple[float, ...] = (1.0, 1.1, 0.6, 1.8, 4.0)
    weight: tuple[float, ...] = (0.29, 0.23, 0.28, 0.15, 0.05)  # how often a regime is chosen
    mean_blocks: tuple[float, ...] = (40.0, 40.0, 48.0, 28.0, 8.0)  # typical length

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: np.asarray(getattr(self, k), dtype=np.float64)
                for k in ("vol", "drift", "kappa", "spread", "volume")}


@dataclass(frozen=True, slots=True)
class Scenario:
    """A scripted market for tests elsewhere: regimes in order, then the random schedule.

    ``segments`` are ``(regime, n_bars)`` with bars of ``timeframe``; regimes switch on
    15-minute block boundaries, so shorter segments are rounded up to one block.
    ``start_ms`` defaults to the mock market's clock time at construction.
    ``drift_per_hour`` adds a steady log-return per hour to named symbols (e.g. ``-0.002``
    for a slow bleed), on top of whatever regime is running.
    ``gaps`` maps a symbol to ``(ts_ms, log_move)`` jumps: every price from the minute holding
    ``ts_ms`` on is scaled by ``exp(log_move)``, so that minute opens away from the previous
    close (a gap through resting stops, as after news or a weekend).
    """

    segments: tuple[tuple[Regime, int], ...] = ()
    timeframe: str = "1h"
    start_ms: int | None = None
    drift_per_hour: dict[str, float] = field(default_factory=dict)
    gaps: dict[str, tuple[tuple[int, float], ...]] = field(default_factory=dict)

    def blocks(self, block_ms: int) -> list[tuple[int, int]]:
        """``(regime index, n_blocks)`` per segment."""
        tf = timeframe_ms(self.timeframe)
        return [
            (REGIME_INDEX[Regime(r)], max(1, -(-n * tf // block_ms))) for r, n in self.segments
        ]
