"""The host side of a guest run: how a guest loop's steps reach the UI thread.

A guest loop (asyncio's or trio's) hands its next step to :meth:`Host.post` from any
thread. The steps wait in a FIFO of our own and one dispatcher entry per batch runs them
on the UI thread. The FIFO is ours, not only the dispatcher's queue, because a step must
never be lost: trio hands each I/O result over exactly once, and a dispatcher that closed
(the root window destroyed) drops what it holds. Once the dispatcher is closed the steps
are run by :meth:`Host.pump` on the UI thread instead, so the run can still finish
cleanly.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from .._core._errors import DispatcherClosed

if TYPE_CHECKING:
    from .._core._dispatcher import Dispatcher

__all__ = ["Host"]


class Host:
    """Runs a guest loop's steps on the UI thread of ``dispatcher``, in order."""

    def __init__(self, dispatcher: Dispatcher, *, reentrant: bool = True) -> None:
        self.dispatcher = dispatcher
        self.reentrant = reentrant
        """False: a step never runs inside another (trio's ticks); a nested toolkit loop
        leaves them for the end of the step it interrupted."""
        self._cond = threading.Condition(threading.Lock())
        self._steps: deque[Callable[[], object]] = deque()
        self._scheduled = False
        self.closed = False
        """True once the dispatcher refused a batch or :meth:`close` was called."""
        self.depth = 0
        """How many steps of ours are running now on the UI thread (nested loops: > 1)."""
        self.after_step: Callable[[], object] | None = None
        """Called on the UI thread each time no step of ours is running any more."""

    def is_ui_thread(self) -> bool:
        """True on the dispatcher's main (UI) thread."""
        return self.dispatcher.is_main_thread()

    def post(self, fn: Callable[[], object]) -> None:
        """Run ``fn()`` on the UI thread soon, after the steps posted before it. Any thread."""
        with self._cond:
            self._steps.append(fn)
            if self.closed:
                self._cond.notify_all()
                return
            if self._scheduled:
                return
            self._scheduled = True
        try:
            self.dispatcher.call_soon(self._run_batch)
        except DispatcherClosed:
            self.close()

    def close(self) -> None:
        """From now on steps wait for :meth:`pump`; the dispatcher is gone. Any thread."""
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def _run_batch(self) -> None:
        with self._cond:
            self._scheduled = False
            count = len(self._steps)
        if self.depth and not self.reentrant:
            return  # the interrupted step re-schedules what is left when it returns
        self._run(count)

    def _run(self, count: int) -> None:
        steps = self._steps
        self.depth += 1
        try:
            for _ in range(count):
                try:
                    fn = steps.popleft()
                except IndexError:  # a nested loop ran them already
                    break
                fn()
        finally:
            self.depth -= 1
            after = self.after_step if not self.depth else None
            if steps and not self.closed:
                # A step raised (KeyboardInterrupt): the rest runs on a later turn.
                with self._cond:
                    again = not self._scheduled
                    self._scheduled = True
                if again:
                    try:
                        self.dispatcher.call_soon(self._run_batch)
                    except DispatcherClosed:
                        self.close()
            if after is not None:
                after()

    def pump(self, until: Callable[[], bool], timeout: float) -> bool:
        """Run steps here until ``until()`` holds or ``timeout`` seconds passed. UI thread.

        For a closed dispatcher: the steps are no longer run by it. Returns ``until()``.
        """
        deadline = time.monotonic() + timeout
        while not until():
            with self._cond:
                if not self._steps:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(remaining)
                count = len(self._steps)
            self._run(count)
        return until()
