"""The desk header: mode, venue and connection, feed age, clock, the cycle heartbeat, status.

Each field is one segment, separated by ``│``; a narrow terminal wraps between segments,
never inside one, so no two fields ever run together. The heartbeat (cycle number, the last
cycle's latency, equity) lives here instead of a log line per cycle.

The clock shown is the run's ``Clock`` (simulated time when accelerated, frozen in tests),
never the machine's — a trader watching an accelerated hour must see market time.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from ats.domain.clock import ms_to_datetime
from ats.i18n import t
from ats.tui.fmt import age_text, clock_text

MODE_STYLE = {"paper": "bold black on green", "vst": "bold black on cyan",
              "demo": "bold black on yellow"}
STATUS_STYLE = {"running": "green", "paused": "bold yellow", "starting": "cyan",
                "stopping": "bold magenta", "error": "bold red", "locked": "bold white on red",
                "venue_down": "bold white on red"}
SEP = " │ "


@dataclass(frozen=True, slots=True)
class HeaderInfo:
    mode: str
    venue: str
    run_id: str
    clock_ms: int
    speed: float | None = None
    connected: bool = False
    feed_age_ms: int | None = None
    cycle: int = 0
    status: str = "starting"  # starting | running | paused | stopping | error | locked
    equity: float | None = None
    latency_ms: float | None = None
    # The last ``ats audit`` of this account: None = not read (not shown), else
    # (ok, breaches, ts) with ts None for "never run". Read rarely by the app, not per tick;
    # shown in the risk panel's bottom border (the header line is full at 120 columns).
    audit: tuple[bool, int, int | None] | None = None


def feed_style(age_ms: int | None) -> str:
    if age_ms is None:
        return "dim"
    if age_ms <= 90_000:
        return "green"
    if age_ms <= 300_000:
        return "yellow"
    return "bold red"


def header_segments(info: HeaderInfo) -> list[Text]:
    segs: list[Text] = []
    mode = Text(f" {t(f'tui.mode.{info.mode}')} ", style=MODE_STYLE.get(info.mode, "reverse"))
    mode.append(f" {info.venue}", style="bold")
    segs.append(mode)
    if info.connected:
        segs.append(Text("● " + t("tui.header.connected"), style="green"))
    else:
        segs.append(Text("○ " + t("tui.header.disconnected"), style="bold red"))
    feed = Text(f"{t('tui.header.feed')} ", style="dim")
    feed.append(age_text(info.feed_age_ms), style=feed_style(info.feed_age_ms))
    segs.append(feed)
    clock = Text("⏱ " + clock_text(info.clock_ms), style="bold")
    if info.speed is not None and info.speed != 1:
        clock.append(f" ×{info.speed:g}", style="cyan")
    segs.append(clock)
    beat = Text(f"{t('tui.header.cycle')} {info.cycle}", style="bold")
    if info.latency_ms is not None and info.cycle:
        beat.append(f" {info.latency_ms:.0f}ms", style="dim")
    segs.append(beat)
    if info.equity is not None and info.cycle:
        eq = Text(f"{t('tui.equity.equity')} ", style="dim")
        eq.append(f"{info.equity:,.2f}", style="bold")
        segs.append(eq)
    segs.append(Text(t(f"desk2.status.{info.status}"), style=STATUS_STYLE.get(info.status, "")))
    run = Text(f"{t('tui.header.run')} ", style="dim")
    run.append(info.run_id or "—")
    segs.append(run)
    return segs


def audit_segment(ok: bool, breaches: int, ts: int | None) -> Text:
    """One short field: when the risk rules were last proven to hold, or that they were not.

    Lives in the risk panel's border: it costs no row of the desk at any size."""
    if ts is None:
        return Text(t("final.audit.never"), style="dim")
    if ok:
        when = ms_to_datetime(ts).strftime("%Y-%m-%d %H:%M")
        return Text(t("final.audit.ok", when=when), style="green")
    key = "final.audit.breach_one" if breaches == 1 else "final.audit.breaches"
    return Text(t(key, n=breaches), style="bold white on red")


def header_view(info: HeaderInfo, width: int = 10_000) -> Text:
    """The segments joined by ``│``, wrapped between segments to ``width`` cells."""
    out = Text(no_wrap=True, overflow="ellipsis")
    used = 0
    for seg in header_segments(info):
        need = seg.cell_len + (len(SEP) if used else 0)
        if used and used + need > width:
            out.append("\n")
            used = 0
        elif used:
            out.append(SEP, style="dim")
        out.append_text(seg)
        used += seg.cell_len + (len(SEP) if used else 0)
    return out


class DeskHeader(Widget):
    DEFAULT_CSS = """
    DeskHeader { dock: top; height: auto; background: $panel; }
    """
    info: reactive[HeaderInfo | None] = reactive(None)
    _lines = 0

    def watch_info(self, info: HeaderInfo | None) -> None:
        """Relayout only when the header's number of lines changes (not every tick)."""
        lines = header_view(info, max(20, self.size.width)).plain.count("\n") + 1 \
            if info is not None else 0
        if lines != self._lines:
            self._lines = lines
            self.refresh(layout=True)

    def on_resize(self) -> None:
        self._lines = -1
        self.watch_info(self.info)

    def render(self) -> Text:
        if self.info is None:
            return Text("")
        return header_view(self.info, max(20, self.size.width))
