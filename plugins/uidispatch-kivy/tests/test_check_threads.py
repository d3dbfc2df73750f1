"""The Kivy part of the wrong-thread checker, on Kivy's real widgets and Clock.

Every listed operation made from a worker is reported at the worker's own line; every
path uidispatch offers for getting back to the Kivy thread is never reported.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from kivy.graphics import Color, InstructionGroup, Rectangle
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

import uidispatch as ud
from uidispatch._addons import _threadcheck_hub
from uidispatch.testing import marshalling, wait_until

# These tests make wrong-thread calls on purpose, each under its own check: a
# session-wide check (--ud-check-threads) records them instead of failing them.
pytestmark = pytest.mark.allow_wrong_thread

MONITORING = sys.version_info >= (3, 12)
needs_monitoring = pytest.mark.skipif(
    not MONITORING, reason="graphics instructions are seen through sys.monitoring (3.12+)"
)


@dataclass
class App:
    root: Widget
    child: Widget  # in root
    loose: Widget  # in no parent
    box: BoxLayout
    label: Label
    group: InstructionGroup
    color: Color


def make_app() -> App:
    root, child = Widget(), Widget()
    root.add_widget(child)
    return App(root, child, Widget(), BoxLayout(), Label(text="start"), InstructionGroup(), Color())


@pytest.fixture
def app() -> App:
    """Widgets made on the Kivy thread before any check starts (the usual case)."""
    return make_app()


def in_thread(fn: Callable[[], object]) -> BaseException | None:
    raised: list[BaseException] = []

    def run() -> None:
        try:
            fn()
        except BaseException as exc:
            raised.append(exc)

    thread = threading.Thread(target=run, name="kivy-worker")
    thread.start()
    thread.join(10)
    assert not thread.is_alive()
    return raised[0] if raised else None


def unchanged(app: App) -> bool:
    return (
        app.label.text == "start"
        and app.root.children == [app.child]
        and app.loose.parent is None
        and app.box.children == []
        and app.root.x == 0
        and app.group.length() == 0
    )


# Each operation on its own line: the report must name exactly that line.
OPERATIONS: list[Any] = [
    ("Label.text (set)", lambda a: setattr(a.label, "text", "worker")),
    ("Label.text (set)", lambda a: a.label.__setattr__("text", "worker")),
    ("Widget.x (set)", lambda a: setattr(a.root, "x", 5)),
    ("Widget.pos (set)", lambda a: setattr(a.root, "pos", (5, 5))),
    ("Widget.add_widget", lambda a: a.root.add_widget(a.loose)),
    ("BoxLayout.add_widget", lambda a: a.box.add_widget(a.loose)),
    ("Widget.remove_widget", lambda a: a.root.remove_widget(a.child)),
    ("Widget.clear_widgets", lambda a: a.root.clear_widgets()),
    ("Widget.__init__", lambda a: Widget()),
    ("Label.__init__", lambda a: Label(text="worker")),
    pytest.param("Color()", lambda a: Color(1, 0, 0), marks=needs_monitoring),
    pytest.param("Rectangle()", lambda a: Rectangle(), marks=needs_monitoring),
    pytest.param("Canvas.add", lambda a: a.root.canvas.add(a.group), marks=needs_monitoring),
    pytest.param("Canvas.clear", lambda a: a.root.canvas.clear(), marks=needs_monitoring),
    pytest.param("InstructionGroup.add", lambda a: a.group.add(a.color), marks=needs_monitoring),
]


def _values(param: Any) -> tuple[str, Callable[[App], object]]:
    return param.values if hasattr(param, "values") else param  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("operation", "call"),
    OPERATIONS,
    ids=[f"{_values(p)[0]}-{i}" for i, p in enumerate(OPERATIONS)],
)
def test_each_operation_from_a_worker_is_reported_at_the_workers_line(
    app: App, operation: str, call: Callable[[App], object]
) -> None:
    with ud.check_threads(mode="raise") as chk:
        exc = in_thread(lambda: call(app))
    assert isinstance(exc, ud.WrongThreadError), exc
    [v] = chk.violations
    assert (v.toolkit, v.operation, v.thread_name) == ("kivy", operation, "kivy-worker")
    assert (v.filename, v.lineno) == (__file__, call.__code__.co_firstlineno)
    assert v.function == "<lambda>"
    assert unchanged(app), "raise mode: the call did not happen, not even in part"


def _draw(widget: Widget) -> None:
    with widget.canvas:
        Color(1, 0, 0)  # the line the report names


@needs_monitoring
def test_an_instruction_made_in_a_canvas_context_is_reported_at_its_line(app: App) -> None:
    with ud.check_threads(mode="raise") as chk:
        exc = in_thread(lambda: _draw(app.root))
    assert isinstance(exc, ud.WrongThreadError), exc
    [v] = chk.violations
    assert (v.operation, v.lineno) == ("Color()", _draw.__code__.co_firstlineno + 2)


def test_the_kivy_thread_itself_is_never_reported() -> None:
    with ud.check_threads(mode="raise") as chk:
        for param in OPERATIONS:
            _values(param)[1](make_app())
        _draw(Widget())
    assert chk.violations == []


def test_attributes_that_are_not_kivy_properties_are_not_reported(app: App) -> None:
    with ud.check_threads(mode="raise") as chk:
        assert in_thread(lambda: setattr(app.label, "cache", 1)) is None
    assert chk.violations == []
    assert app.label.cache == 1  # type: ignore[attr-defined]


def test_record_mode_lets_the_set_through_and_records_it_once(app: App) -> None:
    def work() -> None:
        for _ in range(3):
            app.label.text = "worker"  # the line the record names

    with ud.check_threads(mode="record") as chk:
        assert in_thread(work) is None
    [v] = chk.violations
    assert (v.operation, v.lineno) == ("Label.text (set)", work.__code__.co_firstlineno + 2)
    assert app.label.text == "worker"


def test_stop_restores_kivy(app: App) -> None:
    if _threadcheck_hub.installed_parts():
        pytest.skip("a session-wide check (--ud-check-threads) keeps the parts installed")
    before = dict(Widget.__dict__)
    with ud.check_threads(mode="raise"):
        assert "__setattr__" in Widget.__dict__
    assert dict(Widget.__dict__) == before
    assert in_thread(lambda: setattr(app.label, "text", "worker")) is None
    assert app.label.text == "worker"


# ------------------------------------------------------------ our own paths


def _set(app: App) -> Callable[[str], object]:
    def set_text(value: str) -> None:
        app.label.text = value
        if value == "x":
            app.root.add_widget(app.loose)
            app.group.add(Color(1, 0, 0))

    return set_text


@pytest.mark.parametrize("path", marshalling.PATHS)
def test_uidispatch_paths_back_to_the_kivy_thread_are_never_reported(
    app: App, dispatcher: ud.Dispatcher, path: str
) -> None:
    def pump_until(until: Callable[[], bool]) -> bool:
        wait_until(dispatcher, until, what="the marshalled call")
        return True

    marshalling.assert_never_reported(path, dispatcher, set_text=_set(app), pump_until=pump_until)
