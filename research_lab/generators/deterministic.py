"""Seeded candidate generator: parameter grids over templates, and mutations of seeds.

It is the pipeline's fallback when no Ollama server answers, and a baseline to compare the
LLM against: the same seed always yields the same candidates, so a run is reproducible.
"""

from __future__ import annotations

import random
from typing import Any

from research_lab.dsl.errors import DslError, parse_spec
from research_lab.dsl.models import StrategySpec


def _ind(name: str, period: int, shift: int = 0, **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"period": period}
    if "std" in extra:
        params["std"] = extra.pop("std")
    return {"kind": "indicator", "name": name, "params": params, "shift": shift, **extra}


def _px(field: str = "close", shift: int = 0) -> dict[str, Any]:
    return {"kind": "price", "field": field, "shift": shift}


def _const(v: float) -> dict[str, Any]:
    return {"kind": "const", "value": v}


def _block(*rules: tuple[dict[str, Any], str, dict[str, Any]], logic: str = "all"
           ) -> dict[str, Any]:
    return {"logic": logic, "rules": [{"left": a, "op": op, "right": b} for a, op, b in rules]}


def ma_cross(r: random.Random, tf: str) -> dict[str, Any]:
    kind = r.choice(["ema", "sma"])
    fast = r.choice([5, 8, 10, 12, 15, 20])
    slow = fast * r.choice([2, 3, 4])
    f, s = _ind(kind, fast), _ind(kind, slow)
    return {
        "name": f"{kind}_cross_{fast}_{slow}", "kind": "trend", "timeframe": tf,
        "description": f"{kind.upper()} {fast}/{slow} crossover, both sides",
        "regimes": ["trend_up", "trend_down", "range_highvol"],
        "entry": {"long": _block((f, "crosses_above", s)),
                  "short": _block((f, "crosses_below", s))},
        "exit": {"long": _block((f, "crosses_below", s)),
                 "short": _block((f, "crosses_above", s))},
        "stop": {"kind": "atr", "value": r.choice([2.0, 2.5, 3.0, 4.0])},
    }


def breakout(r: random.Random, tf: str) -> dict[str, Any]:
    n = r.choice([20, 30, 40, 55])
    ex = r.choice([10, 20, 30])
    return {
        "name": f"donchian_breakout_{n}_{ex}", "kind": "trend", "timeframe": tf,
        "description": f"close beyond the previous {n}-bar channel; EMA {ex} exit",
        "regimes": ["trend_up", "trend_down", "range_highvol"],
        "entry": {"long": _block((_px(), ">", _ind("donchian_upper", n, 1))),
                  "short": _block((_px(), "<", _ind("donchian_lower", n, 1)))},
        "exit": {"long": _block((_px(), "crosses_below", _ind("ema", ex))),
                 "short": _block((_px(), "crosses_above", _ind("ema", ex)))},
        "stop": {"kind": "atr", "value": r.choice([2.0, 3.0])},
        "take": {"kind": "atr", "value": r.choice([4.0, 6.0, 8.0])},
    }


def rsi_reversion(r: random.Random, tf: str) -> dict[str, Any]:
    p = r.choice([7, 10, 14])
    lo = r.choice([20.0, 25.0, 30.0])
    rsi = _ind("rsi", p)
    return {
        "name": f"rsi_reversion_{p}_{int(lo)}", "kind": "mean_reversion", "timeframe": tf,
        "description": f"RSI({p}) back inside {lo:g}/{100 - lo:g}",
        "regimes": ["range_lowvol", "range_highvol"],
        "entry": {"long": _block((rsi, "crosses_above", _const(lo))),
                  "short": _block((rsi, "crosses_below", _const(100.0 - lo)))},
        "exit": {"long": _block((rsi, ">", _const(55.0))),
                 "short": _block((rsi, "<", _const(45.0)))},
        "stop": {"kind": "atr", "value": r.choice([1.5, 2.0, 3.0])},
        "max_hold_bars": r.choice([24, 48, 96]),
    }


def bollinger_reversion(r: random.Random, tf: str) -> dict[str, Any]:
    p = r.choice([20, 30])
    k = r.choice([2.0, 2.5])
    return {
        "name": f"bollinger_reversion_{p}_{int(k * 10)}", "kind": "mean_reversion",
        "timeframe": tf, "description": f"close back inside the {p},{k:g} Bollinger band",
        "regimes": ["range_lowvol", "range_highvol"],
        "entry": {"long": _block((_px(), "crosses_above", _ind("bb_lower", p, std=k))),
                  "short": _block((_px(), "crosses_below", _ind("bb_upper", p, std=k)))},
        "exit": {"long": _block((_px(), ">", _ind("bb_middle", p, std=k))),
                 "short": _block((_px(), "<", _ind("bb_middle", p, std=k)))},
        "stop": {"kind": "pct", "value": r.choice([1.0, 2.0])},
    }


def adx_trend(r: random.Random, tf: str) -> dict[str, Any]:
    fast, slow = r.choice([(10, 30), (20, 50), (12, 48)])
    lvl = r.choice([20.0, 25.0])
    f, s, adx = _ind("ema", fast), _ind("ema", slow), _ind("adx", 14)
    return {
        "name": f"adx_ema_trend_{fast}_{slow}_{int(lvl)}", "kind": "trend", "timeframe": tf,
        "description": f"EMA {fast}/{slow} trend while ADX > {lvl:g}",
        "regimes": ["trend_up", "trend_down"],
        "entry": {"long": _block((f, ">", s), (adx, "crosses_above", _const(lvl))),
                  "short": _block((f, "<", s), (adx, "crosses_above", _const(lvl)))},
        "exit": {"long": _block((f, "crosses_below", s)),
                 "short": _block((f, "crosses_above", s))},
        "stop": {"kind": "atr", "value": r.choice([2.0, 3.0])},
        "take": {"kind": "atr", "value": r.choice([6.0, 9.0])},
    }


TEMPLATES = (ma_cross, breakout, rsi_reversion, bollinger_reversion, adx_trend)


def mutate(spec: StrategySpec, r: random.Random, tag: str) -> StrategySpec | None:
    """Perturb every period and the stop/take multiples of ``spec``; None if invalid."""
    doc = spec.model_dump(mode="json")

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "period" and isinstance(v, int):
                    node[k] = max(2, min(400, round(v * r.choice([0.7, 0.8, 1.25, 1.5]))))
                elif k == "value" and node.get("kind") in ("atr", "pct"):
                    node[k] = round(max(0.25, min(20.0, v * r.choice([0.75, 1.25]))), 2)
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(doc)
    doc["name"] = f"{spec.name[:36]}_m{tag}"
    doc["description"] = (f"mutation of {spec.name}. " + spec.description)[:500]
    try:
        return parse_spec(doc)
    except DslError:
        return None


class DeterministicGenerator:
    """Grid samples of the templates, then mutations of ``seeds`` (when given)."""

    name = "deterministic"

    def __init__(self, seed: int = 0, timeframe: str = "1h",
                 seeds: list[StrategySpec] | None = None) -> None:
        self.seed = seed
        self.timeframe = timeframe
        self.seeds = list(seeds or [])

    def generate(self, n: int) -> list[StrategySpec]:
        r = random.Random(self.seed)
        out: list[StrategySpec] = []
        seen: set[str] = set()
        attempts = 0
        while len(out) < n and attempts < n * 50:
            attempts += 1
            if self.seeds and attempts % 3 == 0:
                cand = mutate(r.choice(self.seeds), r, str(attempts))
            else:
                cand = parse_spec(TEMPLATES[attempts % len(TEMPLATES)](r, self.timeframe))
            if cand is None:
                continue
            key = cand.model_dump_json(exclude={"name", "description"})
            if key in seen:
                continue
            seen.add(key)
            if cand.name in {c.name for c in out}:
                cand = cand.model_copy(update={"name": f"{cand.name[:40]}_v{attempts}"})
            out.append(cand)
        return out
