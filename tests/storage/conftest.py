"""Fixtures for storage tests: a fresh database file and deterministic bars."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.dao import PersistDAO


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "ats.db"


@pytest.fixture
def dao(db_path: Path) -> Iterator[PersistDAO]:
    d = PersistDAO(db_path)
    yield d
    d.close()
