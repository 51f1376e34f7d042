"""The desk's keys: one table feeds the bindings, the footer, the help screen and the palette.

Keys are F-keys or ``ctrl+`` chords because a bare letter never reaches the app while the log
filter (an ``Input``) has focus; ``?`` is an extra alias for help that works elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding

from ats.i18n import t


@dataclass(frozen=True, slots=True)
class DeskKey:
    key: str  # Textual key name(s), comma separated
    action: str
    label_key: str  # short footer label
    help_key: str  # one-line explanation (help screen, command palette)
    show: bool = True
    priority: bool = False


DESK_KEYS: tuple[DeskKey, ...] = (
    DeskKey("f1", "help", "tui.key.help", "tui.keyhelp.help"),
    DeskKey("f2", "search", "tui.key.search", "tui.keyhelp.search"),
    DeskKey("f3", "focus_symbol", "tui.key.focus", "tui.keyhelp.focus"),
    DeskKey("f4", "governance", "tui.key.governance", "tui.keyhelp.governance"),
    DeskKey("f5", "toggle_pause", "tui.key.pause", "tui.keyhelp.pause"),
    DeskKey("f6", "open_last_record", "tui.key.record", "tui.keyhelp.record"),
    DeskKey("f7", "toggle_theme", "tui.key.theme", "tui.keyhelp.theme"),
    DeskKey("f8", "kill_switch", "tui.key.kill", "tui.keyhelp.kill"),
    DeskKey("f9", "filter_log", "tui.key.filter", "tui.keyhelp.filter"),
    DeskKey("f10", "quit", "tui.key.quit", "tui.keyhelp.quit", priority=True),
)


def desk_bindings() -> list[Binding]:
    bindings = [
        Binding(k.key, k.action, t(k.label_key), show=k.show, priority=k.priority,
                tooltip=t(k.help_key))
        for k in DESK_KEYS
    ]
    bindings.append(Binding("question_mark", "help", t("tui.key.help"), show=False))
    bindings.append(Binding("ctrl+q", "quit", t("tui.key.quit"), show=False, priority=True))
    return bindings


def key_label(key: str) -> str:
    """How a key is written for people: 'f10,ctrl+q' -> 'F10 / Ctrl+Q'."""
    parts = []
    for k in key.split(","):
        parts.append("+".join(p.capitalize() if len(p) > 1 else p.upper() for p in k.split("+")))
    return " / ".join(parts)
