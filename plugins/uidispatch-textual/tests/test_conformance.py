"""The backend conformance suite on a running headless Textual app (``App.run_test()``)."""

from __future__ import annotations

from typing import Any

import uidispatch as ud
from uidispatch.testing.conformance import BackendConformance


class TestTextualConformance(BackendConformance):
    backend = "textual"

    def dead_owner(self, dispatcher: ud.Dispatcher) -> object | None:
        from textual.widgets import Static

        backend: Any = dispatcher.backend
        widget = Static("owner")

        async def mount_then_remove() -> None:
            await backend.app.mount(widget)
            assert backend.is_alive(widget)  # seen attached
            await widget.remove()

        backend.loop.run_until_complete(mount_then_remove())
        return widget

    def close_app(self, dispatcher: ud.Dispatcher) -> bool:
        backend: Any = dispatcher.backend
        backend.app.exit()
        return True
