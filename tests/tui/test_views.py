"""Pure "snapshot → view" functions: what each panel shows for a given snapshot."""

from __future__ import annotations

from dataclasses import replace

from ats.brain.state import (
    GRAPH_EDGES,
    AgentView,
    BrainSnapshot,
    EdgeView,
    RiskView,
    StrategyView,
)
from ats.domain import Order, OrderStatus, OrderType, Position, Side
from ats.i18n import set_language
from ats.tui.fmt import age_text, bar, money, pct, price, qty, truncate, usage_style
from ats.tui.widgets.graph import LIT, UNLIT, graph_view
from ats.tui.widgets.header import HeaderInfo, feed_style, header_view
from ats.tui.widgets.positions import position_rows, positions_view
from ats.tui.widgets.regime import regime_view
from ats.tui.widgets.risk import risk_rows, risk_view
from ats.tui.widgets.strategies import strategies_view
from tests.tui.fakes import T0, sample_snapshot, text_of


def test_formatting_helpers() -> None:
    assert pct(0.008) == "0.80%"
    assert pct(-0.012, signed=True) == "-1.20%"
    assert money(12345.678) == "12,345.68"
    assert money(3, signed=True) == "+3.00"
    assert qty(0.0100) == "0.01" and qty(-3.0) == "3" and qty(0) == "0"
    assert price(None) == "—" and price(43120.5) == "43,120.50" and price(1.08345) == "1.08345"
    assert age_text(None) == "—" and age_text(850) == "850ms" and age_text(12_300) == "12.3s"
    assert age_text(245_000) == "4m05s" and age_text(7_800_000) == "2h10m"
    assert truncate("abcdef", 4) == "abc…" and truncate("ab", 4) == "ab" and truncate("x", 0) == ""
    assert usage_style(0.1) == "green" and usage_style(0.7) == "yellow"
    assert usage_style(0.95) == "bold red"


def test_bar_fills_in_eighths_and_clips() -> None:
    assert bar(0.0, 4) == ("", "────")
    assert bar(1.0, 4) == ("████", "")
    assert bar(2.5, 4) == ("████", "")
    filled, empty = bar(0.5 + 1 / 32, 4)
    assert filled == "██▏" and empty == "─"


def test_regime_view_shows_its_inputs_and_the_timeframe_of_held_bars() -> None:
    snap = sample_snapshot()
    views = tuple(replace(v, timeframe="4h", adx=31.4, atr_pct=0.0123, ema_slope=-0.0042,
                          vol_quantile=0.91) for v in snap.regimes)
    lines = text_of(regime_view(replace(snap, regimes=views), 38), width=38).splitlines()
    assert "12×4h" in lines[0]
    assert lines[1].split() == ["ADX", "31", "ATR", "1.23%", "EMA", "-0.42%", "vq", ".91"]
    assert all(len(line) <= 38 for line in lines)
    narrow = text_of(regime_view(replace(snap, regimes=views), 20), width=20).splitlines()
    assert "1.23%" in "\n".join(narrow) and "-0.42%" in "\n".join(narrow)  # never cut


def test_regime_view_marks_focus_and_held_bars() -> None:
    out = text_of(regime_view(sample_snapshot(), 38))
    lines = out.splitlines()
    assert lines[0].startswith("▸BTC/USDT:USDT") and "trend up" in lines[0]
    assert "12 bars" in lines[0]
    assert "range, calm" in lines[1] and "4 bars" in lines[1]
    assert "no regimes" in text_of(regime_view(BrainSnapshot(), 38))


def test_strategies_view_orders_by_status_and_marks_shadow() -> None:
    out = text_of(strategies_view(sample_snapshot(), 40), width=40).splitlines()
    assert [line.split()[0] for line in out] == [
        "ema_cross", "BUY", "challenger_1", "mean_revert", "breakout"]
    assert out[0].endswith("active") and len(out[0]) == 40
    assert out[1] == "  BUY BTC @ 43120.5"
    assert out[2].endswith("shadow") and out[3].endswith("cooldown")
    assert out[4].endswith("disabled")
    assert "no strategies" in text_of(strategies_view(BrainSnapshot(), 40))


def test_strategies_view_truncates_long_names_and_flags_errors() -> None:
    snap = sample_snapshot(strategies=(
        StrategyView("a_very_long_strategy_name_indeed", "active", errors=2,
                     last_signal="SELL ETH/USDT:USDT @ 2005.35 (conf 0.81) breakout of range"),))
    out = text_of(strategies_view(snap, 24), width=24).splitlines()
    assert out[0].endswith(" active") and "…" in out[0] and len(out[0]) == 24
    assert out[1].endswith("…") and len(out[1]) == 24
    assert "!2" in text_of(strategies_view(snap, 60), width=60)


def test_risk_rows_measure_losses_against_negative_limits() -> None:
    risk = RiskView(risk_per_trade=0.004, base_risk=0.008, daily_pnl=-0.009,
                    daily_lock_limit=-0.018, trailing_dd=-0.035, kill_switch_limit=-0.035,
                    portfolio_risk=0.0, risk_cap=0.03)
    used = [u for _, _, u in risk_rows(risk)]
    # the next trade's risk is measured against the governance cap per trade (1 %)
    assert used == [0.4, 0.5, 1.0, 0.0]
    assert risk_rows(risk)[0][1] == "0.40% / 1.00%"
    profit = replace(risk, daily_pnl=0.01)
    assert risk_rows(profit)[1][2] == 0.0


def test_risk_view_shows_locks_and_reason() -> None:
    risk = RiskView(kill_switch=True, daily_lock=True, lock_reason="operator: news spike")
    out = text_of(risk_view(BrainSnapshot(risk=risk), 40))
    assert "KILL SWITCH" in out and "DAILY LOCK" in out and "operator: news spike" in out
    assert "Safe mode: off" in out


def test_graph_view_lights_active_edges_and_colours_nodes() -> None:
    edges = tuple(EdgeView(s, d, s == "brain") for s, d in GRAPH_EDGES)
    agents = (AgentView("brain"), AgentView("risk", "error", last_error="sizing failed"),
              AgentView("scout", "warn"))
    text = graph_view(BrainSnapshot(edges=edges, agents=agents), 38)
    plain = text.plain
    for node in ("brain", "regime", "strategy", "risk", "exec", "monitor"):
        assert node in plain
    assert "risk: sizing failed" in plain and "other agents: scout" in plain
    arrow_styles = {str(span.style) for span in text.spans
                    if plain[span.start:span.end] in ("──▶", "◀──")}
    assert arrow_styles == {LIT, UNLIT}
    risk_style = {str(s.style) for s in text.spans if plain[s.start:s.end].strip() == "risk"}
    assert any("red" in style for style in risk_style)


def test_graph_view_falls_back_to_a_chain_when_narrow() -> None:
    out = graph_view(BrainSnapshot(), 20).plain
    assert out.startswith("brain → regime → strategy → risk → exec → monitor")
    assert "─▶" in graph_view(BrainSnapshot(), 34).plain


def test_positions_view_fits_its_height() -> None:
    many = tuple(Position(f"SYM{i}", 1.0, 10.0, T0) for i in range(6))
    out = text_of(positions_view(sample_snapshot(positions=many), 70, 4), width=70).splitlines()
    assert len(out) == 4 and out[0].split()[:3] == ["Symbol", "Side", "Size"]
    assert out[1].startswith("SYM0") and out[3].strip() == "… 4 more"
    assert "no open positions" in text_of(positions_view(BrainSnapshot(), 70, 4), width=70)


def test_positions_rows_list_positions_then_orders() -> None:
    order = Order("c1", "EURUSD", Side.SELL, 1000, OrderType.LIMIT, OrderStatus.NEW, T0,
                  filled_qty=250, limit_price=1.1)
    rows = position_rows(sample_snapshot(open_orders=(order,)))
    assert [r[0].plain for r in rows] == ["BTC/USDT:USDT", "EURUSD"]
    pos = [c.plain for c in rows[0]]
    assert pos == ["BTC/USDT:USDT", "LONG", "0.01", "43,000.00", "42,000.00", "45,000.00",
                   "+12.50"]
    assert [c.plain for c in rows[1]][:4] == ["EURUSD", "SHORT", "750", "1.10000"]
    assert "limit order, new" in rows[1][6].plain


def test_header_shows_clock_time_mode_and_connection() -> None:
    info = HeaderInfo(mode="vst", venue="bingx", run_id="r-1", clock_ms=T0 + 61_000,
                      speed=60, connected=False, feed_age_ms=400_000, cycle=7, status="paused")
    plain = header_view(info).plain
    assert " VST " in plain and "bingx" in plain and "disconnected" in plain
    assert "2026-01-05 00:01:01" in plain and "×60" in plain and "cycle 7" in plain
    assert "PAUSED" in plain and "r-1" in plain
    assert feed_style(None) == "dim" and feed_style(1_000) == "green"
    assert feed_style(100_000) == "yellow" and feed_style(400_000) == "bold red"


def test_views_speak_russian() -> None:
    set_language("ru")
    try:
        info = HeaderInfo(mode="paper", venue="mock", run_id="r", clock_ms=T0, connected=True)
        assert "БУМАГА" in header_view(info).plain
        assert "рост" in text_of(regime_view(sample_snapshot(), 38))
    finally:
        set_language("en")
