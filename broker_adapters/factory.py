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
REPLAY = "replay"  # recorded bars under the paper engine; see ``create_replay``
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
    by_class = getattr(getattr(adapters_cfg, name), "fees_by_class", None) or {}
    return CostModel(
        maker_fee=fees.maker, taker_fee=fees.taker, slippage_bps_base=p.slippage_bps_base,
        depth_impact_bps=p.depth_impact_bps, vol_impact=p.vol_impact,
        class_fees=tuple((c, f.maker, f.taker) for c, f in sorted(by_class.items())),
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


def fees_venue_for(symbols: list[str] | tuple[str, ...]) -> str:
    """Whose fees recorded bars pay when nobody says: ccxt-style crypto symbols
    (``BASE/QUOTE``) trade on BingX, anything else (EURUSD, XAUUSD...) on MT5."""
    return "bingx" if any("/" in s for s in symbols) else "mt5"


def create_replay(
    bars: dict[str, Any],
    *,
    adapters_cfg: AdaptersConfig,
    settings: Settings,
    fees_of: str = "mock",
    specs: dict[str, Any] | None = None,
    funding: dict[str, Any] | None = None,
) -> PaperBroker:
    """The replay venue over ``bars`` (symbol -> ``Bars``), filled by the paper engine.

    Fees are those of the venue the bars come from (``fees_of``: mock, bingx or mt5), with
    the shared paper slippage: the same ``CostModel`` a paper run on that venue pays. The
    clock is the venue's own (``venue.clock``): time comes from the data.
    """
    from broker_adapters.replay import ReplayVenue

    costs = cost_model_for(fees_of, adapters_cfg)
    venue = ReplayVenue(bars, specs=specs, funding=funding)
    quote = {v.quote_currency for v in venue.specs.values()}
    return PaperBroker(
        venue, costs=costs, clock=venue.clock, starting_balance=settings.virtual_equity,
        virtual_asset=settings.effective_virtual_asset,
        currency=quote.pop() if len(quote) == 1 else _CURRENCY[fees_of],
    )
