"""The event log's lines: what happened, one line each, from the journal.

A cycle record is a heartbeat plus whatever the cycle did; only the deeds become lines here
(orders, fills, exits with their reason, rejections with their reason, regime changes,
stage errors) — the heartbeat lives in the header. Lock, unlock, kill-switch, trader-action
and venue records become one line each with their full text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ats.i18n import t
from ats.i18n.said import render
from ats.tui.widgets.charts import FillMark
from storage.protocol import JournalRecord

KIND_STYLE: dict[str, str] = {
    "order": "cyan", "fill": "bold green", "exit": "magenta", "reject": "yellow",
    "regime": "blue", "lock": "bold white on red", "kill_switch": "bold white on red",
    "unlock": "bold green", "error": "bold red", "venue": "bold red", "desk": "yellow",
    "action": "bold cyan", "event": "white", "research": "magenta",
}
KINDS = tuple(KIND_STYLE)


@dataclass(frozen=True, slots=True)
class LogLine:
    ts: int
    kind: str
    text: str
    record_id: int | None = None  # the journal record it came from (opens with Enter)


def _num(x: Any) -> str:
    return f"{x:.6g}" if isinstance(x, int | float) else str(x)


def _money(x: Any) -> str:
    """A fee in the account's currency: cents, or four decimals for a fee below a cent."""
    if not isinstance(x, int | float):
        return str(x)
    return f"{x:,.2f}" if x == 0 or abs(x) >= 0.01 else f"{x:.4f}"


def _side(side: Any) -> str:
    return t(f"desk2.side.{side}") if side in ("buy", "sell") else str(side)


def _status(status: Any) -> str:
    key = f"desk2.order.{status}"
    text = t(key)
    return str(status) if text == key else text


def record_lines(r: JournalRecord) -> list[LogLine]:
    """The log lines of one journal record (none for a quiet cycle)."""
    p = r.payload if isinstance(r.payload, dict) else {}
    if r.kind != "cycle":
        kind = r.kind
        english = r.text or str(p.get("message", ""))  # the stored text: classify on it
        text = render(english, p.get("said"))
        if kind == "event" and ("connection" in english or "cannot connect" in english
                                or "disconnected" in english):
            kind = "venue"
        return [LogLine(r.ts, kind, " ".join(text.split()), r.id)]
    out: list[LogLine] = []
    for sym, regime in (p.get("regime_changes") or {}).items():
        out.append(LogLine(r.ts, "regime", t("desk2.ev.regime", symbol=sym,
                                             regime=t(f"tui.regime.{regime}")), r.id))
    for x in p.get("exits") or []:
        out.append(LogLine(r.ts, "exit", t("desk2.ev.exit", side=_side(x.get("side")),
                                           qty=_num(x.get("qty")), symbol=x.get("symbol"),
                                           reason=render(x.get("reason", ""),
                                                         x.get("said"))), r.id))
    for x in p.get("orders") or []:
        out.append(LogLine(r.ts, "order", t("desk2.ev.order", side=_side(x.get("side")),
                                            qty=_num(x.get("qty")), symbol=x.get("symbol"),
                                            status=_status(x.get("status")), id=x.get("id")),
                           r.id))
    for x in p.get("fills") or []:
        out.append(LogLine(r.ts, "fill", t("desk2.ev.fill", side=_side(x.get("side")),
                                           qty=_num(x.get("qty")), symbol=x.get("symbol"),
                                           price=_num(x.get("price")),
                                           fee=_money(x.get("fee", 0))), r.id))
    for x in p.get("rejections") or []:
        out.append(LogLine(r.ts, "reject", t("desk2.ev.reject", strategy=x.get("strategy"),
                                             symbol=x.get("symbol"), code=x.get("code"),
                                             reason=render(x.get("reason", ""),
                                                           x.get("said"))), r.id))
    for node, err in (p.get("errors") or {}).items():
        out.append(LogLine(r.ts, "error", f"{node}: {err}", r.id))
    return out


def record_fills(r: JournalRecord) -> list[FillMark]:
    p = r.payload if isinstance(r.payload, dict) else {}
    if r.kind not in ("cycle", "action"):  # a flatten's fills are in its action record
        return []
    out = []
    for x in p.get("fills") or []:
        try:
            out.append(FillMark(r.ts, str(x["symbol"]), str(x["side"]), float(x["price"])))
        except (KeyError, TypeError, ValueError):
            continue
    return out
