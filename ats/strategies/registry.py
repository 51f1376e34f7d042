"""Name -> strategy class. ``ats config check`` validates the enable map against ``names()``;
the brain and the research lab build strategies with ``create(name, **params)``."""

from __future__ import annotations

import inspect
from typing import Any, TypeVar

from ats.strategies.base import TradingStrategy

_REGISTRY: dict[str, type[TradingStrategy]] = {}

T = TypeVar("T", bound=type[TradingStrategy])


def register(cls: T) -> T:
    """Class decorator: make ``cls`` creatable by its ``name``.

    Registering another class under a taken name is refused (two strategies answering to
    one enable-map entry would be a silent swap); re-registering the same class is a no-op.
    """
    if not (isinstance(cls, type) and issubclass(cls, TradingStrategy)):
        raise TypeError(f"register() expects a TradingStrategy subclass, got {cls!r}")
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name:
        raise ValueError(f"{cls.__qualname__} has no strategy name (class attribute `name`)")
    known = _REGISTRY.get(name)
    if known is not None and known is not cls:
        raise ValueError(
            f"strategy name {name!r} is already registered by {known.__module__}."
            f"{known.__qualname__}; pick another name"
        )
    _REGISTRY[name] = cls
    return cls


def names() -> list[str]:
    """Every registered strategy name, sorted."""
    return sorted(_REGISTRY)


def get(name: str) -> type[TradingStrategy]:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(
            f"unknown strategy {name!r}; known strategies: {', '.join(names()) or 'none'}"
        ) from None


def create(name: str, **params: Any) -> TradingStrategy:
    """A new instance of strategy ``name`` with ``params`` overriding its defaults."""
    cls = get(name)
    accepted = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ValueError(
            f"strategy {name!r} has no parameter(s) {', '.join(unknown)}; "
            f"accepted: {', '.join(accepted)}"
        )
    return cls(**params)
