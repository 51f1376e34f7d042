"""Order and fill identity: unique across processes and runs; a conflicting fill is loud."""

from __future__ import annotations

from pathlib import Path

import pytest

from ats.domain import Fill, Side
from storage.dao import PersistDAO
from storage.errors import FillConflictError
from tests.storage.helpers import T0


def _fill(fid: str = "o1-f1", price: float = 100.0) -> Fill:
    return Fill(fid, "o1", "EURUSD", Side.BUY, 1.0, price, 0.1, T0, "taker", "paper:mock",
                "s", None)


def test_same_fill_twice_is_stored_once(tmp_path: Path) -> None:
    with PersistDAO(tmp_path / "a.db") as dao:
        assert dao.record_fills([_fill()], "r1") == 1
        assert dao.record_fills([_fill()], "r2") == 0
        assert len(dao.load_fills()) == 1


def test_fill_with_the_same_id_and_other_content_is_refused(tmp_path: Path) -> None:
    with PersistDAO(tmp_path / "a.db") as dao:
        dao.record_fills([_fill()], "r1")
        with pytest.raises(FillConflictError, match="o1-f1.*other content"):
            dao.record_fills([_fill("o1-f2"), _fill(price=101.0)], "r2")
        # nothing of the refused batch was stored, the stored fill is untouched
        assert [(f.fill_id, f.price) for f in dao.load_fills()] == [("o1-f1", 100.0)]
