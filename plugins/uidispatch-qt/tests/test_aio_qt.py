"""uidispatch.aio on a real Qt application: run_app and every way a run ends, asyncio and trio.

Every ending runs in one child process (``uidispatch.testing.aio_endings``: a fresh
interpreter shows what only a whole process shows: warnings at teardown, a SIGINT, an
abandoned guest run), one main window per case on the process's one ``QApplication``;
the tests below read its report. Ctrl-C is a real SIGINT sent to the child.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import WAIT, QtWidgets
from uidispatch_qt._binding import QtCore, delete

import uidispatch as ud
from uidispatch import aio
from uidispatch.testing import aio_endings, dev_mode_stderr

LIBS = aio_endings.LIBS
# The shared endings, and the app quitting from the coroutine (QApplication.quit()).
ENDINGS = [*aio_endings.ENDINGS, "quit_in_coroutine"]
EXPECTED = {
    **aio_endings.EXPECTED,
    # main is cancelled while its window is still there (it closed afterwards)
    "quit_in_coroutine": aio_endings.Expected(("value", None), finally_with_window=True),
}

QT_WINDOW = """
from uidispatch_qt._binding import qt_module

QtWidgets, QtCore = qt_module("QtWidgets"), qt_module("QtCore")
qapp = QtWidgets.QApplication([])


class Window(EndingWindow):
    def __init__(self):
        self.window = QtWidgets.QWidget()
        self.label = QtWidgets.QLabel("-", self.window)
        self.window.show()

    def set_text(self, text):
        self.label.setText(text)

    def request_close(self):
        self.window.close()  # the window's close event, as the window manager sends it

    def destroy(self):
        self.window.deleteLater()

    def alive(self):
        try:
            return bool(self.window.isVisible())
        except RuntimeError:  # deleted
            return False

    def later(self, ms, fn):
        QtCore.QTimer.singleShot(ms, fn)

    def end_quit_in_coroutine(self):
        qapp.quit()
"""
"""One main window with a label per case, on the process's one ``QApplication``."""


def _child_env(runtime: Path) -> dict[str, str]:
    # Without a runtime directory (as on CI machines) Qt prints a notice on stderr, which
    # the empty-stderr checks would take for the run's own output: give it a private one.
    runtime.mkdir(exist_ok=True)
    runtime.chmod(0o700)
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(runtime)}


@pytest.fixture(scope="module")
def endings_report(tmp_path_factory: pytest.TempPathFactory) -> aio_endings.EndingsReport:
    """Every (lib, ending) in one child process, one main window per case."""
    env = _child_env(tmp_path_factory.mktemp("xdg-runtime"))
    return aio_endings.run_endings(QT_WINDOW, endings=ENDINGS, env=env)


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("ending", ENDINGS)
def test_run_app_ends_as_main_ended(
    endings_report: aio_endings.EndingsReport, lib: str, ending: str
) -> None:
    aio_endings.assert_ended_as_expected(endings_report, lib, ending, EXPECTED)


def test_no_run_leaves_a_warning_or_an_error_on_stderr(
    endings_report: aio_endings.EndingsReport,
) -> None:
    aio_endings.assert_quiet_stderr(endings_report)


# ------------------------------------------------------------------ in process


class _Window(QtWidgets.QWidget):  # type: ignore[misc]
    """A main window whose own ``closeEvent`` records that it ran."""

    def __init__(self) -> None:
        super().__init__()
        self.own: list[str] = []

    def closeEvent(self, event: QtCore.QEvent) -> None:
        self.own.append("app's own")
        event.accept()


@pytest.fixture
def window(qapp: Any) -> Any:
    """A shown main window, deleted after the test."""
    w = _Window()
    w.show()
    yield w
    w.hide()  # a visible window left behind would be another main window
    delete(w)


def test_close_request_can_be_vetoed_and_restored(
    qt_dispatcher: ud.Dispatcher, window: Any
) -> None:
    backend: Any = qt_dispatcher.backend
    asked: list[int] = []
    backend.on_close_requested(lambda: asked.append(1) or False)
    assert window.close() is False  # vetoed: the event was ignored
    assert asked == [1]
    assert window.isVisible()
    assert window.own == []  # the widget never saw the vetoed event
    backend.on_close_requested(lambda: None)  # None is no veto: the widget decides
    assert window.close() is True
    assert asked == [1]
    assert window.own == ["app's own"]
    window.show()
    backend.on_close_requested(None)
    assert window.close() is True
    assert window.own == ["app's own", "app's own"]


def test_only_the_last_main_window_asks(qt_dispatcher: ud.Dispatcher, window: Any) -> None:
    backend: Any = qt_dispatcher.backend
    other = QtWidgets.QWidget()
    other.show()
    dialog = QtWidgets.QDialog(window)  # a window with a parent: closing it ends nothing
    dialog.show()
    asked: list[str] = []
    try:
        backend.on_close_requested(lambda: asked.append("asked") or False)
        assert dialog.close() is True
        assert other.close() is True  # another main window is still visible
        assert asked == []
        assert window.close() is False  # the last one
        assert asked == ["asked"]
        assert window.isVisible()
    finally:
        backend.on_close_requested(None)
        other.hide()
        delete(other)


def test_a_close_before_the_loop_ends_the_next_loop_at_once(
    qt_dispatcher: ud.Dispatcher, window: Any, qapp: Any
) -> None:
    """main may finish before ``exec()`` starts; Qt's ``exit()`` alone would do nothing then."""
    backend: Any = qt_dispatcher.backend
    backend.close_app()
    assert not window.isVisible()
    assert window.own == ["app's own"]  # closed as a granted request: its closeEvent ran
    safety = QtCore.QTimer()  # a broken run_main_loop fails the test instead of hanging it
    safety.setSingleShot(True)
    safety.timeout.connect(qapp.exit)
    safety.start(int(WAIT * 1000))
    try:
        backend.run_main_loop()
    finally:
        safety.stop()
    assert not qt_dispatcher.closed  # exec() never ran: aboutToQuit was not emitted


@pytest.mark.parametrize("lib", LIBS)
def test_await_a_worker_and_update_a_widget_on_the_gui_thread(
    qt_dispatcher: ud.Dispatcher, window: Any, qtbot: Any, lib: str
) -> None:
    label = QtWidgets.QLabel("-", window)
    gui = QtCore.QThread.currentThread()
    threads: list[bool] = []

    def work(n: int) -> int:
        threads.append(QtCore.QThread.currentThread() is gui)
        return n * 2

    async def in_worker(n: int) -> int:
        if lib == "trio":
            import trio

            return await trio.to_thread.run_sync(work, n)
        return await ud.submit(work, n)  # type: ignore[no-any-return]

    async def main() -> str:
        label.setText("loading")
        value = await in_worker(21)  # a worker thread; resumes on the GUI thread
        threads.append(QtCore.QThread.currentThread() is gui)
        label.setText(str(value))
        return label.text()

    run = aio.start(main, lib=lib, dispatcher=qt_dispatcher)
    qtbot.waitUntil(lambda: run.done, timeout=int(WAIT * 1000))
    assert run.result() == "42"
    assert threads == [False, True]
    assert label.text() == "42"


@pytest.mark.parametrize("lib", LIBS)
def test_a_handler_runs_its_coroutine_on_the_gui_thread(
    qt_dispatcher: ud.Dispatcher, window: Any, qtbot: Any, lib: str
) -> None:
    d = qt_dispatcher
    sleep: Callable[[float], Any] = __import__(lib).sleep
    clicks: list[bool] = []
    stop = [False]

    @aio.handler
    async def on_click() -> None:
        await sleep(0)
        clicks.append(window.isVisible())
        raise ValueError("click")

    button = QtWidgets.QPushButton("go", window)
    button.clicked.connect(lambda *_: on_click())

    async def main() -> None:
        while not stop[0]:
            await sleep(0.005)

    run = aio.start(main, lib=lib, dispatcher=d)
    errors = d.stats().errors
    button.click()
    qtbot.waitUntil(lambda: d.stats().errors == errors + 1, timeout=int(WAIT * 1000))
    assert clicks == [True]
    (exc,) = d.error_handler.take()  # type: ignore[attr-defined]
    assert str(exc) == "click"
    stop[0] = True
    qtbot.waitUntil(lambda: run.done, timeout=int(WAIT * 1000))
    run.result()


@pytest.mark.skipif(QtCore.__name__ != "PySide6.QtCore", reason="the guide's example uses PySide6")
def test_the_guides_qt_example_runs(tmp_path: Path) -> None:
    """The Qt app of docs/guide/async-await.md runs and prints main's value."""
    guide = Path(__file__).parents[3] / "docs" / "guide" / "async-await.md"
    (example,) = [
        block.split("```")[0]
        for block in guide.read_text().split("```python\n")[1:]
        if "QApplication" in block.split("```")[0]
    ]
    proc = subprocess.run(
        [sys.executable, "-X", "dev", "-c", example],
        capture_output=True,
        text=True,
        timeout=60,
        env=_child_env(tmp_path / "xdg-runtime"),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == str(sum(range(100_000)))
    assert dev_mode_stderr(proc.stderr) == ""
