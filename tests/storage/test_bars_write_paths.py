"""``upsert_bars`` takes a plain INSERT for bars past the stored ones and the upsert for the
overlap; whichever path a row takes, the stored rows and the returned count must be those of
a row-by-row upsert (new or changed rows counted, identical rows not)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ats.domain import Bars
from storage.dao import PersistDAO
from tests.storage.helpers import T0, make_bars


@pytest.fixture
def dao(tmp_path: Path):  # type: ignore[no-untyped-def]
    d = PersistDAO(tmp_path / "w.db")
    yield d
    d.close()


def _take(b: Bars, idx: np.ndarray) -> Bars:
    return Bars(b.symbol, b.timeframe, b.ts[idx], b.open[idx], b.high[idx], b.low[idx],
                b.close[idx], b.volume[idx], b.spread[idx])


def _reference(rows: dict[int, tuple[float, ...]], b: Bars, source: str) -> int:
    """What a row-by-row upsert does: the count of new or changed rows."""
    n = 0
    for i in range(len(b)):
        row = (float(b.open[i]), float(b.high[i]), float(b.low[i]), float(b.close[i]),
               float(b.volume[i]), float(b.spread[i]), source)
        if rows.get(int(b.ts[i])) != row:
            rows[int(b.ts[i])] = row
            n += 1
    return n


def _stored(dao: PersistDAO) -> dict[int, tuple[float, ...]]:
    with dao.db.read() as conn:
        return {int(r[0]): tuple(r[1:]) for r in conn.execute(
            "SELECT ts, open, high, low, close, volume, spread, source FROM bars "
            "WHERE symbol = 'EURUSD' AND timeframe = '1m'")}


def test_overlap_counts_only_new_and_changed_rows(dao: PersistDAO) -> None:
    full = make_bars(n=30)
    ref: dict[int, tuple[float, ...]] = {}
    first = _take(full, np.arange(0, 10))
    assert dao.upsert_bars(first, "mock") == _reference(ref, first, "mock") == 10
    # rows 5..19: 5..9 identical, 10..19 new -> 10
    over = _take(full, np.arange(5, 20))
    assert dao.upsert_bars(over, "mock") == _reference(ref, over, "mock") == 10
    # rows 15..29 with two of the stored ones changed -> 2 changed + 10 new
    nxt = _take(full, np.arange(15, 30))
    nxt.close[1] += 0.01
    nxt.volume[3] += 1.0
    assert dao.upsert_bars(nxt, "mock") == _reference(ref, nxt, "mock") == 12
    assert _stored(dao) == ref
    # a different source rewrites the row even with equal prices
    again = _take(full, np.arange(25, 28))
    assert dao.upsert_bars(again, "sync") == _reference(ref, again, "sync") == 3
    assert _stored(dao) == ref


def test_a_gap_inside_the_stored_range_is_filled(dao: PersistDAO) -> None:
    """Stored rows 0..4 and 20..24, then a batch 0..24: the gap 5..19 is new but lies before
    the newest stored row, so the whole batch takes the upsert and still counts 15."""
    full = make_bars(n=25)
    ref: dict[int, tuple[float, ...]] = {}
    counts = []
    for part in (np.arange(0, 5), np.arange(20, 25), np.arange(0, 25)):
        b = _take(full, part)
        counts.append(dao.upsert_bars(b, "mock"))
        assert counts[-1] == _reference(ref, b, "mock")
    assert counts == [5, 5, 15] and _stored(dao) == ref and len(ref) == 25


def test_unordered_and_duplicate_batches_take_the_upsert(dao: PersistDAO) -> None:
    full = make_bars(n=12)
    ref: dict[int, tuple[float, ...]] = {}
    b = _take(full, np.array([3, 1, 2, 2, 0]))
    assert dao.upsert_bars(b, "mock") == _reference(ref, b, "mock") == 4
    b2 = make_bars(n=12, seed=9)
    mixed = _take(b2, np.array([11, 10, 1, 5]))
    assert dao.upsert_bars(mixed, "mock") == _reference(ref, mixed, "mock") == 4
    assert _stored(dao) == ref
    assert dao.read_bars("EURUSD", "1m").ts.tolist() == sorted(ref)


def test_other_symbols_do_not_move_the_split(dao: PersistDAO) -> None:
    eur = make_bars(n=10)
    gbp = make_bars(symbol="GBPUSD", n=10, start=T0 + 60_000 * 5)
    assert dao.upsert_bars(gbp, "mock") == 10
    assert dao.upsert_bars(eur, "mock") == 10
    assert dao.bar_count("EURUSD", "1m") == 10 and dao.bar_count("GBPUSD", "1m") == 10
