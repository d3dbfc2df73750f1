"""A window closed while a pool task runs: its widgets are deleted on the GUI thread.

The task's function or arguments name the window (a bound method of it, the widget itself).
Once the app let go of the window, the pool's thread that ends the task held the last
reference: the window was deleted on that thread, which Qt forbids ("QObject::~QObject:
Timers cannot be stopped from another thread", on every run before the fix). The library's
threads now hand such objects over to the GUI thread.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import gc, os, sys, threading, time
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from uidispatch_qt._binding import qt_module
    import uidispatch as ud

    QtWidgets, QtCore = qt_module("QtWidgets"), qt_module("QtCore")
    SHAPE = sys.argv[1]
    started, finish = threading.Event(), threading.Event()
    app = QtWidgets.QApplication([])
    d = ud.get_dispatcher("qt", app=app)


    class Window(QtWidgets.QWidget):
        def __init__(self):
            super().__init__()
            self.label = QtWidgets.QLabel("waiting", self)
            self.timer = QtCore.QTimer(self)  # a child Qt must stop on its own thread
            self.timer.start(1000)

        def work(self, *args):
            started.set()
            finish.wait(10)
            return 42


    def plain(*args):
        started.set()
        finish.wait(10)
        return 1


    pool = ud.Pool(max_workers=1, dispatcher=d)


    deleted_on = []


    def main():
        window = Window()
        window.destroyed.connect(lambda *_: deleted_on.append(threading.current_thread().name))
        window.show()
        if SHAPE == "bound method":
            pool.submit(window.work)  # fire and forget
        else:
            pool.submit(plain, window)
        assert started.wait(10)
        window.close()  # and the app lets go of it as main() returns


    main()
    gc.collect()
    finish.set()
    deadline = time.monotonic() + 20
    while not deleted_on and time.monotonic() < deadline:
        app.processEvents()  # the hand-over asked the GUI thread for a release
        time.sleep(0.01)
    assert deleted_on == ["MainThread"], deleted_on
    pool.shutdown(wait=True)
    print("exited cleanly")
    """
)


@pytest.mark.parametrize("shape", ["bound method", "widget argument"])
def test_closing_the_window_mid_task_deletes_it_on_the_gui_thread(shape: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, shape], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == "exited cleanly"
    assert "another thread" not in proc.stderr, proc.stderr[-3000:]
