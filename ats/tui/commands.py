"""Command palette entries (Ctrl+P): every desk key, the trader's actions and a screenshot.

Textual's own system commands are replaced by these (all from the catalogue, so the
palette speaks Russian too); its screenshot command is replaced by one that writes into
the data directory and says where.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from textual.app import SystemCommand

from ats.i18n import t
from ats.tui.keys import DESK_KEYS, key_label

if TYPE_CHECKING:
    from textual.app import App
    from textual.screen import Screen

# (action, title key, help key): palette-only commands
PALETTE_ACTIONS: tuple[tuple[str, str, str], ...] = (
    ("flatten", "desk2.cmd.flatten", "desk2.cmdhelp.flatten"),
    ("cancel_orders", "desk2.cmd.cancel_orders", "desk2.cmdhelp.cancel_orders"),
    ("disable_strategy", "desk2.cmd.disable", "desk2.cmdhelp.disable"),
    ("enable_strategy", "desk2.cmd.enable", "desk2.cmdhelp.enable"),
    ("screenshot", "desk2.cmd.screenshot", "desk2.cmdhelp.screenshot"),
)


def desk_commands(app: App[None], screen: Screen[object] | None = None
                  ) -> Iterator[SystemCommand]:
    for key in DESK_KEYS:
        action = key.action

        async def run(action: str = action) -> None:
            await app.run_action(action)

        title = f"{t(key.label_key)} ({key_label(key.key)})"
        yield SystemCommand(title, t(key.help_key), run)
    for action, title_key, help_key in PALETTE_ACTIONS:

        async def run_palette(action: str = action) -> None:
            await app.run_action(action)

        yield SystemCommand(t(title_key), t(help_key), run_palette)
    if screen is not None:
        if screen.maximized is not None:
            yield SystemCommand(t("desk2.cmd.minimize"), t("desk2.cmdhelp.minimize"),
                                screen.action_minimize)
        elif screen.focused is not None and screen.focused.allow_maximize:
            yield SystemCommand(t("desk2.cmd.maximize"), t("desk2.cmdhelp.maximize"),
                                screen.action_maximize)
