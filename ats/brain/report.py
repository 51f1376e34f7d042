"""Text for the journal: a cycle's payload in words an FTS search can find.

The payload is for machines (JSON1 queries); the text is for ``ats search "daily lock"``,
so it spells out locks, strategy and symbol names and rejection reasons in plain words.
"""

from __future__ import annotations

from typing import Any

from ats.domain import StrategySignal


def signal_text(sig: StrategySignal) -> str:
    verb = "EXIT" if sig.is_exit else sig.side.value.upper()
    return (f"{verb} {sig.symbol} @ {sig.entry:.6g} (conf {sig.confidence:.2f}) "
            f"{sig.strategy} {sig.timeframe}: {sig.reason}")


def cycle_text(p: dict[str, Any]) -> str:
    parts = [f"cycle {p['cycle']}"]
    if p.get("regime_changes"):
        parts.append("regime " + ", ".join(f"{s} -> {r}" for s, r in p["regime_changes"].items()))
    if p.get("signals"):
        parts.append("signals: " + "; ".join(p["signals"][:20]))
    if p.get("shadow"):
        parts.append("shadow challenger plans: " + "; ".join(p["shadow"][:20]))
    if p.get("plans"):
        parts.append("plans: " + "; ".join(
            f"{x['strategy']} {x['side']} {x['qty']:g} {x['symbol']} stop {_num(x['stop'])} "
            f"take {_num(x['take'])} risk {x['risk_pct']:.3%}" for x in p["plans"][:20]))
    if p.get("exits"):
        parts.append("exits: " + "; ".join(f"{x['symbol']} {x['reason']}" for x in p["exits"]))
    if p.get("rejections"):
        parts.append("rejected: " + "; ".join(
            f"{x['strategy']} {x['symbol']} {x['code']}: {x['reason']}"
            for x in p["rejections"][:20]))
    if p.get("orders"):
        parts.append(f"orders {len(p['orders'])}: " + "; ".join(
            f"{o['side']} {o['qty']:g} {o['symbol']} {o['status']}" for o in p["orders"][:20]))
    if p.get("fills"):
        parts.append(f"fills {len(p['fills'])}: " + "; ".join(
            f"{f['side']} {f['qty']:g} {f['symbol']} @ {f['price']:.6g}" for f in p["fills"][:20]))
    if p.get("errors"):
        parts.append("errors: " + "; ".join(f"{k}: {v}" for k, v in p["errors"].items()))
    if p.get("warnings"):
        parts.append("warnings: " + "; ".join(f"{k}: {v}" for k, v in p["warnings"].items()))
    locks = p.get("locks", {})
    if locks.get("kill_switch"):
        parts.append("kill switch engaged")
    if locks.get("daily_lock"):
        parts.append("daily lock engaged")
    if locks.get("governance_lock"):
        parts.append("governance lock: governance file changed on disk")
    if locks.get("safe_mode"):
        parts.append(f"safe mode (max correlation {locks.get('max_correlation', 0):.2f})")
    if not p.get("connected", True):
        parts.append("venue disconnected")
    parts.append(f"equity {p.get('equity', 0):,.2f} daily {p.get('daily_pnl_pct', 0):.2%} "
                 f"dd {p.get('drawdown_pct', 0):.2%} latency {p.get('latency_ms', 0):.1f} ms")
    return " | ".join(parts)


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.6g}"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(q / 100.0 * (len(s) - 1))))
    return float(s[k])
