"""The backend conformance suite on GTK 3 under Xvfb, inside ``GLib.MainLoop().run()``."""

from __future__ import annotations

from typing import Any

import pytest

import uidispatch as ud
from uidispatch.testing.conformance import BackendConformance

pytest.importorskip("gi")


class TestGtkConformance(BackendConformance):
    backend = "gtk"

    def dead_owner(self, dispatcher: ud.Dispatcher) -> object | None:
        from gi.repository import Gtk

        window: Any = Gtk.Window()
        assert dispatcher.backend.is_alive(window)  # seen as a toplevel
        window.destroy()
        return window

    def close_app(self, dispatcher: ud.Dispatcher) -> bool:
        backend: Any = dispatcher.backend
        backend.app.destroy()  # the window the dispatcher is bound to
        return True
