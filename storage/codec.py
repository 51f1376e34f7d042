"""JSON for the journal and other JSON1 columns, tolerant of what the brain hands over.

Cycle payloads carry indicator values (NaN before warm-up), numpy scalars and arrays, enums
and dataclasses. ``json.dumps`` would write ``NaN`` (not valid JSON: the ``json_valid`` CHECK
rejects it) or give up on ``np.int64``; losing a journal record over that would be absurd.
Non-finite floats become ``null``; numpy values become plain numbers and lists.
"""

from __future__ import annotations

import dataclasses
import json
import math
from enum import Enum
from typing import Any

import numpy as np


def _default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Enum):
        return obj.value
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if isinstance(obj, set | frozenset):
        return sorted(obj, key=str)
    return str(obj)


def _finite(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


def dumps(obj: Any) -> str:
    """Compact, valid JSON for any payload (non-finite floats written as null)."""
    try:
        return json.dumps(obj, separators=(",", ":"), default=_default, allow_nan=False)
    except ValueError:
        plain = json.loads(json.dumps(obj, default=_default))  # NaN survives this round trip
        return json.dumps(_finite(plain), separators=(",", ":"), allow_nan=False)
