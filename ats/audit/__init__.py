"""``ats audit``: the governance invariants recomputed from the ledger and the journal.

``run_audit`` loads the rows, runs ``invariants.audit`` and stores the verdict in the
``audits`` table; ``last_verdict`` is what the desk shows (it reads, never recomputes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ats.audit.invariants import AuditInput, Check, audit, parse_journal_row, report_doc


@dataclass(frozen=True, slots=True)
class Verdict:
    """The last audit of an account, for a banner: ok, breaches, when, which run."""

    account: str
    ok: bool
    breaches: int
    ts: int
    run_id: str | None

    @property
    def text(self) -> str:
        if self.ok:
            return f"audit {self.account}: all invariants held"
        return f"audit {self.account}: {self.breaches} breach(es) — run `ats audit`"


def last_verdict(dao: Any, account: str | None = None) -> Verdict | None:
    """The stored verdict of the last ``ats audit`` of ``account`` (None if never audited)."""
    got = dao.last_audit(account)
    if got is None:
        return None
    return Verdict(got["account"], got["ok"], got["breaches"], got["ts"], got["run_id"])


def load_input(dao: Any, governance: Any, account: str, run_id: str | None = None) -> AuditInput:
    info = dao.get_account(account)
    if info is None:
        raise LookupError(f"account {account!r} does not exist (`ats account list`)")
    run = dao.get_run(run_id) if run_id else None
    if run_id and (run is None or run.get("account") != account):
        raise LookupError(f"run {run_id!r} is not a run of account {account!r} (`ats report`)")
    g = governance
    limits = {
        "max_risk_per_trade": g.risk.max_risk_per_trade, "leverage_cap": g.risk.leverage_cap,
        "daily_max_loss": g.locks.daily_max_loss,
        "trailing_dd_kill_switch": g.locks.trailing_dd_kill_switch,
        "trailing_dd_window_hours": float(g.locks.trailing_dd_window_hours),
        "correlation_threshold": g.correlation.threshold,
    }
    venue_state = dao.load_state("paper_venue", account=account)
    # A paper account's ledger is its paper venue's fills (a mirror of a real venue's
    # trades written by `ats sync` is not this account's money).
    venue = venue_state.get("venue") if venue_state else None
    with dao.db.read() as conn:
        fills = [dict(zip(("rowid", "client_order_id", "symbol", "side", "qty", "price", "fee",
                           "ts", "venue"), r, strict=True)) for r in conn.execute(
            "SELECT rowid, client_order_id, symbol, side, qty, price, fee, ts, venue FROM fills "
            "WHERE account = ? AND (? IS NULL OR venue = ?) ORDER BY ts, rowid",
            (account, venue, venue))]
        orders = [dict(zip(("client_order_id", "status", "qty", "filled_qty", "reduce_only",
                            "run_id"), r, strict=True)) for r in conn.execute(
            "SELECT client_order_id, status, qty, filled_qty, reduce_only, run_id FROM orders "
            "WHERE account = ?", (account,))]
        positions = [dict(zip(("symbol", "qty", "venue"), r, strict=True)) for r in
                     conn.execute("SELECT symbol, qty, venue FROM positions WHERE account = ?",
                                  (account,))]
        eq_sql = "SELECT ts, equity FROM equity_snapshots WHERE account = ?"
        args: tuple[Any, ...] = (account,)
        if run_id:
            eq_sql, args = eq_sql + " AND run_id = ?", (account, run_id)
        equity = [(int(t), float(e)) for t, e in conn.execute(eq_sql + " ORDER BY ts, id", args)]
        j_sql = ("SELECT id, doc, kind, ts, text FROM journal WHERE run_id IN "
                 "(SELECT run_id FROM runs WHERE account = ?)")
        jargs: tuple[Any, ...] = (account,)
        if run_id:
            j_sql, jargs = "SELECT id, doc, kind, ts, text FROM journal WHERE run_id = ?", \
                (run_id,)
        journal = [parse_journal_row(*r) for r in conn.execute(
            j_sql + " AND kind IN ('cycle', 'lock', 'unlock') ORDER BY id", jargs)]
        cs: dict[str, float] = {}
        quote: dict[str, str] = {}
        for sym, size, qc in conn.execute(
                "SELECT symbol, contract_size, quote_currency FROM instruments"):
            cs[sym], quote[sym] = float(size), str(qc).upper()
    return AuditInput(
        account=account, starting_equity=info.starting_equity, limits=limits, fills=fills,
        orders=orders, positions=positions, equity=equity, journal=journal, contract_size=cs,
        venue_state=venue_state,
        portfolio_state=dao.load_state("portfolio", account=account), run=run,
        quote_currency=quote, currency=info.currency.upper())


def run_audit(dao: Any, governance: Any, account: str, run_id: str | None = None, *,
              ts: int, store: bool = True) -> list[Check]:
    checks = audit(load_input(dao, governance, account, run_id))
    if store:
        n = sum(len(c.breaches) for c in checks)
        dao.record_audit(account=account, run_id=run_id, ts=ts, ok=n == 0, breaches=n,
                         report=report_doc(checks))
    return checks


__all__ = ["Check", "Verdict", "last_verdict", "load_input", "run_audit"]
