"""Build the adapter a session trades on, from configuration — the one place venues are chosen.

``paper`` mode always wraps the venue in ``PaperBroker`` (orders never leave the machine);
``vst``/``demo`` talk to the venue's own virtual account; ``live`` is refused here as well as
at every entry point, so no caller can construct a live adapter by accident. BingX and MT5
are imported lazily: their client libraries are heavy and MT5's exists only on Windows.
"""

from __future__ import annotations

from typing import Any

from ats.config import AdaptersConfig, Settings, SymbolsConfig, refuse_live
from ats.domain import Clock, Mode
from ats.domain.costs import CostModel
from broker_adapters.base import BrokerAdapter
from broker_adapters.paper import PaperBroker

ADAPTERS = ("mock", "bingx", "mt5")
_CURRENCY = {"mock": "USD", "bingx": "USDT", "mt5": "USD"}


class UnknownAdapterError(ValueError):
    """An adapter name that is not one of ``ADAPTERS``."""


def cost_model_for(name: str, adapters_cfg: AdaptersConfig) -> CostModel:
    """The venue's fees with the shared paper slippage settings (also for backtests)."""
    if name not in ADAPTERS:
        raise UnknownAdapterError(
            f"unknown adapter {name!r}; expected one of {', '.join(ADAPTERS)}"
        )
    fees = getattr(adapters_cfg, name).fees
    p = adapters_cfg.paper
    return CostModel(
        maker_fee=fees.maker, taker_fee=fees.taker, slippage_bps_base=p.slippage_bps_base,
        depth_impact_bps=p.depth_impact_bps, vol_impact=p.vol_impact,
    )


def create_adapter(
    name: str,
    *,
    mode: Mode | str,
    adapters_cfg: AdaptersConfig,
    symbols_cfg: SymbolsConfig,
    settings: Settings,
    clock: Clock,
    seed: int | None = None,
    **overrides: Any,
) -> BrokerAdapter:
    """The adapter for ``name`` in ``mode``; ``overrides`` go to the venue's constructor.

    ``symbols=`` in ``overrides`` replaces the list from ``symbols.yaml``. For the mock,
    other overrides (``scenario``, ``correlation``, ``history_days``...) reach ``MockMarket``.
    """
    refuse_live(mode, f"create_adapter({name!r})")
    mode = Mode(str(mode).lower())
    name = name.strip().lower()
    costs = cost_model_for(name, adapters_cfg)
    symbols = tuple(overrides.pop("symbols", None) or symbols_cfg.symbols_for(name))
    virtual_asset = settings.effective_virtual_asset
    venue: BrokerAdapter
    if name == "mock":
        from broker_adapters.mock import MockMarket

        mc = adapters_cfg.mock
        kwargs: dict[str, Any] = {
            "clock": clock, "seed": mc.seed if seed is None else seed, "symbols": symbols,
            "start": mc.start, "correlation": mc.correlation, "costs": costs,
            "starting_balance": settings.virtual_equity, "virtual_asset": virtual_asset,
        }
        kwargs.update(overrides)
        venue = MockMarket(**kwargs)
    elif name == "bingx":
        from broker_adapters.bingx import BingxAdapter

        overrides.setdefault("clock", clock)
        venue = BingxAdapter(adapters_cfg.bingx, settings, mode=mode, symbols=symbols, **overrides)
    else:
        from broker_adapters.mt5 import Mt5Adapter

        overrides.setdefault("clock", clock)
        venue = Mt5Adapter(adapters_cfg.mt5, settings, mode=mode, symbols=symbols, **overrides)
    if mode is Mode.PAPER:
        return PaperBroker(
            venue, costs=costs, clock=clock, starting_balance=settings.virtual_equity,
            virtual_asset=virtual_asset,
            # a mock built for another account currency (tests: a EUR account) keeps it
            currency=str(overrides.get("currency") or _CURRENCY[name]),
        )
    return venue
