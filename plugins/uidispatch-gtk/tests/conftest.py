"""GTK 3 on a real display (Xvfb), and a pump of GLib's default context for the tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

import uidispatch as ud
from uidispatch.testing import ensure_display

pytest.importorskip("gi")


@pytest.fixture(scope="session")
def _display() -> str:
    """A real X display for the session: Xvfb when DISPLAY is unset (apt: xvfb)."""
    return ensure_display()


@pytest.fixture
def gtk(_display: str) -> Any:
    """GTK 3 (``gi.repository.Gtk``), on a real display."""
    import gi

    gi.require_version("Gtk", "3.0")
    from gi.repository import Gtk

    return Gtk


@pytest.fixture
def window(gtk: Any) -> Iterator[Any]:
    """A shown top-level window, destroyed after the test if still there."""
    win = gtk.Window(title="test")
    win.show_all()
    yield win
    win.destroy()


Pump = Callable[..., bool]


@pytest.fixture
def pump() -> Pump:
    """``pump(until, timeout=10)``: iterate GLib's default context until ``until()`` holds."""
    import time

    from gi.repository import GLib

    def run(until: Callable[[], object], timeout: float = 10.0) -> bool:
        context = GLib.MainContext.default()
        deadline = time.monotonic() + timeout
        tick = GLib.timeout_add(5, lambda: True)  # a blocking iteration wakes every 5 ms
        try:
            while not until() and time.monotonic() < deadline:
                context.iteration(True)
        finally:
            GLib.source_remove(tick)
        return bool(until())

    return run


@pytest.fixture(autouse=True)
def _no_default_leaks() -> Iterator[None]:
    ud.use(None)
    yield
    ud.use(None)
