"""Wiring of the replay venue for ``build_orchestrator``: bars in, warm-up, cycles to run.

Kept out of ``runtime`` so the builder stays one page: this module knows where replay bars
come from (a CSV/Parquet file or the database ``ats sync`` filled), which timeframes they
can feed, and how far the clock must start into the data for the brain's windows to be full.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ats.config import AdaptersConfig, ConfigError, Settings
from ats.domain import Bars, InstrumentSpec
from ats.domain.types import timeframe_ms
from broker_adapters.factory import ADAPTERS, create_replay, fees_venue_for
from broker_adapters.paper import PaperBroker
from broker_adapters.replay import BarsFileError, ReplayVenue, load_bars_file


def _db_bars(db: Path, symbols: Sequence[str], timeframes: Sequence[str] | None,
             ) -> tuple[dict[str, Bars], dict[str, InstrumentSpec], str | None]:
    from storage.dao import PersistDAO

    if not db.is_file():
        raise BarsFileError(f"{db}: no database; run `ats sync` first or pass --bars FILE")
    if not symbols:
        raise BarsFileError("--from-db needs --symbols (which mirrored symbols to replay)")
    dao = PersistDAO(db, readonly=True)
    try:
        specs = {s.symbol: s for s in dao.load_instruments() if s.symbol in symbols}
        tfs = sorted(timeframes or ("1m", "5m", "15m", "1h", "4h"), key=timeframe_ms)
        out: dict[str, Bars] = {}
        for tf in tfs:
            got = {s: dao.read_bars(s, tf) for s in symbols}
            if all(len(b) for b in got.values()):
                out = got
                break
    finally:
        dao.close()
    if not out:
        raise BarsFileError(f"{db} holds no bars of {', '.join(tfs)} for every one of "
                            f"{', '.join(symbols)}; run `ats sync` for them first")
    venues = {s.venue for s in specs.values()}
    return out, specs, venues.pop() if len(venues) == 1 else None


def replay_adapter(opts: Any, adapters_cfg: AdaptersConfig, settings: Settings,
                   db: Path) -> PaperBroker:
    """The paper-filled replay venue for ``RunOptions`` (``bars_path`` or ``from_db``)."""
    if (opts.bars_path is None) == (not opts.from_db):
        raise ConfigError("--adapter replay", "needs exactly one source of bars",
                          expected="--bars FILE or --from-db",
                          found="both" if opts.from_db else "neither")
    specs: dict[str, InstrumentSpec] = {}
    funding: dict[str, dict[str, Any]] = {}
    source_venue = None
    if opts.from_db:
        bars, specs, source_venue = _db_bars(db, tuple(opts.symbols or ()), opts.timeframes)
    else:
        path = Path(opts.bars_path)
        symbol = opts.symbols[0] if opts.symbols else path.stem.upper()
        extras: dict[str, Any] = {}
        bars = {symbol: load_bars_file(path, symbol, extras=extras)}
        if extras:
            funding[symbol] = extras
    fees_of = opts.fees_of or (source_venue if source_venue in ADAPTERS else None)
    if fees_of is None:
        fees_of = fees_venue_for(tuple(bars))
    return create_replay(bars, adapters_cfg=adapters_cfg, settings=settings, fees_of=fees_of,
                         specs=specs, funding=funding)


def replay_timeframes(venue: ReplayVenue, wanted: Sequence[str] | None,
                      configured: Sequence[str]) -> tuple[str, ...]:
    """The timeframes the brain subscribes: the data's and coarser (finer ones cannot be
    made from it); an explicit finer request is refused with the reason."""
    base = timeframe_ms(venue.timeframe)
    if wanted:
        finer = [tf for tf in wanted if timeframe_ms(tf) < base]
        if finer:
            raise BarsFileError(f"replay bars are {venue.timeframe}; cannot make "
                                f"{', '.join(finer)} bars from them — drop those timeframes")
        return tuple(wanted)
    tfs = {venue.timeframe, *(tf for tf in configured if timeframe_ms(tf) > base)}
    return tuple(sorted(tfs, key=timeframe_ms))


def warm_up(orch: Any, venue: ReplayVenue, max_cycles: int | None) -> None:
    """Start the clock where the brain's windows can be full, and run to the data's end.

    The coarsest timeframe needs ``window_size`` of its bars; when the file is shorter the
    brain starts earlier and warms up on the way (its journal says "warming up").
    """
    ratio = max(timeframe_ms(tf) for tf in orch.timeframes) // venue.step
    venue.warm_up(orch.window_size * ratio)
    orch.clock = venue.clock
    orch.ctx.clock = venue.clock
    left = venue.cycles_left()
    orch.default_limits = (left if max_cycles is None else min(max_cycles, left),
                           orch.default_limits[1])
