"""Governance invariants recomputed from the ledger and the journal — with this code only.

The audit does not ask the brain, the portfolio controller or the risk engine anything:
it reads rows (fills, orders, positions, equity points, journal records, the saved paper
book) and recomputes what the rules say must have happened. A bug shared by the brain and
its own checks cannot hide here.

Each check returns a ``Check`` (name, how many cases it looked at, the breaches with one
line each). ``audit_account`` runs them all.
"""

from __future__ import annotations

import bisect
import json
import math
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

DAY_MS = 86_400_000
REL_TOL = 1e-6


@dataclass(slots=True)
class Check:
    name: str
    checked: int = 0
    breaches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaches


@dataclass(slots=True)
class AuditInput:
    """Everything the audit reads, as plain rows (built by ``load_input``)."""

    account: str
    starting_equity: float
    limits: dict[str, float]
    fills: list[dict[str, Any]]
    orders: list[dict[str, Any]]
    positions: list[dict[str, Any]]
    equity: list[tuple[int, float]]
    journal: list[dict[str, Any]]
    contract_size: dict[str, float]
    venue_state: dict[str, Any] | None
    portfolio_state: dict[str, Any] | None
    run: dict[str, Any] | None = None
    quote_currency: dict[str, str] = field(default_factory=dict)
    currency: str = "USD"


def _close(a: float, b: float, tol: float = REL_TOL) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def _cs(inp: AuditInput, symbol: str) -> float:
    return inp.contract_size.get(symbol, 1.0)


def _equity_before(points: list[tuple[int, float]], ts: int, default: float) -> float:
    """The last equity point at or before ``ts`` (``points`` sorted by time)."""
    i = bisect.bisect_right(points, (ts, math.inf))
    return points[i - 1][1] if i else default


# ---------------------------------------------------------------------- trades and risk
def check_risk_at_fill(inp: AuditInput) -> Check:
    """Each entry's risk at its fill price, against the plan's stop, <= max per trade."""
    c = Check("risk at fill <= max_risk_per_trade")
    limit = inp.limits["max_risk_per_trade"]
    by_order: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in inp.fills:
        by_order[f["client_order_id"]].append(f)
    reduce_only = {o["client_order_id"] for o in inp.orders if o["reduce_only"]}
    for rec in inp.journal:
        if rec["kind"] != "cycle":
            continue
        doc = rec["doc"]
        plans = doc.get("plans") or []
        for plan in plans:
            if plan.get("stop") is None:
                continue
            ids = [o["id"] for o in doc.get("orders") or []
                   if o["symbol"] == plan["symbol"] and o["side"] == plan["side"]
                   and o["id"] not in reduce_only]
            fills = [f for i in ids for f in by_order.get(i, [])]
            if not fills:
                continue
            c.checked += 1
            eq = _equity_before(inp.equity, rec["ts"] - 1, inp.starting_equity)
            risk = sum(f["qty"] * abs(f["price"] - plan["stop"]) for f in fills)
            sym = plan["symbol"]
            dist = abs(plan["entry"] - plan["stop"]) * plan["qty"]
            if inp.quote_currency.get(sym, inp.currency) != inp.currency and dist > 0:
                # quoted in another currency: the value of a price move per unit is the
                # plan's own (its risk over its distance), there is no FX history to redo it
                risk *= plan["risk_pct"] * eq / dist
            else:
                risk *= _cs(inp, sym)
            pct = risk / eq if eq > 0 else math.inf
            if pct > limit * (1 + 1e-4):
                c.breaches.append(f"{plan['symbol']} {plan['strategy']} at {rec['ts']}: "
                                  f"risk at fill {pct:.2%} > {limit:.2%}")
    return c


def _replay_positions(inp: AuditInput) -> tuple[dict[str, list[float]], float, float,
                                                 list[tuple[int, float, str]]]:
    """Net position [qty, avg entry] per symbol, realized PnL and fees, from fills alone;
    and the gross notional after each fill (ts, notional, symbol)."""
    pos: dict[str, list[float]] = {}
    realized = fees = 0.0
    last_px: dict[str, float] = {}
    gross: list[tuple[int, float, str]] = []
    for f in sorted(inp.fills, key=lambda f: (f["ts"], f["rowid"])):
        sym = f["symbol"]
        cs = _cs(inp, sym)
        dq = f["qty"] if f["side"] == "buy" else -f["qty"]
        q, e = pos.get(sym, [0.0, 0.0])
        fees += f["fee"]
        if q == 0 or q * dq > 0:
            nq = q + dq
            e = (e * q + f["price"] * dq) / nq
            q = nq
        else:
            closing = min(abs(dq), abs(q))
            realized += (f["price"] - e) * closing * (1 if q > 0 else -1) * cs
            nq = q + dq
            if abs(nq) <= 1e-12:
                q, e = 0.0, 0.0
            elif nq * q < 0:
                q, e = nq, f["price"]
            else:
                q = nq
        pos[sym] = [q, e]
        last_px[sym] = f["price"]
        gross.append((f["ts"], sum(abs(qq) * last_px.get(s, ee) * _cs(inp, s)
                                   for s, (qq, ee) in pos.items()), sym))
    return pos, realized, fees, gross


def check_leverage(inp: AuditInput) -> Check:
    c = Check("leverage <= leverage_cap")
    cap = inp.limits["leverage_cap"]
    _, _, _, gross = _replay_positions(inp)
    for ts, notional, sym in gross:
        c.checked += 1
        eq = _equity_before(inp.equity, ts, inp.starting_equity)
        lev = notional / eq if eq > 0 else math.inf
        if lev > cap * 1.01:  # marks move between the fill and the equity point
            c.breaches.append(f"{sym} at {ts}: gross leverage {lev:.2f}x > {cap:g}x")
    return c


# ---------------------------------------------------------------------- locks
def _lock_times(inp: AuditInput, word: str) -> list[tuple[int, str]]:
    return [(r["ts"], r["text"]) for r in inp.journal
            if r["kind"] == "lock" and word in r["text"]]


def check_daily_lock(inp: AuditInput) -> Check:
    """Every UTC day whose equity fell to -daily_max_loss from its baseline fired the lock."""
    c = Check("daily lock fired on every day past the limit")
    limit = inp.limits["daily_max_loss"]
    locks = _lock_times(inp, "daily lock")
    resets = sorted(r["ts"] for r in inp.journal if r["kind"] == "unlock"
                    and "daily lock" in r["text"])
    days: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for ts, eq in inp.equity:
        days[ts // DAY_MS].append((ts, eq))
    prev_last: float | None = None
    for day in sorted(days):
        pts = days[day]
        base = prev_last if prev_last is not None else inp.starting_equity
        prev_last = pts[-1][1]
        c.checked += 1
        worst_ts, worst = None, 0.0
        for ts, eq in pts:
            if any(day * DAY_MS <= r <= ts for r in resets):
                base = eq  # a trader's unlock restarts the day's budget
                continue
            pnl = eq / base - 1 if base > 0 else 0.0
            if pnl < worst:
                worst_ts, worst = ts, pnl
        if worst_ts is not None and worst <= -limit - 1e-9:
            fired = any(day * DAY_MS <= t < (day + 1) * DAY_MS for t, _ in locks)
            if not fired:
                c.breaches.append(f"day {day * DAY_MS}: equity {worst:.2%} from the day's "
                                  f"baseline at {worst_ts} without a daily lock")
    return c


def check_kill_switch(inp: AuditInput) -> Check:
    """The kill switch fired iff the trailing-window drawdown reached its limit."""
    c = Check("kill switch iff 72h drawdown <= limit")
    limit = inp.limits["trailing_dd_kill_switch"]
    window = int(inp.limits["trailing_dd_window_hours"] * 3_600_000)
    auto = [(t, x) for t, x in _lock_times(inp, "kill switch") if "manually" not in x]
    releases = sorted(r["ts"] for r in inp.journal if r["kind"] == "unlock"
                      and "kill switch" in r["text"])
    engaged_at: int | None = None
    reached_at: int | None = None
    worst = 0.0
    hist: deque[tuple[int, float]] = deque()  # decreasing equity: hist[0] is the peak
    last_ts: int | None = None
    ri = 0
    for ts, eq in inp.equity:
        while ri < len(releases) and releases[ri] <= ts:
            if last_ts is not None and releases[ri] > last_ts:
                hist.clear()  # drawdown is measured afresh after an unlock
                engaged_at = reached_at = None
            ri += 1
        last_ts = ts
        while hist and hist[-1][1] <= eq:
            hist.pop()
        hist.append((ts, eq))
        while hist[0][0] < ts - window:
            hist.popleft()
        peak = hist[0][1]
        dd = eq / peak - 1 if peak > 0 else 0.0
        worst = min(worst, dd)
        c.checked += 1
        if dd <= -limit - 1e-9 and reached_at is None:
            reached_at = ts
            fired = [t for t, _ in auto if t <= ts + 60_000]  # in the cycle that saw it
            if not fired:
                c.breaches.append(f"drawdown {dd:.2%} at {ts} without the kill switch")
            engaged_at = ts
    if auto and engaged_at is None and worst > -limit * (1 - 0.02):
        c.breaches.append(f"kill switch fired at {auto[0][0]} but the drawdown recomputed "
                          f"from equity never passed {-limit:.2%} (worst {worst:.2%})")
    return c


def check_safe_mode(inp: AuditInput) -> Check:
    c = Check("safe mode iff max |rho| >= threshold")
    th = inp.limits["correlation_threshold"]
    for r in inp.journal:
        if r["kind"] != "cycle":
            continue
        locks = r["doc"].get("locks") or {}
        if "max_correlation" not in locks:
            continue
        c.checked += 1
        want = float(locks["max_correlation"]) >= th
        if bool(locks.get("safe_mode")) != want:
            c.breaches.append(f"cycle at {r['ts']}: rho {locks['max_correlation']:.3f}, "
                              f"safe mode {'on' if locks.get('safe_mode') else 'off'}")
    return c


# ---------------------------------------------------------------------- the ledger
def check_order_fills(inp: AuditInput) -> Check:
    c = Check("every filled order has its fills")
    got: dict[str, float] = defaultdict(float)
    for f in inp.fills:
        got[f["client_order_id"]] += f["qty"]
    for o in inp.orders:
        if o["filled_qty"] <= 0 and o["status"] != "filled":
            continue
        c.checked += 1
        if not _close(got.get(o["client_order_id"], 0.0), o["filled_qty"], 1e-9):
            c.breaches.append(f"order {o['client_order_id']} says filled {o['filled_qty']:g}, "
                              f"its fills sum to {got.get(o['client_order_id'], 0.0):g}")
    ids = {o["client_order_id"] for o in inp.orders}
    for cid in got:
        c.checked += 1
        if cid not in ids and not cid.startswith("doctor-"):
            c.breaches.append(f"fills for order {cid} that the ledger does not have")
    return c


def check_positions(inp: AuditInput) -> Check:
    c = Check("positions = sum of fills")
    pos, _, _, _ = _replay_positions(inp)
    book = {p["symbol"]: p["qty"] for p in inp.positions}
    venue = {s: v[0] for s, v in ((inp.venue_state or {}).get("positions") or {}).items()}
    for sym in sorted(set(pos) | set(book) | set(venue)):
        want = pos.get(sym, [0.0, 0.0])[0]
        c.checked += 1
        if not _close(book.get(sym, 0.0), want, 1e-9):
            c.breaches.append(f"{sym}: positions table {book.get(sym, 0.0):g}, fills sum "
                              f"to {want:g}")
        if inp.venue_state is not None and not _close(venue.get(sym, 0.0), want, 1e-9):
            c.breaches.append(f"{sym}: paper venue holds {venue.get(sym, 0.0):g}, fills sum "
                              f"to {want:g}")
    return c


def check_equity(inp: AuditInput) -> Check:
    """Cash = start + realized - fees (from fills) - funding paid (the paper book's
    funding charges, each kept with its settlement); equity = cash + positions at marks."""
    c = Check("equity = cash + marks")
    pos, realized, fees, _ = _replay_positions(inp)
    cash = inp.starting_equity + realized - fees
    vs = inp.venue_state
    if vs is not None:
        charges = vs.get("funding") or []
        funding = float(vs.get("funding_paid", 0.0))
        c.checked += 1
        if not _close(sum(float(row[5]) for row in charges), funding, 1e-7):
            c.breaches.append(f"paper venue funding paid {funding:,.2f} != sum of its "
                              f"{len(charges)} funding charges")
        cash -= funding
        c.checked += 1
        if not _close(float(vs["balance"]), cash, 1e-7):
            c.breaches.append(f"paper venue cash {vs['balance']:,.2f} != start + realized - "
                              f"fees from fills - funding {cash:,.2f}")
        marks = vs.get("marks") or {}
        upnl = sum((marks.get(s, e) - e) * q * _cs(inp, s) for s, (q, e) in pos.items() if q)
        ps = inp.portfolio_state
        if ps is not None and "equity" in ps:
            c.checked += 1
            want = cash + upnl
            # marks are taken from quotes moments apart by the venue and the book
            if abs(float(ps["equity"]) - want) > 0.005 * max(1.0, want):
                c.breaches.append(f"saved equity {ps['equity']:,.2f} != cash {cash:,.2f} + "
                                  f"marks {upnl:,.2f}")
    return c


CHECKS = (check_risk_at_fill, check_leverage, check_daily_lock, check_kill_switch,
          check_safe_mode, check_order_fills, check_positions, check_equity)


def audit(inp: AuditInput) -> list[Check]:
    return [f(inp) for f in CHECKS]


def report_doc(checks: list[Check]) -> dict[str, Any]:
    return {"checks": [{"name": c.name, "checked": c.checked, "breaches": len(c.breaches),
                        "first": c.breaches[:5]} for c in checks]}


def parse_journal_row(rid: int, doc: str, kind: str, ts: int, text: str) -> dict[str, Any]:
    d = json.loads(doc)
    return {"id": rid, "kind": kind, "ts": ts, "text": text, "doc": d.get("payload", d)}
