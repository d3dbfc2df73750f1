"""``run_loop``: Kivy's frame loop as ``EventLoop.run()`` runs it, for the conformance suite."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

__all__ = ["run_loop"]


def run_loop(backend: Any, until: Callable[[], object], timeout: float) -> None:
    """Run Kivy frames until ``until()`` holds or ``timeout`` passed. Kivy thread.

    A frame is what ``EventLoop.run()`` runs: ``EventLoop.idle()`` (Clock tick, input,
    ``tick_draw``, paint) while an event loop with a window is started, else the Clock's
    own ``tick()`` then ``tick_draw()`` (a Kivy app without a window). ``until`` is
    checked by a ``Clock.schedule_interval`` event of its own, as an app's code would be.
    """
    from kivy.base import EventLoop  # type: ignore[import-untyped]
    from kivy.clock import Clock  # type: ignore[import-untyped]

    deadline = time.monotonic() + timeout
    done = [False]

    def check(dt: float) -> bool:
        if until() or time.monotonic() >= deadline:
            done[0] = True
            return False
        return True

    event = Clock.schedule_interval(check, 0)
    try:
        while not done[0]:
            if EventLoop.status == "started" and EventLoop.window is not None:
                EventLoop.idle()
            else:
                Clock.tick()
                Clock.tick_draw()
    finally:
        event.cancel()
