"""The GTK part of the wrong-thread checker, on a real GTK 3 under Xvfb.

Every listed operation made from a worker is reported at the worker's own line; every
path uidispatch offers for getting back to the GTK thread is never reported.
"""

from __future__ import annotations

import sys
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

import uidispatch as ud
from uidispatch._addons import _threadcheck_hub
from uidispatch.testing import marshalling

pytest.importorskip("gi")

# These tests make wrong-thread calls on purpose, each under its own check: a
# session-wide check (--ud-check-threads) records them instead of failing them.
pytestmark = pytest.mark.allow_wrong_thread

MONITORING = sys.version_info >= (3, 12)


@dataclass
class App:
    gtk: Any
    window: Any
    label: Any
    entry: Any
    box: Any
    spare: Any


@pytest.fixture
def app(gtk: Any, window: Any) -> App:
    """Widgets made before any check starts (the usual case)."""
    box = gtk.Box()
    label = gtk.Label(label="start")
    entry = gtk.Entry()
    box.pack_start(label, True, True, 0)
    box.pack_start(entry, True, True, 0)
    window.add(box)
    window.show_all()
    return App(gtk, window, label, entry, box, gtk.Label())


def in_thread(fn: Callable[[], object]) -> BaseException | None:
    raised: list[BaseException] = []

    def run() -> None:
        try:
            fn()
        except BaseException as exc:
            raised.append(exc)

    thread = threading.Thread(target=run, name="gtk-worker")
    thread.start()
    thread.join(10)
    assert not thread.is_alive()
    return raised[0] if raised else None


# Each operation on its own line: the report must name exactly that line. The third item
# says whether it is seen before Python 3.12 too.
OPERATIONS: list[tuple[str, Callable[[App], object], bool]] = [
    ("Label.set_text", lambda a: a.label.set_text("worker"), True),
    ("Label.get_text", lambda a: a.label.get_text(), True),
    ("Label.set_text", lambda a: a.gtk.Label.set_text(a.label, "worker"), True),
    ("Entry.set_text", lambda a: a.entry.set_text("worker"), True),
    ("Widget.show_all", lambda a: a.window.show_all(), True),
    ("Widget.hide", lambda a: a.label.hide(), True),
    ("Container.add", lambda a: a.box.add(a.spare), True),
    ("Box.pack_start", lambda a: a.box.pack_start(a.label, True, True, 0), True),
    ("Window.set_title", lambda a: a.window.set_title("worker"), True),
    ("Window.list_toplevels", lambda a: a.gtk.Window.list_toplevels(), True),
    ("Widget.destroy", lambda a: a.label.destroy(), True),
    ("Label.__init__", lambda a: a.gtk.Label(label="worker"), True),
    ("Entry.__init__", lambda a: a.gtk.Entry(), True),
    ("Label.new", lambda a: a.gtk.Label.new("worker"), True),
    ("Label.set_property", lambda a: a.label.set_property("label", "worker"), False),
    ("Gtk.main_quit", lambda a: a.gtk.main_quit(), False),
]


@pytest.mark.parametrize(
    ("operation", "call", "before_312"),
    OPERATIONS,
    ids=[f"{op}-{i}" for i, (op, _, _) in enumerate(OPERATIONS)],
)
def test_each_operation_from_a_worker_is_reported_at_the_workers_line(
    app: App, operation: str, call: Callable[[App], object], before_312: bool
) -> None:
    if not (MONITORING or before_312):
        pytest.skip("seen on Python 3.12+ only (sys.monitoring)")
    with ud.check_threads(mode="raise") as chk:
        exc = in_thread(lambda: call(app))
    assert isinstance(exc, ud.WrongThreadError), exc
    [v] = chk.violations
    assert (v.toolkit, v.operation, v.thread_name) == ("gtk", operation, "gtk-worker")
    assert (v.filename, v.lineno) == (__file__, call.__code__.co_firstlineno)
    assert v.function == "<lambda>"
    assert app.label.get_text() == "start", "raise mode: the call did not happen"
    assert app.label.get_parent() is app.box


def test_widgets_made_after_the_check_started_are_checked_too(gtk: Any) -> None:
    with ud.check_threads(mode="raise") as chk:
        label = gtk.Label(label="x")
        spinner = gtk.Spinner()  # a class PyGObject may make only now
        assert isinstance(in_thread(lambda: label.set_text("y")), ud.WrongThreadError)
        assert isinstance(in_thread(lambda: spinner.start()), ud.WrongThreadError)
    assert [v.operation for v in chk.violations] == ["Label.set_text", "Spinner.start"]
    assert label.get_text() == "x"


def test_the_gtk_thread_itself_is_never_reported(app: App) -> None:
    with ud.check_threads(mode="raise") as chk:
        for _, call, _ in OPERATIONS:
            if call.__code__.co_firstlineno != OPERATIONS[-1][1].__code__.co_firstlineno:
                call(app)  # all but main_quit, which needs a running Gtk.main()
    assert chk.violations == []


def test_warn_mode_lets_the_call_through_and_warns_at_the_workers_line(app: App) -> None:
    def work() -> None:
        app.label.set_text("worker")  # the line the warning names

    with warnings.catch_warnings(record=True) as caught, ud.check_threads("warn") as chk:
        warnings.simplefilter("always")
        assert in_thread(work) is None
    [warning] = [c for c in caught if c.category is ud.WrongThreadWarning]
    assert (warning.filename, warning.lineno) == (__file__, work.__code__.co_firstlineno + 1)
    assert app.label.get_text() == "worker"
    assert len(chk.violations) == 1


def test_stop_restores_pygobject(app: App) -> None:
    if _threadcheck_hub.installed_parts():
        pytest.skip("a session-wide check (--ud-check-threads) keeps the parts installed")
    import gi.types

    before = dict(vars(gi.types.GObjectMeta))
    info_type = type(app.gtk.Label.set_text)
    with ud.check_threads(mode="raise"):
        app.label.set_text("main")
    assert dict(vars(gi.types.GObjectMeta)) == before
    assert type(app.gtk.Label.set_text) is info_type
    assert type(app.gtk.Label.set_text).__name__ == "FunctionInfo"


# ------------------------------------------------------------ our own paths


@pytest.mark.parametrize("path", marshalling.PATHS)
def test_uidispatch_paths_back_to_the_gtk_thread_are_never_reported(
    app: App, pump: Callable[..., bool], path: str
) -> None:
    d = ud.get_dispatcher("gtk", app=app.window)
    try:
        marshalling.assert_never_reported(path, d, set_text=app.label.set_text, pump_until=pump)
    finally:
        d.close()


def test_the_dispatcher_set_up_from_a_worker_is_never_reported(app: App) -> None:
    made: list[ud.Dispatcher | BaseException] = []

    def work() -> None:
        try:
            made.append(ud.get_dispatcher())  # detection asks GTK for its loop and windows
        except BaseException as exc:
            made.append(exc)

    with ud.check_threads(mode="raise") as chk:
        assert in_thread(work) is None
    assert isinstance(made[0], ud.Dispatcher), made
    assert made[0].backend.name == "gtk"
    made[0].close()
    assert chk.violations == []
