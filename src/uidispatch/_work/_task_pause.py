"""Pausing a task's work: ``pause``, ``resume`` and the pause points that wait.

The bodies of :class:`~uidispatch.Task`'s ``pause()`` and ``resume()`` (documented on
the class), and ``pause_point``, bound in the class body as ``Task._pause_point``: the
work's own calls (``yield``, ``report_progress``, ``emit``, ``check_cancelled``) wait
there while the task is paused.
"""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING, Any

from ._context import _current

if TYPE_CHECKING:
    from ._task import Task

__all__ = ["pause", "pause_point", "resume"]


def pause(self: Task[Any]) -> bool:
    """Mark the task paused; False (nothing done) when it had already finished."""
    with self._lock:
        if self._resolved:
            return False
        if self._unpaused is None:
            self._unpaused = threading.Event()
        self._unpaused.clear()
        self._paused = True
    return True


def resume(self: Task[Any]) -> None:
    """Let paused work go on: wake its thread and any paused coroutine."""
    with self._lock:
        if not self._paused:
            return
        self._paused = False
        unpaused, wakers, self._pause_wakers = self._unpaused, self._pause_wakers, []
    if unpaused is not None:
        unpaused.set()
    for wake in wakers:
        wake()


def pause_point(self: Task[Any]) -> None:
    """Wait here while the task is paused: in its own thread only, never on a loop."""
    if _current.get() is not self or asyncio._get_running_loop() is not None:
        return
    event = self._unpaused
    while self._paused and event is not None:
        event.wait()
