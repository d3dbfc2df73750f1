"""The shared backend conformance suite, on Kivy's real Clock."""

from __future__ import annotations

from typing import Any

import uidispatch as ud
from uidispatch.testing.conformance import BackendConformance


class TestKivyConformance(BackendConformance):
    """Runs on conftest.py's ``dispatcher`` (a Dispatcher on a fresh backend on the Clock)."""

    backend = "kivy"

    def dead_owner(self, dispatcher: ud.Dispatcher) -> object | None:
        """A widget removed from the window it was seen in (None without a display)."""
        from uidispatch.testing import ensure_display

        try:
            ensure_display()
        except RuntimeError:
            return None
        from kivy.core.window import Window  # type: ignore[import-untyped]
        from kivy.uix.widget import Widget  # type: ignore[import-untyped]

        if Window is None:
            return None
        widget: Any = Widget()
        Window.add_widget(widget)
        assert dispatcher.backend.is_alive(widget)  # seen in the window
        Window.remove_widget(widget)
        return widget

    def close_app(self, dispatcher: ud.Dispatcher) -> bool:
        """Stop Kivy's event loop: what ``App.stop()`` and closing the window end with."""
        from kivy.base import EventLoop  # type: ignore[import-untyped]

        EventLoop.start()  # it only stops (and dispatches on_stop) once started
        EventLoop.stop()
        return True
