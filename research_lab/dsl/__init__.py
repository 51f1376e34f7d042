"""The strategy DSL: pydantic models with a published JSON schema, validation with field
paths, whole-array evaluation, and compilation to a brain ``TradingStrategy``.

``load_strategy(path)`` is what the brain calls for a challenger's ``spec:`` file. It is
imported lazily so that validating documents (generators, the CLI) does not load the
strategy package.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from research_lab.dsl.errors import DslError, dump_spec, parse_spec, read_spec
from research_lab.dsl.models import StrategySpec

if TYPE_CHECKING:
    from ats.strategies import TradingStrategy


def load_strategy(path: Path | str) -> TradingStrategy:
    """The ``TradingStrategy`` of a DSL JSON file; ``DslError`` names every bad field."""
    from research_lab.dsl.compile import load_strategy as _load

    return _load(path)


__all__ = ["DslError", "StrategySpec", "dump_spec", "load_strategy", "parse_spec", "read_spec"]
