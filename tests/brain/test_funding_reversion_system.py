"""FundingReversion trades: the real strategy in the real brain on the mock market, with its
funding history backfilled from the venue at start, stored, and restored after a restart."""

from __future__ import annotations

from pathlib import Path

from ats.strategies.funding_reversion import FundingReversionStrategy
from broker_adapters.mock.funding import FUNDING_MS
from tests.brain.helpers import config_dir, cycles, make_brain

PERPS = ("BTC/USDT:USDT", "ETH/USDT:USDT")
HOUR = 3_600_000


def _brain(tmp: Path, cfg: Path, **kw):  # type: ignore[no-untyped-def]
    return make_brain(tmp, {"funding_reversion": FundingReversionStrategy()}, cfg=cfg,
                      symbols=PERPS, timeframes=("1h",), db=tmp / "fr.db", **kw)


async def test_funding_reversion_signals_and_trades_and_keeps_its_history(
        tmp_path: Path) -> None:
    cfg = config_dir(tmp_path, strategies=["funding_reversion"])
    orch, clock = _brain(tmp_path, cfg)
    await orch.start()
    # 200 settlements (66 days) from the venue at start: enough for the 90-rate z-score now.
    assert all(orch.funding.count(s) == 200 for s in PERPS)
    started = orch.dao.journal_tail(5, kind="event", run_id="t1")
    assert any("0 restored + 200 from mock" in r.text for r in started)
    signals, fills = [], []
    for _ in range(160):  # 160 hourly cycles = 20 settlements
        await cycles(orch, clock, 1, HOUR)
        rec = orch.dao.journal_tail(1, kind="cycle", run_id="t1")[-1].payload
        signals += [s for s in rec["signals"] if "funding_reversion" in s]
        fills += rec["fills"]
    entries = [s for s in signals if " sd from its 90-rate mean" in s]
    assert entries, "FundingReversion never signalled"
    assert any("basis +" in s or "basis -" in s for s in entries)  # the basis confirms
    assert fills, "FundingReversion never traded"
    orders = orch.dao.load_orders(run_id="t1")
    assert orders and all(o.strategy == "funding_reversion" for o in orders)
    held = {s: orch.funding.count(s) for s in PERPS}
    assert all(n == 200 + 20 for n in held.values())  # every new settlement was fetched
    stored = {s: orch.dao.load_funding("mock", s, 1000) for s in PERPS}
    assert {s: len(v) for s, v in stored.items()} == held
    assert all(b - a == FUNDING_MS for v in stored.values() for (a, _), (b, _) in
               zip(v, v[1:], strict=False))  # unbroken 8 h settlements
    await orch.stop()

    # Restart on the same database nine hours later: the history comes back from the file,
    # only what settled meanwhile comes from the venue.
    clock.advance(9 * HOUR)
    again, _ = _brain(tmp_path, cfg, clock=clock, run_id="t2")
    await again.start()
    text = " ".join(r.text for r in again.dao.journal_tail(5, kind="event", run_id="t2"))
    assert "220 restored + 1 from mock" in text
    assert all(again.funding.count(s) == 221 for s in PERPS)
    z_input = again.funding.rates(PERPS[0])
    assert z_input is not None and len(z_input) >= FundingReversionStrategy().min_history + 1
    await again.stop()
