"""Fault soak: the brain on the mock market for N simulated days while faults are injected.

    python scripts/soak.py --sim-days 30 --faults [--db PATH] [--seed 7]

A worker process runs the real brain (real strategies, paper venue over the mock market,
the real database) in accelerated time on one account. With ``--faults`` it injects, from
a seeded schedule: venue outages (a burst of dropped connections), 429s and timeouts on
market data, rejected orders, thin books (partial fills, resting remainders), database busy
(this process holds the write lock longer than the busy timeout) and ``kill -9`` of the
worker every few simulated days followed by a restart that must continue the account.
When the kill switch engages it stays (as governance says) until a trader unlocks it; the
soak plays that trader one simulated day later with ``ats unlock --kill-switch``, so the
month keeps trading instead of sitting locked. At the end it runs ``ats audit`` and prints:
cycles, orders, fills, restarts, faults by kind, invariant breaches, fills lost or
duplicated, and the worker's RSS at start and end.
Exit 1 if anything was breached, lost or duplicated.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DAY_MS = 86_400_000


def _rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# ---------------------------------------------------------------------- the worker
def _worker_classes() -> tuple[Any, Any]:
    from broker_adapters.base import OrderBook
    from broker_adapters.errors import (
        ConnectionLostError,
        InvalidOrderError,
        RateLimitError,
        VenueTimeoutError,
    )
    from broker_adapters.paper import PaperBroker

    class Faults:
        """The seeded schedule and a journal of what was injected."""

        def __init__(self, rng: random.Random, enabled: bool) -> None:
            self.rng = rng
            self.enabled = enabled
            self.active = False  # off while the brain starts: start-up faults are refusals
            self.outage_left = 0
            self.journal: Any = None

        def note(self, kind: str) -> None:
            if self.journal is not None:
                self.journal(kind)

        def market_call(self) -> None:
            if not (self.enabled and self.active):
                return
            if self.outage_left > 0:
                self.outage_left -= 1
                raise ConnectionLostError("soak: venue outage", venue="mock")
            r = self.rng.random()
            if r < 0.0004:
                self.outage_left = self.rng.randint(3, 12)
                self.note("venue outage")
                raise ConnectionLostError("soak: venue outage", venue="mock")
            if r < 0.0008:
                self.note("429 rate limit")
                raise RateLimitError("soak: 429 Too Many Requests", venue="mock")
            if r < 0.0012:
                self.note("timeout")
                raise VenueTimeoutError("soak: request timed out", venue="mock")

    class FaultyMarket:
        """The mock market behind the paper broker, with outages and thin books."""

        def __init__(self, inner: Any, faults: Faults) -> None:
            self.inner = inner
            self.faults = faults
            self.thin_next = False
            self.name = inner.name
            self.capabilities = inner.capabilities

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

        async def latest_bars(self, symbol: str, timeframe: str, n: int) -> Any:
            self.faults.market_call()
            return await self.inner.latest_bars(symbol, timeframe, n)

        async def quote(self, symbol: str) -> Any:
            self.faults.market_call()
            return await self.inner.quote(symbol)

        async def funding_rate(self, symbol: str) -> Any:
            self.faults.market_call()
            return await self.inner.funding_rate(symbol)

        async def order_book(self, symbol: str, depth: int = 10) -> Any:
            book = await self.inner.order_book(symbol, depth)
            if self.thin_next:  # the book an order fills against is thin: a partial fill
                self.thin_next = False
                return OrderBook(book.symbol, book.ts, book.bids[:1], book.asks[:1])
            return book

    class FaultyPaper(PaperBroker):
        """The paper broker: rejections and thin books at order time."""

        faults: Faults

        async def order_book(self, symbol: str, depth: int = 10) -> Any:
            return await self.venue.inner.order_book(symbol, depth)  # what the brain sees

        async def place_order(self, intent: Any) -> Any:
            f = self.faults
            if f.enabled and f.active and not self.engine.knows(intent.client_order_id):
                r = f.rng.random()
                if r < 0.03:
                    f.note("order rejected")
                    raise InvalidOrderError(f"soak: order {intent.client_order_id} rejected "
                                            "by the venue", venue=self.name)
                if r < 0.15 and not intent.reduce_only:
                    f.note("partial fill")
                    self.venue.thin_next = True
            return await super().place_order(intent)

    return Faults, (FaultyMarket, FaultyPaper)


async def worker(db: Path, end_ms: int, seed: int, faults_on: bool, run_id: str) -> int:
    from ats.brain.account import resume_clock_ms
    from ats.brain.runtime import RunOptions, build_orchestrator
    from ats.config import config_dir, load_adapters, load_settings, load_symbols
    from ats.domain import SimulatedClock
    from broker_adapters.factory import cost_model_for
    from broker_adapters.mock import MockMarket, parse_start
    from storage.dao import PersistDAO

    Faults, (FaultyMarket, FaultyPaper) = _worker_classes()
    cfg = config_dir(None)
    settings = load_settings()
    adapters = load_adapters(cfg / "adapters.yaml")
    symbols = tuple(load_symbols(cfg / "symbols.yaml").symbols_for("mock"))
    with PersistDAO(db) as d:
        start = resume_clock_ms(d, parse_start(adapters.mock.start))
    clock = SimulatedClock(start, speed=1e7)
    clock.hold_at(start)
    costs = cost_model_for("mock", adapters)
    market = MockMarket(clock=clock, seed=seed, symbols=symbols, start=adapters.mock.start,
                        costs=costs, starting_balance=settings.virtual_equity)
    faults = Faults(random.Random(f"{seed}-{run_id}"), faults_on)
    broker = FaultyPaper(FaultyMarket(market, faults), costs=costs, clock=clock,
                         starting_balance=settings.virtual_equity, currency="USD")
    broker.faults = faults
    orch = build_orchestrator(RunOptions(db_path=db, clock=clock, use_mock_feed=True,
                                         skip_feed_check=True, run_id=run_id,
                                         symbols=symbols), adapter=broker)

    def note(kind: str) -> None:
        orch.dao.journal("fault", {"fault": kind, "message": kind}, ts=clock.now_ms(),
                         run_id=run_id, text=f"soak fault injected: {kind}")

    faults.journal = note
    await orch.start()
    orch.journal_event("soak", "soak worker started", {"rss_mb": _rss_mb(), "phase": "start"})
    faults.active = True
    while clock.now_ms() < end_ms:
        try:
            await orch.run(max_cycles=500)
        except Exception as exc:  # a commit refused by a busy database: stop like a crash
            print(f"worker stopped: {exc}", file=sys.stderr)
            return 3
    faults.active = False
    orch.journal_event("soak", "soak worker finished", {"rss_mb": _rss_mb(), "phase": "end"})
    await orch.stop()
    return 0


# ---------------------------------------------------------------------- the supervisor
def _committed_ts(db: Path) -> int | None:
    import apsw

    if not db.exists():
        return None
    try:
        conn = apsw.Connection(str(db), flags=apsw.SQLITE_OPEN_READONLY)
        try:
            got = list(conn.execute("SELECT state FROM account_state WHERE account = 'paper' "
                                    "AND key = 'clock'"))
        finally:
            conn.close()
    except apsw.Error:
        return None
    return int(json.loads(got[0][0])["cycle_ts"]) if got else None


def _kill_engaged_since(db: Path) -> int | None:
    """When the kill switch was engaged (its lock row's time), or None if it is not."""
    import apsw

    try:
        conn = apsw.Connection(str(db), flags=apsw.SQLITE_OPEN_READONLY)
        try:
            got = list(conn.execute("SELECT state, ts FROM locks WHERE name = 'kill_switch'"))
        finally:
            conn.close()
    except apsw.Error:
        return None
    if got and json.loads(got[0][0]).get("engaged"):
        return int(got[0][1])
    return None


def _hold_write_lock(db: Path, seconds: float) -> None:
    import apsw

    conn = apsw.Connection(str(db))
    conn.setbusytimeout(10_000)
    try:
        conn.execute("BEGIN IMMEDIATE")
        time.sleep(seconds)
        conn.execute("ROLLBACK")
    finally:
        conn.close()


def supervise(args: argparse.Namespace) -> int:
    import apsw
    from rich.console import Console
    from rich.table import Table

    from ats.audit.ledger import read_state
    from ats.config import config_dir, load_adapters
    from broker_adapters.mock import parse_start

    rng = random.Random(args.seed)
    tmp = None
    db: Path = args.db
    if db is None:
        tmp = Path(tempfile.mkdtemp(prefix="ats-soak-"))
        db = tmp / "soak.db"
    start = _committed_ts(db) or parse_start(load_adapters(config_dir(None) / "adapters.yaml")
                                             .mock.start)
    end_ms = start + int(args.sim_days * DAY_MS)
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    kills = restarts = busy = lost = dup = unlocks = 0
    problems: list[str] = []
    incarnation = 0
    wall0 = time.monotonic()
    next_busy = wall0 + rng.uniform(10, 40)  # across restarts: kills come every ~20 s
    while True:
        incarnation += 1
        run_id = f"soak-{incarnation}"
        proc = subprocess.Popen([sys.executable, __file__, "--worker", "--db", str(db),
                                 "--end-ms", str(end_ms), "--seed", str(args.seed),
                                 "--run-id", run_id] + (["--faults"] if args.faults else []),
                                env=env)
        at = _committed_ts(db) or start
        next_kill = at + int(rng.uniform(2.0, 5.0) * DAY_MS)
        killed = False
        while proc.poll() is None:
            time.sleep(0.5)
            now_ts = _committed_ts(db) or at
            if args.faults and now_ts >= next_kill and now_ts < end_ms - DAY_MS // 2:
                time.sleep(rng.uniform(0.0, 1.0))
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                kills += 1
                killed = True
                st = read_state(db)
                lost += st.lost
                dup += st.duplicated
                problems.extend(st.problems)
                break
            engaged = _kill_engaged_since(db)
            if engaged is not None and now_ts - engaged >= DAY_MS:
                # as a trader would after looking: `ats unlock --kill-switch --reason ...`
                subprocess.run([sys.executable, "-c", "from ats.cli.main import main; main()",
                                "unlock", "--kill-switch", "--reason",
                                "soak: the trader resumes after a simulated day",
                                "--db", str(db)], env=env, capture_output=True, check=False)
                unlocks += 1
            if args.faults and time.monotonic() >= next_busy and busy < args.busy_holds:
                busy += 1
                _hold_write_lock(db, 6.5)
                next_busy = time.monotonic() + rng.uniform(20, 60)
        if killed:
            restarts += 1
            continue
        if proc.returncode == 0:
            break
        restarts += 1
        if restarts > 10 * max(1, kills + busy) + 20:
            problems.append(f"worker keeps failing (exit {proc.returncode})")
            break
    wall = time.monotonic() - wall0
    audit = subprocess.run([sys.executable, "-c", "from ats.cli.main import main; main()",
                            "audit", "--db", str(db)], env=env, capture_output=True,
                           text=True, check=False)
    st = read_state(db)
    lost += st.lost
    dup += st.duplicated
    problems.extend(st.problems)
    conn = apsw.Connection(str(db), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        def one(sql: str) -> Any:
            return list(conn.execute(sql))[0][0]

        cycles = one("SELECT count(*) FROM journal WHERE kind = 'cycle'")
        orders = one("SELECT count(*) FROM orders")
        fills = one("SELECT count(*) FROM fills")
        faults = dict(conn.execute("SELECT json_extract(doc, '$.payload.fault'), count(*) "
                                   "FROM journal WHERE kind = 'fault' GROUP BY 1"))
        audits = list(conn.execute("SELECT breaches, report FROM audits ORDER BY id DESC "
                                   "LIMIT 1"))
        rss = [json.loads(d)["payload"] for (d,) in conn.execute(
            "SELECT doc FROM journal WHERE kind = 'soak' ORDER BY id")]
        postponed = one("SELECT coalesce(sum(json_extract(summary, '$.db_busy_cycles')), 0) "
                        "FROM runs WHERE summary IS NOT NULL")
        sim_ts = one("SELECT max(ts) FROM journal WHERE kind = 'cycle'")
        kill_locks = one("SELECT count(*) FROM journal WHERE kind = 'lock' AND "
                         "text LIKE 'kill switch%'")
    finally:
        conn.close()
    faults["database busy (lock held 6.5 s)"] = busy
    faults["kill -9 + restart"] = kills
    breaches = int(audits[0][0]) if audits else -1
    t = Table(title=f"Fault soak: {args.sim_days:g} simulated days"
              + (" with faults" if args.faults else ""), show_header=False)
    t.add_column(style="bold")
    t.add_column()
    t.add_row("simulated span", f"{(sim_ts - start) / DAY_MS:.2f} days" if sim_ts else "-")
    t.add_row("wall time", f"{wall / 60:.1f} min")
    t.add_row("cycles", str(cycles))
    t.add_row("orders", str(orders))
    t.add_row("fills", str(fills))
    t.add_row("restarts (kill -9)", f"{restarts} ({kills})")
    for kind, n in sorted(faults.items()):
        t.add_row(f"fault: {kind}", str(n))
    t.add_row("cycles postponed by a busy database (finished runs)", str(postponed))
    t.add_row("kill switch engagements / trader unlocks", f"{kill_locks} / {unlocks}")
    t.add_row("invariant breaches (ats audit)", str(breaches))
    t.add_row("fills lost / duplicated", f"{lost} / {dup}")
    starts = [r["rss_mb"] for r in rss if r.get("phase") == "start"]
    ends = [r["rss_mb"] for r in rss if r.get("phase") == "end"]
    t.add_row("worker RSS start / end", f"{starts[0]:.0f} MB / {ends[-1]:.0f} MB"
              if starts and ends else "-")
    con = Console(width=120)
    con.print(t)
    con.print(audit.stdout)
    for p in problems[:10]:
        con.print(f"problem: {p}")
    if tmp is not None and not args.keep:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    elif tmp is not None:
        con.print(f"database kept at {db}")
    return 0 if breaches == 0 and lost == 0 and dup == 0 and not problems else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sim-days", type=float, default=30.0)
    ap.add_argument("--faults", action="store_true")
    ap.add_argument("--db", type=Path, default=None)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--busy-holds", type=int, default=4)
    ap.add_argument("--keep", action="store_true", help="keep the temporary database")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--end-ms", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--run-id", default="soak", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        import logging

        logging.getLogger().setLevel(logging.ERROR)  # the journal has it; keep stderr quiet
        return asyncio.run(worker(args.db, args.end_ms, args.seed, args.faults, args.run_id))
    if not (args.sim_days > 0):
        print("--sim-days must be above 0", file=sys.stderr)
        return 2
    return supervise(args)


if __name__ == "__main__":
    sys.exit(main())
