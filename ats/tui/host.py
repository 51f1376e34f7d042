"""What the desk's mixins (``DeskActions``, ``DeskDialogs``) use of ``DeskApp``.

Declared once, for the type checker only: at run time ``DeskApp`` (a ``textual.App``)
provides every member, and this base adds nothing to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ats.brain.state import BrainSnapshot
    from ats.tui.brain_port import BrainPort


class DeskHost:
    if TYPE_CHECKING:  # provided by DeskApp / textual.App
        brain: BrainPort
        latest: BrainSnapshot | None
        configs: Path | None
        screen: Any

        def push_screen(self, screen: Any, callback: Any = None) -> Any: ...
        def run_worker(self, work: Any, **kwargs: Any) -> Any: ...
        def post_message(self, message: Any) -> bool: ...
        def add_event(self, kind: str, text: str) -> None: ...
        def reload_journal(self) -> None: ...
        async def ensure_started(self) -> None: ...
