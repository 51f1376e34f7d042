"""``ats backtest --engine brain``: the unchanged brain over recorded bars, reported like the lab.

The brain runs one strategy (shipped or DSL) on the replay venue with the paper engine
filling, exactly as ``ats run --adapter replay`` would; what it did is then put in the research
lab's shapes (``Trades``, equity per bar, ``Metrics``) so both engines print the same report
and the parity test can compare them trade for trade.

Semantics that differ from the vectorized backtester, named (the parity test names them too):

* the brain trades only after its warm-up window (``start_bar``); earlier bars only feed it;
* a position still open when the data ends is closed by a market order at the last price —
  with the spread and slippage a real close pays (the vectorized engine books the last
  close without them);
* sizing is the risk engine's (confidence, caps, lot steps), so quantities and money differ
  from the vectorized engine's fixed-risk sizing; bars, sides, prices and reasons do not;
* stops and takes rest in the paper engine and fill intrabar (at their level, or at the
  open when the bar gaps through), as in the vectorized engine; a venue without the bars to
  match them falls back to the brain's bar-close check and exits at the next open.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from ats.brain.agents import ExecInput, ExitRequest
from ats.brain.runtime import RunOptions, build_orchestrator
from ats.config import config_dir as default_config_dir
from ats.domain import Bars, InstrumentSpec, OrderType, Regime
from ats.domain.types import timeframe_ms
from broker_adapters.errors import VenueError
from research_lab.backtest.engine import YEAR_MS, BacktestResult, Trades
from research_lab.backtest.metrics import compute_metrics

END_REASON = "end of data: closed at the last price"


@dataclass(frozen=True, slots=True)
class BrainBacktest:
    bars: Bars  # every recorded bar of the symbol (trade bar indices point into these)
    start_bar: int  # first bar the brain could trade on (after its warm-up)
    result: BacktestResult  # equity/position cover bars[start_bar:]
    reasons: tuple[str, ...]  # the full exit reason of each trade
    summary: dict[str, Any]
    rejections: tuple[tuple[int, str, str], ...] = ()  # (signal bar, code, reason)
    instrument: InstrumentSpec | None = None  # what the replay venue traded (tick, lots)


def single_strategy_config(src: Path, dst: Path, name: str, *, cooldowns: bool = True,
                           kelly: bool = True) -> Path:
    """A copy of the configs where ``name`` is enabled in every regime and nothing else runs
    (its own regime filter still applies, as in a live run). ``cooldowns=False`` turns the
    brain's loss cooldowns off and ``kelly=False`` its Kelly cap on the strategy's own record
    (the vectorized engine has neither) — for comparing mechanics, never for a verdict."""
    shutil.copytree(src, dst, dirs_exist_ok=True)
    em_path = dst / "enable_map.yaml"
    em = yaml.safe_load(em_path.read_text(encoding="utf-8")) or {}
    em["regimes"] = {r.value: [name] for r in Regime}
    em["challengers"] = []
    if not cooldowns:
        em["cooldown_after_2_losses"] = False
        em["cooldown_bars"] = 0
    em_path.write_text(yaml.safe_dump(em), encoding="utf-8")
    if not kelly:
        gov_path = dst / "governance.yaml"
        gov = yaml.safe_load(gov_path.read_text(encoding="utf-8"))
        gov["risk"]["kelly_cap"] = False
        gov_path.write_text(yaml.safe_dump(gov), encoding="utf-8")
    return dst


def reason_code(text: str) -> str:
    """The vectorized engine's reason vocabulary for a brain exit reason."""
    if text.startswith(END_REASON):
        return "end"
    if re.match(r"stop \S+ hit", text):
        return "stop"
    if re.match(r"take \S+ hit", text):
        return "take"
    if "time stop" in text:
        return "time"
    return "signal"


async def brain_backtest(strategy: Any, *, bars_path: Path | None = None, from_db: bool = False,
                         symbol: str, timeframes: tuple[str, ...] | None = None,
                         config_dir: Path | None = None, db_path: Path | None = None,
                         bars_db: Path | None = None,
                         fees_of: str | None = None, env: dict[str, str] | None = None,
                         run_id: str = "backtest-brain", cooldowns: bool = True,
                         kelly: bool = True) -> BrainBacktest:
    """Replay ``strategy`` through the brain; see the module docstring for the semantics."""
    with tempfile.TemporaryDirectory(prefix="ats-brain-bt-") as tmp:
        cfg = single_strategy_config(default_config_dir(config_dir), Path(tmp) / "configs",
                                     strategy.name, cooldowns=cooldowns, kelly=kelly)
        equity: list[float] = []
        orch = build_orchestrator(
            RunOptions(adapter="replay", bars_path=bars_path, from_db=from_db,
                       symbols=(symbol,), timeframes=timeframes, config_dir=cfg,
                       db_path=db_path or Path(tmp) / "backtest.db", fees_of=fees_of,
                       run_id=run_id, bars_db=bars_db),
            strategies={strategy.name: strategy}, env=env,
            sinks=[lambda snap: equity.append(float(snap.equity))])
        venue = orch.adapter.venue
        await orch.run()
        await _close_at_end(orch)
        equity.append(float(orch.portfolio.equity))
        orders = {o.client_order_id: o for o in orch.dao.load_orders(run_id=run_id)}
        fills = orch.dao.load_fills(run_id=run_id)
        for f in fills:  # protective legs the venue created rest there, not in the orders table
            if f.client_order_id not in orders:
                try:
                    orders[f.client_order_id] = await orch.adapter.fetch_order(
                        f.client_order_id, f.symbol)
                except VenueError:
                    continue
        trades = list(orch.portfolio.closed_trades)
        summary = orch.summary()
        journal = orch.dao.journal_tail(10_000_000, kind="cycle", run_id=run_id)
        await orch.stop()
    bars = venue.bars[symbol]
    step = timeframe_ms(bars.timeframe)
    start_bar = venue.warmup_bars
    def bar_of(ts: int) -> int:
        """The bar a fill at ``ts`` happened in: a market fill at a cycle (a close + 1 ms)
        fills at the next recorded bar's open; a resting stop matched intrabar is stamped
        with its bar's close and belongs to that bar."""
        i = int(np.searchsorted(bars.ts, ts, side="right")) - 1
        if i >= 0 and ts > int(bars.ts[i]) + step:
            return i + 1  # after this bar's close, in a gap: the next bar
        if i > 0 and ts == int(bars.ts[i]) and int(bars.ts[i - 1]) + step == ts:
            return i - 1  # exactly at a close that is also the next open: the closing bar
        return max(i, 0)

    rows: list[tuple[Any, ...]] = []
    reasons: list[str] = []
    for t in trades:
        # the exit order (reduce-only), not a reversal's new entry filled at the same time
        closing = [f for f in fills if f.symbol == symbol and f.ts == t.closed_ts
                   and f.side is not t.side and f.client_order_id in orders
                   and orders[f.client_order_id].reduce_only]
        order = orders.get(closing[-1].client_order_id) if closing else None
        text = order.reason.removeprefix("exit signal: ") if order is not None else ""
        if order is not None and order.type is not OrderType.MARKET:
            # a protective order resting at the venue filled it: the stop or the take
            kind = "stop" if order.type is OrderType.STOP else "take"
            text = f"{kind} {order.stop_price or order.limit_price or 0:g} hit" \
                + (f" (at the venue: {text})" if text else " (at the venue)")
        reasons.append(text)
        side = 1 if t.side.sign > 0 else -1
        e, x = bar_of(t.opened_ts), bar_of(t.closed_ts)
        rows.append((side, e - 1, e, min(x, len(bars) - 1), t.entry_price, t.exit_price, t.qty,
                     t.fees, t.pnl, 0.0, reason_code(text)))
    eq = np.asarray(equity[-(len(bars) - start_bar):], dtype=np.float64)
    cols = list(zip(*rows, strict=True)) if rows else [[] for _ in range(11)]
    pnl = np.asarray(cols[8], dtype=np.float64)
    entry_bar = np.asarray(cols[2], dtype=np.int64)
    start_eq = eq[0] if len(eq) else 0.0
    eq_at = [eq[max(0, min(len(eq) - 1, b - start_bar - 1))] if len(eq) else start_eq
             for b in entry_bar]
    ret = pnl / np.asarray(eq_at) if len(pnl) else pnl
    tr = Trades(np.asarray(cols[0], dtype=np.int64), np.asarray(cols[1], dtype=np.int64),
                entry_bar, np.asarray(cols[3], dtype=np.int64),
                np.asarray(cols[4], dtype=np.float64), np.asarray(cols[5], dtype=np.float64),
                np.asarray(cols[6], dtype=np.float64), np.asarray(cols[7], dtype=np.float64),
                pnl, ret, np.asarray(cols[10], dtype=object))
    position = np.zeros(len(eq))
    for i in range(len(tr)):
        a, b = tr.entry_bar[i] - start_bar, tr.exit_bar[i] - start_bar
        position[max(0, a):max(0, b)] = tr.side[i] * tr.qty[i]
    metrics = compute_metrics(pnl, ret, eq, position, YEAR_MS / step,
                              initial_equity=float(orch.portfolio.starting_equity),
                              exit_bar=tr.exit_bar, entry_bar=tr.entry_bar)
    refused = tuple((bar_of(r.ts) - 1, x["code"], x["reason"]) for r in journal
                    for x in r.payload.get("rejections", []))
    return BrainBacktest(bars, start_bar, BacktestResult(tr, eq, position, metrics),
                         tuple(reasons), summary, refused, venue.specs[symbol])


async def _close_at_end(orch: Any) -> None:
    """Close what is still open at the last price, as the vectorized engine does at the end."""
    positions = [p for p in orch.portfolio.positions.values() if p.qty != 0]
    if not positions:
        return
    exits = [ExitRequest(p.symbol, p.side.opposite, abs(p.qty), END_REASON, p.strategy)
             for p in positions]
    res = await orch.exec_agent.execute(ExecInput([], exits, orch.instruments))
    for f in res.fills:
        orch.portfolio.apply_fill(f, strategy=f.strategy)
