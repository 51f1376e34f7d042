"""The desk header: mode badge, venue and connection, feed freshness, clock, run id.

The clock shown is the run's ``Clock`` (simulated time when accelerated, frozen in tests),
never the machine's — a trader watching an accelerated hour must see market time.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from ats.i18n import t
from ats.tui.fmt import age_text, clock_text

MODE_STYLE = {"paper": "bold black on green", "vst": "bold black on cyan",
              "demo": "bold black on yellow"}
STATUS_STYLE = {"running": "green", "paused": "bold yellow", "starting": "cyan",
                "stopping": "bold magenta", "error": "bold red"}


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
    status: str = "starting"  # starting | running | paused | stopping | error


def feed_style(age_ms: int | None) -> str:
    if age_ms is None:
        return "dim"
    if age_ms <= 90_000:
        return "green"
    if age_ms <= 300_000:
        return "yellow"
    return "bold red"


def header_view(info: HeaderInfo) -> Text:
    line = Text(no_wrap=False, overflow="fold")
    line.append(f" {t(f'tui.mode.{info.mode}')} ", style=MODE_STYLE.get(info.mode, "reverse"))
    line.append(f" {info.venue} ")
    if info.connected:
        line.append("● " + t("tui.header.connected"), style="green")
    else:
        line.append("○ " + t("tui.header.disconnected"), style="bold red")
    line.append(f"  {t('tui.header.feed')} ", style="dim")
    line.append(age_text(info.feed_age_ms), style=feed_style(info.feed_age_ms))
    line.append("  ⏱ " + clock_text(info.clock_ms), style="bold")
    if info.speed is not None and info.speed != 1:
        line.append(f" ×{info.speed:g}", style="cyan")
    line.append(f"  {t('tui.header.cycle')} {info.cycle}", style="dim")
    line.append(f"  {t(f'tui.status.{info.status}')}", style=STATUS_STYLE.get(info.status, ""))
    line.append(f"  {t('tui.header.run')} ", style="dim")
    line.append(info.run_id or "—")
    return line


class DeskHeader(Widget):
    DEFAULT_CSS = """
    DeskHeader { dock: top; height: auto; background: $panel; }
    """
    info: reactive[HeaderInfo | None] = reactive(None, layout=True)

    def render(self) -> Text:
        return header_view(self.info) if self.info is not None else Text("")
