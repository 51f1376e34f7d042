"""One trading-cost model: fees, spread, slippage and funding, in one place.

The paper engine (every paper venue, the replay venue included), the vectorized backtester
and walk-forward all price fills with this class, built from the venue's fees and the
shared paper slippage settings by ``broker_adapters.factory.cost_model_for``. A single
definition means a strategy's backtest pays the same fees, spread and slippage as its paper
trades (the parity test checks it trade for trade); two models would drift and flatter one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ats.domain.types import Side


@dataclass(frozen=True, slots=True)
class CostModel:
    """Fees as fractions of notional; slippage in basis points.

    slippage_bps = base + depth_impact * (order size / visible depth) + vol_impact * (bar range
    in bps), applied against the trader (buys fill higher, sells lower), on top of crossing
    the spread (buys pay the ask, sells hit the bid).
    """

    maker_fee: float = 0.0002
    taker_fee: float = 0.0005
    slippage_bps_base: float = 1.0
    depth_impact_bps: float = 10.0
    vol_impact: float = 0.1
    # (asset class, maker, taker) where a class pays other fees than the venue's default:
    # the mock market lists crypto perpetuals and FX/metals side by side
    class_fees: tuple[tuple[str, float, float], ...] = ()

    def for_class(self, asset_class: str) -> CostModel:
        """The costs an instrument of ``asset_class`` pays (the defaults when none is set)."""
        for name, maker, taker in self.class_fees:
            if name == asset_class:
                return replace(self, maker_fee=maker, taker_fee=taker, class_fees=())
        return self

    def slippage_bps(self, size: float, visible_depth: float, range_bps: float = 0.0) -> float:
        """Expected slippage for ``size`` against ``visible_depth`` (same units) and volatility."""
        share = size / visible_depth if visible_depth > 0 else 1.0
        return self.slippage_bps_base + self.depth_impact_bps * share + self.vol_impact * range_bps

    def taker_price(self, side: Side, bid: float, ask: float, slippage_bps: float) -> float:
        """Fill price of a market order: cross the spread, then slip against the trader."""
        base = ask if side is Side.BUY else bid
        return base * (1.0 + side.sign * slippage_bps / 10_000.0)

    def fee(self, notional: float, *, maker: bool = False) -> float:
        return abs(notional) * (self.maker_fee if maker else self.taker_fee)

    @staticmethod
    def bar_quote(price: float, spread: float) -> tuple[float, float]:
        """(bid, ask) around a recorded price with its recorded spread (price units) — how
        the backtester and the replay venue turn a bar's open into a quote."""
        half = spread / 2.0
        return price - half, price + half

    @staticmethod
    def funding_payment(signed_notional: float, rate: float) -> float:
        """Cash a position pays at a funding event (negative: it receives).

        Perpetual convention: a positive rate means longs pay shorts ``notional * rate``.
        """
        return signed_notional * rate
