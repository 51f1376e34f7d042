"""Wire a ready-to-start brain from configuration: ``RunOptions`` → ``BrainOrchestrator``.

One builder for every front end (``ats run``, the TUI, the benchmark, tests) so they trade
the same way; what differs is only what they pass in ``RunOptions``.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ats.brain.orchestrator import BrainOrchestrator
from ats.brain.state import BrainSnapshot
from ats.brain.tools import ToolRegistry, default_registry
from ats.config import (
    ConfigError,
    config_dir,
    load_adapters,
    load_enable_map,
    load_governance,
    load_settings,
    load_symbols,
    refuse_live,
)
from ats.domain import Clock, Mode, RealClock, SimulatedClock
from ats.domain.clock import ms_to_datetime
from ats.portfolio import PortfolioController
from ats.risk import RiskEngine, RiskSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunOptions:
    """What a front end asks for. ``None`` fields fall back to configuration."""

    mode: Mode = Mode.PAPER
    adapter: str = "mock"
    speed: float = 60.0
    seed: int | None = None  # None: the mock's configured seed (adapters.yaml mock.seed)
    db_path: Path | str | None = None
    config_dir: Path | str | None = None
    symbols: tuple[str, ...] | None = None
    timeframes: tuple[str, ...] | None = None
    use_mock_feed: bool = False
    skip_feed_check: bool = False
    clock: Clock | None = None
    run_id: str | None = None
    max_cycles: int | None = None
    max_seconds: float | None = None
    # replay venue (adapter "replay"): a CSV/Parquet file, or the bars `ats sync` mirrored
    bars_path: Path | str | None = None
    from_db: bool = False
    # where --from-db reads bars (default: db_path if given, else the configured database)
    bars_db: Path | str | None = None
    fees_of: str | None = None  # whose fees the replay pays (mock, bingx, mt5)
    account: str | None = None  # None: the default paper account


def new_run_id(clock: Clock) -> str:
    stamp = ms_to_datetime(clock.now_ms()).strftime("%Y%m%d-%H%M%S")
    return f"run-{stamp}-{secrets.token_hex(2)}"


def load_strategies(names: Sequence[str], challengers: Sequence[Any],
                    cfg_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Live strategies from the registry; challengers from the registry or their DSL spec."""
    from ats.strategies import registry as strategy_registry

    live = {name: strategy_registry.create(name) for name in names}
    shadow: dict[str, Any] = {}
    for ch in challengers:
        if ch.spec:
            from research_lab.dsl import load_strategy

            strat = load_strategy(cfg_dir / ch.spec)
        else:
            strat = strategy_registry.create(ch.name)
        shadow[ch.name] = strat
    return live, shadow


def build_orchestrator(
    opts: RunOptions,
    *,
    sinks: Sequence[Callable[[BrainSnapshot], None]] = (),
    adapter: Any = None,
    registry: ToolRegistry | None = None,
    strategies: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
) -> BrainOrchestrator:
    """Load configs (governance locked), settings, clock, adapter, DAO, tools and agents.

    ``sinks`` receive every snapshot (the metrics exporter, a TUI); ``adapter``,
    ``registry`` and ``strategies`` replace the configured ones (tests, benchmarks).
    """
    refuse_live(opts.mode, "the run options (mode)")
    cfg = config_dir(opts.config_dir)
    settings = load_settings(env) if env is not None else load_settings()
    refuse_live(settings.mode if opts.mode is Mode.PAPER else opts.mode, "MODE")
    governance = load_governance(cfg / "governance.yaml")
    symbols_cfg = load_symbols(cfg / "symbols.yaml")
    adapters_cfg = load_adapters(cfg / "adapters.yaml")
    adapter_name = "mock" if opts.use_mock_feed else opts.adapter
    if opts.use_mock_feed and opts.mode is not Mode.PAPER:
        raise ConfigError("--use-mock-feed", "the mock feed can only drive paper trading",
                          expected="--paper", found=opts.mode.value)
    known: set[str] | None = None
    if strategies is None:
        from ats.strategies import registry as strategy_registry

        known = set(strategy_registry.names())
    enable_map = load_enable_map(cfg / "enable_map.yaml", known)
    symbols: tuple[str, ...] = ()
    timeframes: tuple[str, ...] = ()
    if adapter_name != "replay":
        symbols = tuple(opts.symbols or symbols_cfg.symbols_for(adapter_name))
        timeframes = tuple(opts.timeframes or symbols_cfg.timeframes_for(adapter_name))

    replay = None
    if adapter_name == "replay":
        from ats.brain.replay_setup import replay_adapter, replay_timeframes

        if adapter is None:
            db_for_bars = Path(opts.bars_db or opts.db_path or settings.db_path)
            adapter = replay_adapter(opts, adapters_cfg, settings, db_for_bars)
        replay = adapter.venue
        symbols = tuple(opts.symbols or replay.bars)
        timeframes = replay_timeframes(replay, opts.timeframes, symbols_cfg.timeframes)
    from storage.accounts import DEFAULT_ACCOUNT, valid_account_name
    from storage.dao import PersistDAO

    account = opts.account or DEFAULT_ACCOUNT
    bad = valid_account_name(account)
    if bad:
        raise ConfigError("--account", bad, expected="a name like paper-2", found=account)
    clock = opts.clock if replay is None else replay.clock
    db_path = Path(opts.db_path) if opts.db_path is not None else settings.db_path
    replay_run_id: str | None = None
    if replay is not None and opts.db_path is None:
        # a replay is a backtest: its own fresh database, so a second replay of the same bars
        # gives the same result and the trading account's history is never mixed with it
        replay_run_id = opts.run_id or new_run_id(replay.clock)
        db_path = settings.db_path.parent / "replays" / f"{replay_run_id}.db"
    db_path.parent.mkdir(parents=True, exist_ok=True)
    dao = PersistDAO(db_path, account=account)
    if clock is None:
        if adapter_name == "mock":
            from ats.brain.account import market_seed, resume_clock_ms
            from broker_adapters.mock import parse_start

            # The account's simulated time continues after its last committed cycle, in the
            # same market: another seed would put its open positions into other prices.
            seed = adapters_cfg.mock.seed if opts.seed is None else opts.seed
            held = market_seed(dao)
            if held is not None and held != seed:
                dao.close()
                from ats.i18n import t

                raise ConfigError("--seed", t("seed.changed", account=account, held=held,
                                              seed=seed),
                                  expected=t("seed.expected", held=held), found=str(seed))
            start_ms = resume_clock_ms(dao, parse_start(adapters_cfg.mock.start))
            clock = SimulatedClock(start_ms, speed=opts.speed)
            clock.hold_at(start_ms)  # until the brain starts: loading must not skip bars
        else:
            clock = RealClock()
    if adapter is None:
        from broker_adapters.factory import create_adapter

        overrides: dict[str, Any] = {}
        if adapter_name == "mock":
            overrides["symbols"] = symbols
        adapter = create_adapter(adapter_name, mode=opts.mode, adapters_cfg=adapters_cfg,
                                 symbols_cfg=symbols_cfg, settings=settings, clock=clock,
                                 seed=opts.seed, **overrides)
    if strategies is None:
        live, shadow = load_strategies(sorted(enable_map.all_strategies()),
                                       enable_map.challengers, cfg)
    else:
        live = {n: s for n, s in strategies.items()
                if n not in {c.name for c in enable_map.challengers}}
        shadow = {c.name: strategies[c.name] for c in enable_map.challengers
                  if c.name in strategies}

    gov = governance.governance
    risk_engine = RiskEngine(RiskSettings.from_governance(gov))
    portfolio = PortfolioController(gov, settings.virtual_equity)
    run_id = replay_run_id or opts.run_id or new_run_id(clock)
    prior = dao.get_run(run_id) if opts.run_id is not None else None
    if prior is not None:  # one id, one run: a reused id would mix two runs' records
        dao.close()
        from ats.i18n import t

        raise ConfigError("--run-id", t("final.run_id_taken", run_id=run_id, db=str(db_path)),
                          expected=t("final.run_id_expected"), found=run_id)
    orch = BrainOrchestrator(
        governance=governance, enable_map=enable_map, adapter=adapter, dao=dao, clock=clock,
        registry=registry or default_registry(), portfolio=portfolio, risk_engine=risk_engine,
        symbols=symbols, timeframes=timeframes, strategies=live, challengers=shadow,
        run_id=run_id, mode=opts.mode, venue=adapter_name,
        virtual_asset=settings.effective_virtual_asset,
        # recorded bars have no freshness to check (and may carry no spread)
        skip_feed_check=opts.skip_feed_check or replay is not None,
        owns_dao=True, sinks=list(sinks), max_cycles=opts.max_cycles,
        max_seconds=opts.max_seconds, starting_equity=settings.virtual_equity,
        currency=getattr(getattr(adapter, "engine", None), "currency", "USD"),
    )
    if adapter_name == "mock" and replay is None:
        orch.keeper.market_seed = adapters_cfg.mock.seed if opts.seed is None else opts.seed
    from broker_adapters.factory import ADAPTERS, cost_model_for

    if adapter_name in ADAPTERS:  # the venue's fees and slippage are part of planned risk
        orch.ctx.cost_model = cost_model_for(adapter_name, adapters_cfg)
    if opts.mode in (Mode.VST, Mode.DEMO):
        orch.ctx.equity_cap = settings.virtual_equity
    orch.declared_currencies = dict(symbols_cfg.instruments)
    if replay is not None:
        from ats.brain.replay_setup import warm_up

        # the replay's paper engine prices fills with the same model the risk plans with
        orch.ctx.cost_model = adapter.engine.costs
        warm_up(orch, replay, opts.max_cycles)
    return orch
