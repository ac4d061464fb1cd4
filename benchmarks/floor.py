"""The floor: a bare Textual app with six empty columns (no tkanban, no database)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static


class FloorApp(App[None]):
    """Six empty columns and a highlight that ``h``/``l`` move: the least a board can cost."""

    CSS = """
    Static { width: 1fr; height: 1fr; border-right: vkey $panel; }
    Static.-active { background: $accent 30%; }
    """
    BINDINGS = [("l", "step(1)"), ("h", "step(-1)"), ("j", "step(1)"), ("k", "step(-1)")]

    def __init__(self) -> None:
        super().__init__()
        self.index = 0

    def compose(self) -> ComposeResult:
        with Horizontal():
            for i in range(6):
                yield Static(f"lane {i + 1}", classes="-active" if i == 0 else "")

    def action_step(self, step: int) -> None:
        columns = list(self.query(Static))
        columns[self.index].remove_class("-active")
        self.index = (self.index + step) % 6
        columns[self.index].add_class("-active")


if __name__ == "__main__":
    FloorApp().run()
