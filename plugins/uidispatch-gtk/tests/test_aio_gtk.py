"""uidispatch.aio on a real GTK 3 window: run_app and every way a run ends, asyncio and trio.

Every ending runs in one child process (the shared ``aio_endings`` suite), one window per
case; a close request is ``Gtk.Window.close()``, the ``delete-event`` the window manager's
close button sends, and Ctrl-C a real SIGINT. The in-process tests drive the
``delete-event`` directly.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

import uidispatch as ud
from uidispatch import aio
from uidispatch.testing import ErrorCollector, aio_endings

pytest.importorskip("gi")

GTK_WINDOW = """
import gi
gi.require_version("Gtk", "3.0")
from gi.repository import GLib, Gtk


class Window(EndingWindow):
    def __init__(self):
        self.window = Gtk.Window(title="aio")
        self.label = Gtk.Label(label="-")
        self.window.add(self.label)
        self.window.show_all()
        self.destroyed = False
        self.window.connect("destroy", self._destroyed)

    def _destroyed(self, *_):
        self.destroyed = True

    def set_text(self, text):
        self.label.set_text(text)

    def request_close(self):
        self.window.close()  # GTK sends the delete-event the window manager's button sends

    def destroy(self):
        self.window.destroy()

    def alive(self):
        return not self.destroyed

    def later(self, ms, fn):
        GLib.timeout_add(ms, lambda: fn() and False)
"""


@pytest.fixture(scope="module")
def endings_report(_display: str) -> aio_endings.EndingsReport:
    return aio_endings.run_endings(GTK_WINDOW)


@pytest.mark.parametrize("lib", aio_endings.LIBS)
@pytest.mark.parametrize("ending", aio_endings.ENDINGS)
def test_run_app_ends_as_main_ended(
    endings_report: aio_endings.EndingsReport, lib: str, ending: str
) -> None:
    aio_endings.assert_ended_as_expected(endings_report, lib, ending)


def test_no_run_leaves_a_warning_or_an_error_on_stderr(
    endings_report: aio_endings.EndingsReport,
) -> None:
    aio_endings.assert_quiet_stderr(endings_report)


# ------------------------------------------------------------------ in process


def _delete_event(gtk: Any, window: Any) -> bool:
    """Send ``window`` the ``delete-event`` the window manager sends; True if it survived."""
    from gi.repository import Gdk

    event = Gdk.Event.new(Gdk.EventType.DELETE)
    event.any.window = window.get_window()
    gtk.main_do_event(event)  # GTK destroys the window unless a handler returned True
    return window in gtk.Window.list_toplevels()


@pytest.fixture
def gtk_dispatcher(window: Any) -> Any:
    d = ud.get_dispatcher("gtk", app=window)
    d.error_handler = ErrorCollector()
    yield d
    d.close()


def test_a_close_request_can_be_vetoed_and_the_toolkit_behaviour_restored(
    gtk: Any, window: Any, gtk_dispatcher: ud.Dispatcher
) -> None:
    backend: Any = gtk_dispatcher.backend
    asked: list[int] = []
    backend.on_close_requested(lambda: asked.append(1) or False)
    assert _delete_event(gtk, window)  # vetoed: the window stays
    assert asked == [1]
    own: list[str] = []
    window.connect("delete-event", lambda *_: own.append("app's own") or True)
    backend.on_close_requested(None)  # GTK's own behaviour: the app's handler decides
    assert _delete_event(gtk, window)
    assert (asked, own) == ([1], ["app's own"])


def test_a_granted_close_request_destroys_the_window(
    gtk: Any, window: Any, gtk_dispatcher: ud.Dispatcher
) -> None:
    backend: Any = gtk_dispatcher.backend
    destroyed: list[bool] = []
    window.connect("destroy", lambda *_: destroyed.append(True))
    backend.on_close_requested(lambda: None)  # None is no veto
    assert not _delete_event(gtk, window)
    assert destroyed == [True]


def test_closing_a_window_that_is_not_the_last_is_not_a_request(
    gtk: Any, window: Any, gtk_dispatcher: ud.Dispatcher
) -> None:
    d = ud.get_dispatcher("gtk")  # bound to no window: every main window counts
    other = gtk.Window(title="other")
    other.show_all()
    asked: list[int] = []
    backend: Any = d.backend
    backend.on_close_requested(lambda: asked.append(1) or False)
    try:
        assert not _delete_event(gtk, other)  # another main window is still shown
        assert asked == []
        assert _delete_event(gtk, window)  # the last one asks
        assert asked == [1]
    finally:
        backend.on_close_requested(None)
        other.destroy()
        d.close()


def test_close_app_before_the_loop_runs_ends_the_next_run_at_once(
    gtk: Any, window: Any, gtk_dispatcher: ud.Dispatcher
) -> None:
    backend: Any = gtk_dispatcher.backend
    backend.close_app()
    assert window not in gtk.Window.list_toplevels()
    backend.run_main_loop()  # returns: the window is gone


@pytest.mark.parametrize("lib", aio_endings.LIBS)
def test_a_handler_runs_on_the_main_thread_inside_run_app_and_its_error_is_counted(
    gtk: Any, window: Any, lib: str
) -> None:
    sleep: Any = __import__(lib).sleep
    d = ud.get_dispatcher("gtk", app=window)
    d.error_handler = ErrorCollector()
    button = gtk.Button(label="go")
    window.add(button)
    window.show_all()
    clicked: list[bool] = []

    @aio.handler
    async def on_click(_button: Any) -> None:
        await sleep(0)
        clicked.append(threading.current_thread() is threading.main_thread())
        raise ValueError("click")

    button.connect("clicked", on_click)

    async def main() -> str:
        errors = d.stats().errors
        button.clicked()
        while d.stats().errors == errors:
            await sleep(0.005)
        return "done"

    assert aio.run_app(main, lib=lib, app=window) == "done"
    assert clicked == [True]
    assert window not in gtk.Window.list_toplevels()  # closed once main finished
    (exc,) = d.error_handler.take()  # type: ignore[attr-defined]
    assert str(exc) == "click"
