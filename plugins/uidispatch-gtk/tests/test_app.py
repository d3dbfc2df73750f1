"""The GTK backend used as apps use it: ``Gtk.main()``, ``Gtk.Application``, closing mid-task."""

from __future__ import annotations

import threading
import time
from functools import partial
from typing import Any

import pytest
import uidispatch_gtk

import uidispatch as ud
from uidispatch.hookspecs import Detection
from uidispatch.testing import ensure_display

gi = pytest.importorskip("gi")


@pytest.fixture(scope="module")
def gtk() -> Any:
    ensure_display()
    gi.require_version("Gtk", "3.0")
    from gi.repository import Gtk

    return Gtk


def test_a_worker_updates_a_label_inside_gtk_main_and_the_window_closes_mid_task(gtk: Any) -> None:
    from gi.repository import GLib

    window = gtk.Window(title="progress")
    label = gtk.Label(label="0")
    window.add(label)
    window.show_all()
    d = ud.get_dispatcher("gtk", app=window)
    shown: list[str] = []
    outcome: list[BaseException] = []
    started = threading.Event()

    def show(i: int) -> None:
        label.set_text(str(i))
        shown.append(label.get_text())
        if i >= 1_000 and window.get_visible():
            window.destroy()  # the user closes the window while the worker still runs

    def work() -> None:
        started.set()
        try:
            for i in range(10**9):
                d.call_soon(show, i, key="progress", owner=label)
                if i % 100 == 0:
                    time.sleep(0.0005)
        except ud.DispatcherClosed as exc:
            outcome.append(exc)

    window.connect("destroy", lambda *_: gtk.main_quit())
    GLib.timeout_add(10_000, lambda: gtk.main_quit() or False)  # a hung test still ends
    worker = threading.Thread(target=work)
    worker.start()
    assert started.wait(5)
    gtk.main()
    worker.join(10)
    assert not worker.is_alive(), "the worker never learnt that the window closed"
    assert d.closed
    assert len(outcome) == 1
    assert int(shown[-1]) >= 1_000


def test_a_gtk_application_is_detected_and_its_shutdown_closes_the_dispatcher(gtk: Any) -> None:
    from gi.repository import Gio

    seen: dict[str, Any] = {}
    app = gtk.Application(
        application_id="org.uidispatch.Test", flags=Gio.ApplicationFlags.NON_UNIQUE
    )

    def activate(application: Any) -> None:
        window = gtk.ApplicationWindow(application=application)
        window.show_all()
        seen["score before the loop"] = uidispatch_gtk.detect()  # app.run() has not looped yet
        d = ud.get_dispatcher()  # auto-detected
        seen["dispatcher"] = d

        def later() -> None:
            seen["score in the loop"] = uidispatch_gtk.detect()
            seen["ran"] = threading.get_ident()
            application.quit()

        threading.Thread(target=lambda: d.call_soon(later)).start()

    app.connect("activate", activate)
    app.run([])
    d = seen["dispatcher"]
    assert d.backend.name == "gtk"
    assert d.backend.app is app
    assert seen["score before the loop"] == Detection.APP
    assert seen["score in the loop"] == Detection.RUNNING
    assert seen["ran"] == threading.get_ident()
    assert d.closed


def test_timers_share_one_glib_source_and_never_fire_early(gtk: Any) -> None:
    d = ud.get_dispatcher("gtk")
    fired: list[tuple[float, float]] = []
    start = time.monotonic()
    for delay in (0.0305, 0.001, 0.0199, 0.0):
        d.call_later(delay, lambda delay=delay: fired.append((delay, time.monotonic())))
    assert d.run_until(lambda: len(fired) == 4, 5)
    assert [delay for delay, _ in fired] == [0.0, 0.001, 0.0199, 0.0305]
    assert all(at - start >= delay for delay, at in fired)
    d.close()


def test_a_child_widget_not_packed_yet_is_alive_and_dead_once_destroyed(gtk: Any) -> None:
    d = ud.get_dispatcher("gtk")
    backend = d.backend
    box = gtk.Box()
    button = gtk.Button(label="later")
    assert backend.is_alive(button)  # built by a callback, not packed yet
    box.add(button)
    assert backend.is_alive(button)
    button.destroy()
    assert not backend.is_alive(button)
    out: list[str] = []
    d.call_soon(partial(out.append, "skipped"), owner=button)
    d.call_soon(partial(out.append, "ran"), owner=box)
    assert d.run_until(lambda: out, 5)
    assert out == ["ran"]
    d.close()


def test_create_rejects_what_is_not_an_app_or_window(gtk: Any) -> None:
    with pytest.raises(TypeError, match=r"app must be a Gtk\.Application, a Gtk\.Window.*got 42"):
        uidispatch_gtk.create(42)


def test_detection_scores_a_toplevel_window_as_an_app(gtk: Any) -> None:
    window = gtk.Window()
    try:
        assert uidispatch_gtk.detect() >= Detection.APP
    finally:
        window.destroy()


def test_doctor_lines_name_pygobject_glib_and_gtk(gtk: Any) -> None:
    from gi.repository import GLib

    lines = uidispatch_gtk.uidispatch_doctor_lines()
    assert lines[0] == (
        f"gtk: PyGObject {gi.__version__}, "
        f"GLib {GLib.MAJOR_VERSION}.{GLib.MINOR_VERSION}.{GLib.MICRO_VERSION}"
    )
    assert lines[1].startswith("gtk: GTK 3.")
    assert "3.0" in lines[2]


def _no_default_application() -> None:
    """Let a ``Gtk.Application`` another test ran stop being the default one.

    GTK keeps an app that ran the default for as long as its windows keep it alive, and
    the registry would bind a dispatcher asked for without ``app=`` to it.
    """
    import gc

    from gi.repository import Gio

    app = Gio.Application.get_default()
    if app is not None:
        assert not app.get_is_registered(), "a Gtk.Application still runs"
        for window in app.get_windows():
            window.destroy()
    app = None
    gc.collect()
    assert Gio.Application.get_default() is None


def _wait_for(predicate: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        pause.wait(0.001)
    return True


def test_without_app_gtk_main_returning_closes_the_dispatcher_and_fails_a_waiting_call(
    gtk: Any,
) -> None:
    from gi.repository import GLib

    _no_default_application()
    window = gtk.Window(title="no app=")
    window.show_all()
    window.connect("destroy", lambda *_: gtk.main_quit())
    d = ud.get_dispatcher("gtk")  # bound to no window and no Gtk.Application
    assert d.backend.app is None
    d.configure(budget=1e-6)  # a drain stops after the callback that ends the loop
    outcome: list[BaseException | str] = []

    def close_window() -> None:  # on the main thread, inside Gtk.main()
        # The worker's next call is queued behind this one before the loop ends.
        if not _wait_for(lambda: d.stats().pending >= 1, 10):
            outcome.append("the worker's call was never queued")
        window.destroy()  # the user closes the window: its destroy handler quits the loop

    def work() -> None:
        try:
            d.call(lambda: None, timeout=10)  # the loop runs it: the dispatcher serves it
            d.call_soon(close_window)
            d.call(lambda: None, timeout=10)  # waits while Gtk.main() returns
            outcome.append("ran after the window closed")
        except BaseException as exc:
            outcome.append(exc)

    hung: list[bool] = []

    def give_up() -> bool:  # a hung test still ends
        hung.append(True)
        gtk.main_quit()
        return False

    guard = GLib.timeout_add(10_000, give_up)
    worker = threading.Thread(target=work)
    worker.start()
    try:
        gtk.main()
    finally:
        if not hung:
            GLib.source_remove(guard)  # never quits a later test's loop
    assert d.closed, "Gtk.main() returned and the dispatcher is still open"
    worker.join(10)
    assert not worker.is_alive(), "the worker never learnt that the loop ended"
    assert len(outcome) == 1, outcome
    assert isinstance(outcome[0], ud.DispatcherClosed), outcome
    with pytest.raises(ud.DispatcherClosed):
        d.call_soon(lambda: None)


def test_without_app_a_gtk_application_run_returning_closes_the_dispatcher(gtk: Any) -> None:
    from gi.repository import Gio

    _no_default_application()
    d = ud.get_dispatcher("gtk")  # before the app exists: bound to no app
    assert d.backend.app is None
    outcome: list[BaseException | str] = []
    app = gtk.Application(
        application_id="org.uidispatch.NoApp", flags=Gio.ApplicationFlags.NON_UNIQUE
    )

    def activate(application: Any) -> None:
        window = gtk.ApplicationWindow(application=application)
        window.show_all()

        def work() -> None:
            try:
                d.call(lambda: None, timeout=10)  # served by the app's loop
                d.call_soon(application.quit)
                d.call(lambda: None, timeout=10)  # may wait while run() returns
                d.call(lambda: None, timeout=10)  # after run() returned at the latest
                outcome.append("ran after the app quit")
            except BaseException as exc:
                outcome.append(exc)

        threading.Thread(target=work, name="worker").start()

    app.connect("activate", activate)
    app.run([])
    assert d.closed, "app.run() returned and the dispatcher is still open"
    assert _wait_for(lambda: outcome, 10), "the worker never learnt that the app ended"
    assert len(outcome) == 1, outcome
    assert isinstance(outcome[0], ud.DispatcherClosed), outcome
