"""Fixtures of generated OHLC series shared by the indicator tests."""

from __future__ import annotations

import numpy as np
import pytest
from ind_series import KINDS, make_series


@pytest.fixture(params=KINDS)
def ohlc(request: pytest.FixtureRequest) -> tuple[np.ndarray, ...]:
    return make_series(request.param)
