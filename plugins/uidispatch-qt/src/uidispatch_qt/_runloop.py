"""``run_loop``: the Qt event loop an app runs (``app.exec()``), for the conformance suite."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

__all__ = ["run_loop"]


def run_loop(backend: Any, until: Callable[[], object], timeout: float) -> None:
    """Run ``app.exec()`` until ``until()`` holds or ``timeout`` passed. GUI thread.

    ``until`` is checked every 5 ms by a ``QTimer`` of its own, which then calls
    ``app.quit()``.
    """
    from ._binding import QtCore

    app = backend.app
    if app is None:
        return
    deadline = time.monotonic() + timeout
    timer = QtCore.QTimer()

    def check() -> None:
        if until() or time.monotonic() >= deadline:
            timer.stop()
            app.quit()

    timer.timeout.connect(check)
    timer.start(5)
    try:
        # PyQt5 spells it exec_
        (app.exec if hasattr(app, "exec") else app.exec_)()
    finally:
        timer.stop()
