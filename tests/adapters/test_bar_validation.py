"""Every kind of bad bar is dropped or repaired with a logged reason; gaps are only reported."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from ats.domain import Bars
from broker_adapters.errors import BadBarError
from broker_adapters.validation import IssueKind, validate_bars

H = 3_600_000
T0 = 1_767_225_600_000


def make(rows: list[tuple[int, float, float, float, float, float]]) -> Bars:
    a = np.array(rows, dtype=np.float64)
    return Bars.from_arrays("EURUSD", "1h", a[:, 0].astype(np.int64), a[:, 1], a[:, 2],
                            a[:, 3], a[:, 4], a[:, 5])


def good(i: int, p: float = 1.1) -> tuple[int, float, float, float, float, float]:
    return (T0 + i * H, p, p + 0.01, p - 0.01, p + 0.005, 100.0)


def kinds(issues) -> list[IssueKind]:  # type: ignore[no-untyped-def]
    return [i.kind for i in issues]


def test_clean_bars_pass_untouched() -> None:
    bars = make([good(i) for i in range(5)])
    out, issues = validate_bars(bars, venue="v")
    assert issues == []
    np.testing.assert_array_equal(out.close, bars.close)
    np.testing.assert_array_equal(out.ts, bars.ts)


@pytest.mark.parametrize(
    ("bad", "kind"),
    [
        ((T0 + H, np.nan, 1.2, 1.0, 1.1, 5.0), IssueKind.NON_FINITE),
        ((T0 + H, 1.1, 1.2, 1.0, np.inf, 5.0), IssueKind.NON_FINITE),
        ((T0 + H, 1.1, 1.2, 1.0, 1.1, np.nan), IssueKind.NON_FINITE),
        ((T0 + H, 0.0, 1.2, 0.0, 1.1, 5.0), IssueKind.NON_POSITIVE),
        ((T0 + H, -1.0, 1.2, -2.0, 1.1, 5.0), IssueKind.NON_POSITIVE),
        ((T0 + H, 1.1, 1.0, 1.2, 1.1, 5.0), IssueKind.HIGH_BELOW_LOW),
        ((T0 + H, 1.1, 1.2, 1.0, 1.1, -5.0), IssueKind.NEGATIVE_VOLUME),
        ((T0 + H + 7, 1.1, 1.2, 1.0, 1.1, 5.0), IssueKind.MISALIGNED),
    ],
)
def test_unrepairable_bar_is_dropped_with_reason(
    bad: tuple, kind: IssueKind, caplog: pytest.LogCaptureFixture
) -> None:
    bars = make([good(0), bad, good(2)])
    with caplog.at_level(logging.WARNING, logger="broker_adapters.validation"):
        out, issues = validate_bars(bars, venue="bingx")
    assert kind in kinds(issues)
    dropped = [i for i in issues if i.kind is kind]
    assert dropped[0].action == "dropped" and dropped[0].symbol == "EURUSD"
    assert len(out) == 2 and int(out.ts[1]) == T0 + 2 * H
    assert "[bingx] EURUSD 1h" in caplog.text and kind.value in caplog.text
    # dropping the middle bar leaves a hole, which is reported as a gap, not filled
    assert IssueKind.GAP in kinds(issues)


def test_open_close_outside_range_repaired_by_widening() -> None:
    bars = make([good(0), (T0 + H, 1.25, 1.2, 1.0, 0.95, 5.0), good(2)])
    out, issues = validate_bars(bars, venue="v")
    assert kinds(issues) == [IssueKind.OUTSIDE_RANGE]
    assert issues[0].action == "repaired"
    assert out.high[1] == 1.25 and out.low[1] == 0.95 and len(out) == 3


def test_open_close_outside_range_dropped_without_repair() -> None:
    bars = make([good(0), (T0 + H, 1.25, 1.2, 1.0, 1.1, 5.0), good(2)])
    out, issues = validate_bars(bars, venue="v", repair=False)
    assert issues[0].kind is IssueKind.OUTSIDE_RANGE and issues[0].action == "dropped"
    assert len(out) == 2


def test_duplicates_keep_first_and_out_of_order_is_sorted() -> None:
    bars = make([good(0, 1.0), good(2, 1.2), good(1, 1.1), good(2, 9.0), good(3, 1.3)])
    out, issues = validate_bars(bars, venue="v")
    assert IssueKind.OUT_OF_ORDER in kinds(issues) and IssueKind.DUPLICATE in kinds(issues)
    np.testing.assert_array_equal(out.ts, [T0 + i * H for i in range(4)])
    np.testing.assert_allclose(out.open, [1.0, 1.1, 1.2, 1.3])  # the 9.0 copy was dropped


def test_out_of_order_dropped_without_repair() -> None:
    bars = make([good(0), good(2), good(1), good(3)])
    out, issues = validate_bars(bars, venue="v", repair=False)
    assert [i.action for i in issues if i.kind is IssueKind.OUT_OF_ORDER] == ["dropped"]
    assert np.all(np.diff(out.ts) > 0) and len(out) == 3


def test_every_late_row_is_accounted_for_without_repair() -> None:
    bars = make([good(5), good(1), good(2), good(6), good(6)])
    out, issues = validate_bars(bars, venue="v", repair=False)
    np.testing.assert_array_equal(out.ts, [T0 + 5 * H, T0 + 6 * H])
    assert kinds(issues).count(IssueKind.OUT_OF_ORDER) == 2
    assert kinds(issues).count(IssueKind.DUPLICATE) == 1


def test_gap_is_reported_not_invented() -> None:
    bars = make([good(0), good(1), good(5)])
    out, issues = validate_bars(bars, venue="v")
    assert len(out) == 3
    gap = [i for i in issues if i.kind is IssueKind.GAP]
    assert len(gap) == 1 and gap[0].action == "reported" and "3 bar(s) missing" in gap[0].detail
    assert gap[0].ts == T0 + 2 * H


def test_nothing_usable_raises_naming_symbol() -> None:
    bars = make([(T0, np.nan, 1.0, 1.0, 1.0, 1.0), (T0 + H, 0.0, 0.0, 0.0, 0.0, 0.0)])
    with pytest.raises(BadBarError, match="EURUSD"):
        validate_bars(bars, venue="mt5")


def test_empty_bars_are_returned_as_is() -> None:
    empty = Bars.empty("X", "1m")
    out, issues = validate_bars(empty, venue="v")
    assert len(out) == 0 and issues == []


def test_bad_spread_is_zeroed_and_reported() -> None:
    a = np.array([good(0), good(1)], dtype=np.float64)
    bars = Bars.from_arrays("EURUSD", "1h", a[:, 0].astype(np.int64), a[:, 1], a[:, 2],
                            a[:, 3], a[:, 4], a[:, 5], np.array([np.nan, 0.0002]))
    out, issues = validate_bars(bars, venue="v")
    assert [i.kind for i in issues] == [IssueKind.BAD_SPREAD] and issues[0].action == "repaired"
    np.testing.assert_array_equal(out.spread, [0.0, 0.0002])
    assert len(out) == 2
