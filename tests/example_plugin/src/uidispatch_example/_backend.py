"""The ``example`` backend: the MainThreadDispatcher contract on the toy loop.

The toy loop, like Tk, has no thread-safe entry point, so a worker never calls it: a
post appends to a deque and writes one byte to a pipe the loop watches (Tk's backend
does the same with ``createfilehandler``). The core posts once per *batch*, so a byte
per post costs nothing under load.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable

from .toyloop import Timer, ToyLoop, Widget

__all__ = ["ExampleBackend"]

logger = logging.getLogger("uidispatch.example")


class ExampleBackend:
    """A ``MainThreadDispatcher`` for a :class:`~uidispatch_example.toyloop.ToyLoop`."""

    name = "example"

    def __init__(self, loop: ToyLoop) -> None:
        self.loop = loop
        self._posted: deque[Callable[[], object]] = deque()
        self._read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._read_fd, False)
        os.set_blocking(self._write_fd, False)
        loop.add_reader(self._read_fd, self._run_posted)
        # Held only around the write and the close, never while waiting for the loop: a
        # write racing close() must not land in a reused file descriptor.
        self._lock = threading.Lock()
        self._closed = False

    def is_main_thread(self) -> bool:
        """True on the loop's thread. Any thread."""
        return threading.get_ident() == self.loop.thread

    def post(self, fn: Callable[[], object]) -> None:
        """Run ``fn()`` on the loop's thread in a later turn. Any thread; never waits."""
        with self._lock:
            if self._closed:
                return
            self._posted.append(fn)
            # A full pipe already means a wake-up is on its way.
            with contextlib.suppress(BlockingIOError):
                os.write(self._write_fd, b"\0")

    def _run_posted(self) -> None:
        with contextlib.suppress(BlockingIOError):
            os.read(self._read_fd, 65536)
        # Only what was queued when this turn began: a post made by one of these
        # callbacks wrote its own byte, so it runs in the next turn, after the loop
        # has run its timers.
        for _ in range(len(self._posted)):
            fn = self._posted.popleft()
            try:
                fn()
            except Exception:  # the core never raises here; a stray post must not stop the loop
                logger.exception("posted callback %r raised", fn)

    def call_later(self, delay: float, fn: Callable[[], object]) -> Timer:
        """The loop's own timer. Main thread only; after :meth:`close` it never fires."""

        def fire() -> None:
            if not self._closed:  # close() may come from any thread: check at fire time
                fn()

        return self.loop.after(delay, fire)

    def is_alive(self, obj: object) -> bool:
        """A destroyed widget or a closed loop is dead; anything else is alive."""
        if isinstance(obj, Widget):
            return not obj.destroyed
        if isinstance(obj, ToyLoop):
            return not obj.closed
        return True

    def process_events(self, timeout: float) -> None:
        """Run loop turns until something ran or ``timeout`` passed. Main thread only."""
        deadline = time.monotonic() + timeout
        while not self.loop.closed:
            remaining = deadline - time.monotonic()
            if self.loop.run_once(max(0.0, remaining)) or remaining <= 0:
                return

    def on_app_closed(self, fn: Callable[[], object]) -> None:
        """Closing the loop closes the dispatcher."""
        self.loop.on_close(fn)

    def close(self) -> None:
        """Stop watching the pipe and close it; idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._posted.clear()
            if not self.loop.closed:
                self.loop.remove_reader(self._read_fd)
            os.close(self._read_fd)
            os.close(self._write_fd)
