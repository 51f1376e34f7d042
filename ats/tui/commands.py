"""Command palette entries: every desk key is also a searchable command (Ctrl+P)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from textual.app import SystemCommand

from ats.i18n import t
from ats.tui.keys import DESK_KEYS, key_label

if TYPE_CHECKING:
    from textual.app import App


def desk_commands(app: App[None]) -> Iterator[SystemCommand]:
    for key in DESK_KEYS:
        action = key.action

        async def run(action: str = action) -> None:
            await app.run_action(action)

        title = f"{t(key.label_key)} ({key_label(key.key)})"
        yield SystemCommand(title, t(key.help_key), run)
