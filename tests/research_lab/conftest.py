"""Fixtures of the research-lab tests."""

from __future__ import annotations

import pytest
from rl_helpers import random_bars

from ats.domain import Bars


@pytest.fixture
def bars() -> Bars:
    return random_bars(1500)
