"""The desk's footer: every F-key with its label, wrapped between keys, never cut.

Textual's ``Footer`` drops keys that do not fit and at 80 columns left a stray letter
(``f8 K▏^p palettee``); this bar is drawn from the same key table as the bindings and the
help screen, wraps onto a second line when it must, and a click on a key runs its action.
"""

from __future__ import annotations

from rich.text import Text
from textual.events import Click
from textual.widget import Widget

from ats.i18n import t
from ats.tui.keys import DESK_KEYS, key_label

GAP = "  "


class KeyBar(Widget):
    DEFAULT_CSS = """
    KeyBar { dock: bottom; height: auto; background: $panel; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._spans: list[tuple[int, int, int, str]] = []  # line, start, end, action

    def items(self) -> list[tuple[Text, str]]:
        out = []
        for k in DESK_KEYS:
            if not k.show:
                continue
            item = Text(key_label(k.key.split(",")[0]), style="bold reverse")
            item.append(" " + t(k.label_key))
            out.append((item, k.action))
        palette = Text("Ctrl+P", style="bold reverse")
        palette.append(" " + t("desk2.key.palette"))
        out.append((palette, "command_palette"))
        return out

    def render(self) -> Text:
        width = max(10, self.size.width)
        out = Text(no_wrap=True, overflow="crop")
        line, col = 0, 0
        self._spans = []
        for item, action in self.items():
            need = item.cell_len + (len(GAP) if col else 0)
            if col and col + need > width:
                out.append("\n")
                line, col = line + 1, 0
            elif col:
                out.append(GAP)
                col += len(GAP)
            self._spans.append((line, col, col + item.cell_len, action))
            out.append_text(item)
            col += item.cell_len
        return out

    async def on_click(self, event: Click) -> None:
        for line, start, end, action in self._spans:
            if event.y == line and start <= event.x < end:
                await self.app.run_action(action)
                return
