"""``run_loop``: the Qt event loop an app runs, for the conformance suite."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

__all__ = ["run_loop"]


def run_loop(backend: Any, until: Callable[[], object], timeout: float) -> None:
    """Run Qt's event loop until ``until()`` holds or ``timeout`` passed. GUI thread.

    ``until`` is checked every 5 ms by a ``QTimer`` of its own, which then quits the loop.
    The loop is a ``QEventLoop`` on the application's thread: the same event dispatcher
    ``app.exec()`` runs (posted events, timers, sockets), entered and left as often as a
    check needs. Not ``app.exec()`` and ``app.quit()`` themselves: leaving ``exec()``
    emits ``aboutToQuit``, which is the app ending, so the dispatcher closed after the
    first run and every later post was dropped.
    """
    from ._binding import QtCore

    app = backend.app
    if app is None:
        return
    deadline = time.monotonic() + timeout
    loop = QtCore.QEventLoop()
    timer = QtCore.QTimer()

    def check() -> None:
        if until() or time.monotonic() >= deadline:
            timer.stop()
            loop.quit()

    timer.timeout.connect(check)
    timer.start(5)
    try:
        # PyQt5 spells it exec_
        (loop.exec if hasattr(loop, "exec") else loop.exec_)()
    finally:
        timer.stop()
