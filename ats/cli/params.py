"""Click parameter types that refuse what click's own types let through.

``click.FloatRange(min=0, min_open=True)`` accepts ``nan`` (every comparison with NaN is
false) and ``inf``; ``--max-seconds nan`` then ran zero cycles and exited 0. These types
check finiteness and range, name the flag and print one line (see ``ats.cli.errors``).
"""

from __future__ import annotations

import math
from typing import Any

import click

from ats.config.errors import ConfigError
from ats.config.names import check_name
from ats.domain.types import TIMEFRAMES
from ats.i18n import t


class FiniteFloat(click.ParamType):
    """A finite float within ``(low, high]``-style bounds."""

    name = "number"

    def __init__(self, low: float | None = None, high: float | None = None, *,
                 low_open: bool = False, high_open: bool = False) -> None:
        self.low, self.high = low, high
        self.low_open, self.high_open = low_open, high_open

    def rule(self) -> str:
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.low_open else '>='} {self.low:g}")
        if self.high is not None:
            parts.append(f"{'<' if self.high_open else '<='} {self.high:g}")
        return " and ".join(parts) or "finite"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> float:
        if isinstance(value, float) and math.isfinite(value) and self._in_range(value):
            return value
        try:
            x = float(value)
        except (TypeError, ValueError):
            self.fail(t("hostile.not_finite", value=str(value)), param, ctx)
        if not math.isfinite(x):
            self.fail(t("hostile.not_finite", value=str(value)), param, ctx)
        if not self._in_range(x):
            self.fail(t("hostile.out_of_range", value=value, rule=self.rule()), param, ctx)
        return x

    def _in_range(self, x: float) -> bool:
        if self.low is not None and (x <= self.low if self.low_open else x < self.low):
            return False
        return not (self.high is not None and (x >= self.high if self.high_open
                                                else x > self.high))

    def __repr__(self) -> str:
        return f"FiniteFloat({self.rule()})"


POSITIVE = FiniteFloat(0.0, low_open=True)
# A simulated clock faster than a million times real time overflows the mock's arithmetic
# (1e308 did) and gains nothing: a day passes in 0.09 s.
SPEED = FiniteFloat(0.0, 1_000_000.0, low_open=True)
# Seeds feed numpy's generators, which take non-negative integers only.
SEED = click.IntRange(0, 2**63 - 1)


class SafeName(click.ParamType):
    """A name that becomes part of a path (run id, account): the safe alphabet only."""

    name = "name"

    def __init__(self, what: str = "name") -> None:
        self.what = what

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        flag = "/".join(param.opts) if param is not None and param.opts else "name"
        try:
            return check_name(flag, str(value))
        except ConfigError as exc:
            self.fail(f"{exc.found} is not a safe {self.what}; expected {exc.expected}", param,
                      ctx)


def parse_timeframes(text: str | None, flag: str = "--timeframes") -> tuple[str, ...] | None:
    """``"1m, 1h"`` → ``("1m", "1h")``; an unknown timeframe is a usage error with the list."""
    if not text:
        return None
    out = tuple(p.strip() for p in text.replace(" ", ",").split(",") if p.strip())
    if not out:
        raise click.BadParameter(t("hostile.bad_timeframe", value=text,
                                   known=", ".join(TIMEFRAMES)), param_hint=flag)
    for tf in out:
        if tf not in TIMEFRAMES:
            raise click.BadParameter(t("hostile.bad_timeframe", value=tf,
                                       known=", ".join(TIMEFRAMES)), param_hint=flag)
    return out
