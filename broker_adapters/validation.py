"""Bar validation shared by every venue: nothing malformed reaches indicators or storage.

Venues send NaNs, zero prices, inverted ranges and repeated candles more often than one would
think. Each problem is either repaired (when the fix is unambiguous) or the bar is dropped —
always with a log line naming venue, symbol, bar time and reason — so downstream code can
trust ``Bars`` blindly. Gaps are reported, never filled: inventing prices would be lying.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from ats.domain import Bars, timeframe_ms
from broker_adapters.errors import BadBarError

log = logging.getLogger(__name__)


class IssueKind(StrEnum):
    NON_FINITE = "non_finite"  # NaN/inf in a price or volume
    NON_POSITIVE = "non_positive"  # a price <= 0
    NEGATIVE_VOLUME = "negative_volume"
    HIGH_BELOW_LOW = "high_below_low"
    OUTSIDE_RANGE = "outside_range"  # open/close outside high..low
    DUPLICATE = "duplicate_ts"
    OUT_OF_ORDER = "out_of_order"
    MISALIGNED = "misaligned_ts"  # ts not on a timeframe boundary
    BAD_SPREAD = "bad_spread"  # NaN or negative spread: set to 0 (unknown), prices kept
    GAP = "gap"


@dataclass(frozen=True, slots=True)
class BarIssue:
    """One finding. ``action`` is ``dropped``, ``repaired`` or ``reported`` (gaps)."""

    venue: str
    symbol: str
    timeframe: str
    ts: int
    kind: IssueKind
    action: str
    detail: str = ""

    def describe(self) -> str:
        return (
            f"[{self.venue}] {self.symbol} {self.timeframe} bar ts={self.ts}: "
            f"{self.kind.value} -> {self.action}" + (f" ({self.detail})" if self.detail else "")
        )


def _log(issues: list[BarIssue], issue: BarIssue) -> None:
    issues.append(issue)
    log.warning("bar validation: %s", issue.describe())


def validate_bars(bars: Bars, *, venue: str, repair: bool = True) -> tuple[Bars, list[BarIssue]]:
    """Return clean bars (sorted, unique, consistent OHLC) and the issues found.

    With ``repair=True`` a bar whose open/close pokes outside high..low has its high/low
    widened to contain them (the extremes are known to have traded); with ``repair=False``
    such a bar is dropped. Bars with missing or non-positive prices, or ``high < low``, are
    always dropped — there is no honest repair. Raises ``BadBarError`` naming the symbol when
    no usable bar remains.
    """
    issues: list[BarIssue] = []
    n = len(bars)
    if n == 0:
        return bars, issues
    sym, tf = bars.symbol, bars.timeframe
    tf_ms = timeframe_ms(tf)
    ts = np.asarray(bars.ts, dtype=np.int64)
    o, h, lo, c = (np.asarray(x, dtype=np.float64).copy() for x in (
        bars.open, bars.high, bars.low, bars.close))
    v = np.asarray(bars.volume, dtype=np.float64).copy()
    sp = np.asarray(bars.spread, dtype=np.float64).copy()

    def issue(i: int, kind: IssueKind, action: str, detail: str = "") -> None:
        _log(issues, BarIssue(venue, sym, tf, int(ts[i]), kind, action, detail))

    keep = np.ones(n, dtype=bool)
    prices = np.stack([o, h, lo, c])
    finite = np.isfinite(prices).all(axis=0) & np.isfinite(v)
    for i in np.flatnonzero(~finite):
        issue(i, IssueKind.NON_FINITE, "dropped", f"o={o[i]} h={h[i]} l={lo[i]} c={c[i]} v={v[i]}")
    keep &= finite
    positive = (prices > 0).all(axis=0)
    for i in np.flatnonzero(keep & ~positive):
        issue(i, IssueKind.NON_POSITIVE, "dropped", f"o={o[i]} h={h[i]} l={lo[i]} c={c[i]}")
    keep &= positive
    negvol = keep & (v < 0)
    for i in np.flatnonzero(negvol):
        issue(i, IssueKind.NEGATIVE_VOLUME, "dropped", f"volume={v[i]}")
    keep &= ~negvol
    inverted = keep & (h < lo)
    for i in np.flatnonzero(inverted):
        issue(i, IssueKind.HIGH_BELOW_LOW, "dropped", f"high={h[i]} < low={lo[i]}")
    keep &= ~inverted
    outside = keep & ((np.maximum(o, c) > h) | (np.minimum(o, c) < lo))
    for i in np.flatnonzero(outside):
        detail = f"o={o[i]} c={c[i]} outside [{lo[i]}, {h[i]}]"
        if repair:
            issue(i, IssueKind.OUTSIDE_RANGE, "repaired", detail + "; high/low widened")
        else:
            issue(i, IssueKind.OUTSIDE_RANGE, "dropped", detail)
    if repair:
        h = np.where(outside, np.maximum(h, np.maximum(o, c)), h)
        lo = np.where(outside, np.minimum(lo, np.minimum(o, c)), lo)
    else:
        keep &= ~outside
    bad_spread = keep & ~(np.isfinite(sp) & (sp >= 0))
    for i in np.flatnonzero(bad_spread):
        issue(i, IssueKind.BAD_SPREAD, "repaired", f"spread={sp[i]} -> 0 (unknown)")
    sp = np.where(bad_spread, 0.0, sp)
    misaligned = keep & (ts % tf_ms != 0)
    for i in np.flatnonzero(misaligned):
        issue(i, IssueKind.MISALIGNED, "dropped", f"not a multiple of {tf}")
    keep &= ~misaligned

    # Order and uniqueness: a row earlier than any row before it is out of order — sorted into
    # place (repair) or dropped; of equal timestamps the first to arrive wins.
    idx = np.flatnonzero(keep)
    if len(idx) > 1:
        t = ts[idx]
        late = np.concatenate([[False], t[1:] < np.maximum.accumulate(t)[:-1]])
        for i in idx[late]:
            issue(i, IssueKind.OUT_OF_ORDER, "repaired" if repair else "dropped",
                  "sorted into place" if repair else "earlier than a bar before it")
        if repair:
            idx = idx[np.argsort(t, kind="stable")]
        else:
            idx = idx[~late]
    if len(idx) > 1:
        dup = np.concatenate([[False], np.diff(ts[idx]) == 0])
        for i in idx[dup]:
            issue(i, IssueKind.DUPLICATE, "dropped", "same ts as an earlier bar")
        idx = idx[~dup]
    if len(idx) == 0:
        raise BadBarError(
            f"[{venue}] {sym} {tf}: none of {n} bars is usable (see the logged reasons); "
            "check the venue feed or the symbol name"
        )
    out_ts = ts[idx]
    steps = np.diff(out_ts)
    for j in np.flatnonzero(steps > tf_ms):
        missing = int(steps[j] // tf_ms) - 1
        _log(issues, BarIssue(venue, sym, tf, int(out_ts[j]) + tf_ms, IssueKind.GAP, "reported",
                              f"{missing} bar(s) missing before ts={int(out_ts[j + 1])}"))
    clean = Bars.from_arrays(sym, tf, out_ts, o[idx], h[idx], lo[idx], c[idx], v[idx], sp[idx])
    return clean, issues
