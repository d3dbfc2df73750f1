"""The Qt part of the wrong-thread checker, offscreen with pytest-qt's application.

Widget methods and constructors from a worker are reported at the worker's line (3.12+:
``sys.monitoring``; before: methods with the opt-in profile hook); Qt's own thread
warnings are mapped to the Python line on any Python; uidispatch's paths back to the GUI
thread are never reported.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any

import pytest
from conftest import WAIT, QtWidgets
from pytestqt.qtbot import QtBot
from uidispatch_qt._binding import QtCore, qt_module

import uidispatch as ud
from uidispatch._addons import _threadcheck_hub
from uidispatch.testing import marshalling

# These tests make wrong-thread calls on purpose, each under its own check: a
# session-wide check (--ud-check-threads) records them instead of failing them.
pytestmark = pytest.mark.allow_wrong_thread

QtGui = qt_module("QtGui")
MONITORING = sys.version_info >= (3, 12)


class MyWidget(QtWidgets.QWidget):  # type: ignore[misc,name-defined]
    """An app's own widget class: constructing it off the GUI thread is reported too."""


def in_thread(fn: Callable[[], object]) -> BaseException | None:
    raised: list[BaseException] = []

    def run() -> None:
        try:
            fn()
        except BaseException as exc:
            raised.append(exc)

    thread = threading.Thread(target=run, name="qt-worker")
    thread.start()
    thread.join(WAIT)
    assert not thread.is_alive()
    return raised[0] if raised else None


@pytest.fixture
def alone() -> None:
    """Skip under a session-wide check: it keeps its own installation of the Qt part."""
    if _threadcheck_hub.installed_parts():
        pytest.skip("a session-wide check (--ud-check-threads) is installed")


@pytest.fixture
def label(qapp: Any) -> Any:
    widget = QtWidgets.QLabel("start")
    yield widget
    widget.deleteLater()


# Each operation on its own line: the report must name exactly that line.
METHODS: list[tuple[str, Callable[[Any], object]]] = [
    ("QLabel.setText", lambda w: w.setText("worker")),
    ("QLabel.text", lambda w: w.text()),
    ("QLabel.resize", lambda w: w.resize(10, 10)),
    ("QLabel.setEnabled", lambda w: w.setEnabled(False)),
    ("QLabel.update", lambda w: w.update()),
]
CONSTRUCTORS: list[tuple[str, Callable[[Any], object]]] = [
    ("QLabel()", lambda w: QtWidgets.QLabel("made on a worker")),
    ("MyWidget()", lambda w: MyWidget()),
    ("QPixmap()", lambda w: QtGui.QPixmap(4, 4)),
]


@pytest.mark.parametrize(
    ("operation", "call"), METHODS + CONSTRUCTORS, ids=[op for op, _ in METHODS + CONSTRUCTORS]
)
def test_widget_calls_from_a_worker_are_reported_at_the_workers_line(
    label: Any, operation: str, call: Callable[[Any], object]
) -> None:
    if not MONITORING and (operation, call) in CONSTRUCTORS:
        pytest.skip("before 3.12 constructors are seen only through Qt's own warnings")
    with ud.check_threads(mode="raise", profile_threads=True) as chk:
        exc = in_thread(lambda: call(label))
    assert isinstance(exc, ud.WrongThreadError), exc
    [v] = chk.violations
    assert (v.toolkit, v.operation, v.thread_name) == ("qt", operation, "qt-worker")
    assert (v.filename, v.lineno) == (__file__, call.__code__.co_firstlineno)
    # raise mode: the call did not happen
    assert label.text() == "start"
    assert label.isEnabled()


@pytest.mark.skipif(MONITORING, reason="3.12+ watches every thread without the profile hook")
def test_without_the_profile_hook_widget_methods_are_not_watched_before_312(
    label: Any, alone: None
) -> None:
    with ud.check_threads(mode="record") as chk:
        assert in_thread(lambda: label.text()) is None
    assert chk.violations == []


def test_the_gui_thread_itself_is_never_reported(label: Any) -> None:
    with ud.check_threads(mode="raise") as chk:
        for _, call in METHODS + CONSTRUCTORS:
            call(label)
    assert chk.violations == []


def test_qt_thread_warnings_are_reported_at_the_python_line(qapp: Any, alone: None) -> None:
    parent = QtCore.QObject()
    made: list[Any] = []

    def work() -> None:
        made.append(QtCore.QObject(parent))  # Qt: cannot create children ... different thread

    with ud.check_threads(mode="record") as chk:
        assert in_thread(work) is None
    [v] = chk.violations
    assert v.operation.startswith("Qt warning: QObject: Cannot create children")
    assert (v.filename, v.lineno) == (__file__, work.__code__.co_firstlineno + 1)
    assert v.function == "work"


def test_stop_restores_the_message_handler(qapp: Any) -> None:
    seen: list[str] = []
    previous = QtCore.qInstallMessageHandler(lambda mode, context, message: seen.append(message))
    try:
        with ud.check_threads(mode="record"):
            QtCore.qWarning("while checking")
        QtCore.qWarning("after")
    finally:
        QtCore.qInstallMessageHandler(previous)
    assert seen == ["while checking", "after"]


# ------------------------------------------------------------ our own paths


@pytest.mark.parametrize("path", marshalling.PATHS)
def test_uidispatch_paths_back_to_the_gui_thread_are_never_reported(
    label: Any, qt_dispatcher: ud.Dispatcher, qtbot: QtBot, path: str
) -> None:
    def pump_until(until: Callable[[], bool]) -> bool:
        qtbot.waitUntil(until, timeout=int(WAIT * 1000))
        return True

    marshalling.assert_never_reported(
        path, qt_dispatcher, set_text=label.setText, pump_until=pump_until, profile_threads=True
    )
