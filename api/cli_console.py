"""The CLI's console (shared by its command modules)."""

from __future__ import annotations

from typing import Any

from rich.console import Console


class LateConsole:
    """Rich's console, made when it prints, so that it reads the terminal's width (COLUMNS) then: one made
    at import keeps the width the environment had at that moment (a test that sets COLUMNS, or a pytest
    worker whose environment says 80, would see its tables cut)."""

    def print(self, *objects: Any, **options: Any) -> None:
        Console(soft_wrap=True).print(*objects, **options)

    def rule(self, *objects: Any, **options: Any) -> None:
        Console(soft_wrap=True).rule(*objects, **options)

    def now(self) -> Console:
        """A console for what holds one while it draws (a progress bar)."""
        return Console(soft_wrap=True)
