"""uidispatch.aio on a real Qt application: run_app and every way a run ends, asyncio and trio.

Every ending runs in one child process (a fresh interpreter shows what only a whole
process shows: warnings at teardown, a SIGINT, an abandoned guest run), one main window
per case on the process's one ``QApplication``; the tests below read its report. Ctrl-C
is a real SIGINT sent to the child.
"""

from __future__ import annotations

import importlib.util
import json
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
from uidispatch.testing import dev_mode_stderr

HAS_TRIO = importlib.util.find_spec("trio") is not None
LIBS = ["asyncio", "trio"] if HAS_TRIO else ["asyncio"]
ENDINGS = [
    "return",
    "raise",
    "raise_keyboard_interrupt",
    "close_request",
    "ctrl_c",
    "quit_in_coroutine",
    "delete_in_callback",
]

CHILD = r"""
import json, os, signal, sys, threading
from uidispatch import aio
from uidispatch_qt._binding import qt_module

QtWidgets, QtCore = qt_module("QtWidgets"), qt_module("QtCore")
app = QtWidgets.QApplication([])
libs = json.loads(sys.argv[1])
endings = json.loads(sys.argv[2])
report = {}

for lib in libs:
    if lib == "trio":
        import trio
        sleep = trio.sleep
    else:
        import asyncio
        sleep = asyncio.sleep
    for ending in endings:
        window = QtWidgets.QWidget()
        label = QtWidgets.QLabel("-", window)
        window.show()
        seen = {"finally_with_window": None, "updates": 0, "on_gui_thread": True}
        gui = QtCore.QThread.currentThread()

        async def main(n):
            try:
                for i in range(n):
                    label.setText(str(i))
                    seen["updates"] += 1
                    seen["on_gui_thread"] &= QtCore.QThread.currentThread() is gui
                    await sleep(0.001)
                if ending == "raise":
                    raise ValueError("boom")
                if ending == "raise_keyboard_interrupt":
                    raise KeyboardInterrupt
                if ending == "close_request":
                    QtCore.QTimer.singleShot(10, window.close)  # the window's close event
                if ending == "quit_in_coroutine":
                    app.quit()
                if ending == "delete_in_callback":
                    QtCore.QTimer.singleShot(10, window.deleteLater)
                if ending == "ctrl_c":
                    threading.Thread(target=os.kill, args=(os.getpid(), signal.SIGINT)).start()
                if ending != "return":
                    await sleep(3600)
                return n
            finally:
                seen["finally_with_window"] = window_visible()

        def window_visible():
            try:
                return bool(window.isVisible())
            except RuntimeError:  # deleted
                return False

        try:
            outcome = ["value", aio.run_app(main, 5, lib=lib)]
        except BaseException as exc:
            outcome = ["raised", type(exc).__name__]
        report[f"{lib}-{ending}"] = {
            "outcome": outcome,
            "window_visible_after": window_visible(),
            "label_text": label.text() if window_visible() else "deleted",
            "sigint_default": signal.getsignal(signal.SIGINT) is signal.default_int_handler,
            "wakeup_fd": signal.set_wakeup_fd(-1),
            **seen,
        }
print(json.dumps(report))
"""

EXPECTED: dict[str, Any] = {
    "return": ["value", 5],
    "raise": ["raised", "ValueError"],
    "raise_keyboard_interrupt": ["raised", "KeyboardInterrupt"],
    "close_request": ["value", None],
    "ctrl_c": ["raised", "KeyboardInterrupt"],
    "quit_in_coroutine": ["value", None],
    "delete_in_callback": ["value", None],
}


def _child_env(runtime: Path) -> dict[str, str]:
    # Without a runtime directory (as on CI machines) Qt prints a notice on stderr, which
    # the empty-stderr checks would take for the run's own output: give it a private one.
    runtime.mkdir(exist_ok=True)
    runtime.chmod(0o700)
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(runtime)}


@pytest.fixture(scope="module")
def child_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    """Run every (lib, ending) in one child process; its report and its stderr."""
    env = _child_env(tmp_path_factory.mktemp("xdg-runtime"))
    proc = subprocess.run(
        [sys.executable, "-X", "dev", "-c", CHILD, json.dumps(LIBS), json.dumps(ENDINGS)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout), proc.stderr


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("ending", ENDINGS)
def test_run_app_ends_as_main_ended(
    child_report: tuple[dict[str, Any], str], lib: str, ending: str
) -> None:
    report, _ = child_report
    case = report[f"{lib}-{ending}"]
    assert case["outcome"] == EXPECTED[ending], case
    assert case["updates"] == 5  # the widget was updated from the coroutine each time
    assert case["on_gui_thread"] is True
    assert case["window_visible_after"] is False  # the window closes once main finished
    assert case["sigint_default"] is True  # Ctrl-C handling is given back
    assert case["wakeup_fd"] == -1  # and no wakeup fd is left behind
    if ending in ("close_request", "quit_in_coroutine"):
        # main was cancelled while its window was still there (it closed afterwards)
        assert case["finally_with_window"] is True
    if ending == "delete_in_callback":
        assert case["finally_with_window"] is False  # the app ended first


def test_no_run_leaves_a_warning_or_an_error_on_stderr(
    child_report: tuple[dict[str, Any], str],
) -> None:
    _, stderr = child_report
    assert dev_mode_stderr(stderr) == ""


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
