"""Formatting shared by the desk's panels: numbers, times and the colours that mean things.

Kept apart from the widgets so every panel speaks the same units (fractions shown as %,
money with thousands separators, clock time in UTC) and the same colour language.
"""

from __future__ import annotations

from ats.domain import Regime
from ats.domain.clock import ms_to_datetime

REGIME_STYLE: dict[str, str] = {
    Regime.TREND_UP.value: "bold green",
    Regime.TREND_DOWN.value: "bold red",
    Regime.RANGE_LOWVOL.value: "cyan",
    Regime.RANGE_HIGHVOL.value: "yellow",
    Regime.PANIC.value: "bold white on red",
}

STATE_STYLE: dict[str, str] = {
    "ok": "green",
    "warn": "yellow",
    "error": "bold red",
    "disabled": "dim",
}

STATUS_STYLE: dict[str, str] = {
    "active": "bold green",
    "enabled": "green",
    "standby": "dim",
    "cooldown": "yellow",
    "disabled": "dim",
    "shadow": "magenta",
}


def pct(value: float, digits: int = 2, signed: bool = False) -> str:
    """A fraction as a percentage: 0.008 -> '0.80%'."""
    return f"{value * 100:+.{digits}f}%" if signed else f"{value * 100:.{digits}f}%"


def money(value: float, signed: bool = False) -> str:
    return f"{value:+,.2f}" if signed else f"{value:,.2f}"


def qty(value: float) -> str:
    """A size without trailing zeros, so 0.0100 reads as 0.01 and 3.0 as 3."""
    text = f"{abs(value):.6f}".rstrip("0").rstrip(".")
    return text or "0"


def price(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) >= 1000:
        return f"{value:,.2f}"
    if abs(value) >= 10:
        return f"{value:.3f}"
    return f"{value:.5f}"


def clock_text(ms: int) -> str:
    """Clock time as UTC date and time; the date matters when a simulated day flies by."""
    return ms_to_datetime(ms).strftime("%Y-%m-%d %H:%M:%S")


def hms(ms: int) -> str:
    return ms_to_datetime(ms).strftime("%H:%M:%S")


def age_text(ms: int | None) -> str:
    """A duration in the largest unit that keeps it short: 850ms, 12.3s, 4m05s, 2h10m."""
    if ms is None:
        return "—"
    if ms < 1000:
        return f"{ms}ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, sec = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{sec:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def usage_style(used: float) -> str:
    """Colour of a budget bar by how much of the limit is used (0..1+)."""
    if used >= 0.9:
        return "bold red"
    if used >= 0.6:
        return "yellow"
    return "green"


def bar(used: float, width: int) -> tuple[str, str]:
    """A horizontal gauge: (filled part, empty part) for ``used`` in 0..1 (clipped)."""
    width = max(1, width)
    eighths = round(min(max(used, 0.0), 1.0) * width * 8)
    full, part = divmod(eighths, 8)
    partial = " ▏▎▍▌▋▊▉"[part] if part else ""
    filled = "█" * full + partial
    return filled, "─" * (width - len(filled))


def truncate(text: str, width: int) -> str:
    if width <= 0:
        return ""
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"
