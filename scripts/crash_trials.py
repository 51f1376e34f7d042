"""Crash trials: ``kill -9`` a trading ``ats run`` at random moments, restart, compare.

Every trial runs the brain on the mock market (paper) in accelerated time on ONE account
and database, waits until the account holds positions, kills the process with SIGKILL at a
random moment, reads the last committed state straight from the database, restarts
``ats run`` and checks that the restart continued exactly that state: the same cash, the
same positions, the clock after the last committed cycle, no fill lost or duplicated.

    python scripts/crash_trials.py --trials 50 [--db PATH] [--seed 1]

Prints one row per trial and the totals; exit 1 if any trial failed.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ats.audit.ledger import read_state, restored_record  # noqa: E402

ATS = [sys.executable, "-c", "from ats.cli.main import main; main()"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("ATS_CONFIG_DIR", str(REPO / "configs"))
    env.pop("MODE", None)
    return env


def _run_args(db: Path, run_id: str, cycles: int, speed: float) -> list[str]:
    return [*ATS, "run", "--paper", "--use-mock-feed", "--speed", f"{speed:g}",
            "--max-cycles", str(cycles), "--db", str(db), "--run-id", run_id]


def one_trial(db: Path, i: int, rng: random.Random, speed: float,
              batch: str = "") -> dict[str, object]:
    # run ids are unique per batch: a second batch on the same account must not read the
    # first batch's restart records back as its own
    run_id = f"crash-{batch}{i}"
    proc = subprocess.Popen(_run_args(db, run_id, 100_000, speed), env=_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    before = read_state(db) if db.exists() else None
    start_ts = before.cycle_ts if before else None
    # wait for this run to commit cycles and for the account to hold a position
    while time.monotonic() < deadline:
        time.sleep(0.2)
        try:
            st = read_state(db)
        except Exception:  # the file or its tables are not there yet
            continue
        if st.cycle_ts is not None and st.cycle_ts != start_ts and st.positions:
            break
    time.sleep(rng.uniform(0.0, 1.5))  # a random moment: maybe mid-cycle
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    committed = read_state(db)
    again = subprocess.run(_run_args(db, f"{run_id}-r", 3, speed), env=_env(),
                           capture_output=True, text=True, timeout=120, check=False)
    rec = restored_record(db, f"{run_id}-r") or {}
    after = read_state(db)
    checks: list[str] = list(committed.problems) + list(after.problems)
    if again.returncode != 0:
        checks.append(f"restart failed: {again.stderr.strip()[-300:]}")
    if not rec:
        checks.append("the restart did not restore the account")
    else:
        if abs(float(rec.get("balance", 0.0)) - float(committed.balance or 0.0)) > 1e-6:
            checks.append(f"cash {rec.get('balance')} != committed {committed.balance}")
        got = {s: q for s, q in (rec.get("positions") or {}).items() if q}
        if got != committed.positions:
            checks.append(f"positions {got} != committed {committed.positions}")
        first = rec.get("first_cycle_ts")
        if first is not None and committed.cycle_ts is not None and first <= committed.cycle_ts:
            checks.append(f"clock went back: first cycle {first} <= committed "
                          f"{committed.cycle_ts}")
    return {"trial": i, "positions": len(committed.positions),
            "resting": committed.resting_orders, "fills": committed.fills,
            "lost": committed.lost + after.lost, "dup": committed.duplicated + after.duplicated,
            "ok": not checks, "why": "; ".join(checks)[:200]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--db", type=Path, default=None)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--speed", type=float, default=3000.0)
    args = ap.parse_args()
    if args.trials < 1:
        print("--trials must be at least 1", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    tmp = None
    db = args.db
    if db is None:
        tmp = tempfile.TemporaryDirectory(prefix="ats-crash-")
        db = Path(tmp.name) / "crash.db"
    batch = f"{secrets.token_hex(3)}-"
    results = [one_trial(db, i + 1, rng, args.speed, batch) for i in range(args.trials)]
    table = Table(title=f"Crash trials on one account ({db})")
    for col in ("trial", "positions", "resting", "fills", "lost", "dup", "ok", "why"):
        table.add_column(col)
    for r in results:
        table.add_row(*(str(r[c]) for c in ("trial", "positions", "resting", "fills", "lost",
                                             "dup", "ok", "why")))
    con = Console(width=160)
    con.print(table)
    ok = sum(1 for r in results if r["ok"])
    lost = sum(int(r["lost"]) for r in results)
    dup = sum(int(r["dup"]) for r in results)
    con.print(f"{ok}/{len(results)} trials: ledger equals the last committed state; "
              f"fills lost {lost}, duplicated {dup}")
    if tmp is not None:
        tmp.cleanup()
    return 0 if ok == len(results) and lost == 0 and dup == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
