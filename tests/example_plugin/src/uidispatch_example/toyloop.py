"""A toy "toolkit": a single-threaded event loop with timers and file handlers.

It stands in for a real GUI toolkit in the backend author's guide, and has the same
shape as one: every method must be called on the thread that created the loop (like Tk,
it has no thread-safe way in), timers are armed with ``after``, file descriptors are
watched with ``add_reader`` (like Tk's ``createfilehandler``), and closing the loop (the
app going away) calls the ``on_close`` callbacks.
"""

from __future__ import annotations

import heapq
import itertools
import selectors
import threading
import time
from collections.abc import Callable

__all__ = ["ToyLoop", "Widget"]


class Timer:
    """A pending ``ToyLoop.after`` call; ``cancel()`` on the loop's thread."""

    __slots__ = ("cancelled", "fn", "when")

    def __init__(self, when: float, fn: Callable[[], object]) -> None:
        self.when = when
        self.fn = fn
        self.cancelled = False

    def cancel(self) -> None:
        """Stop the call if it has not run; idempotent."""
        self.cancelled = True


class ToyLoop:
    """The toolkit's main loop (its "app"): create it on the thread that will run it."""

    _current: ToyLoop | None = None

    def __init__(self) -> None:
        self.thread = threading.get_ident()
        self.closed = False
        self.running = False
        self._stopping = False
        self._selector = selectors.DefaultSelector()
        self._timers: list[tuple[float, int, Timer]] = []
        self._seq = itertools.count()
        self._on_close: list[Callable[[], object]] = []
        ToyLoop._current = self

    @classmethod
    def current(cls) -> ToyLoop | None:
        """The most recently created loop, unless it was closed."""
        loop = cls._current
        return loop if loop is not None and not loop.closed else None

    def after(self, delay: float, fn: Callable[[], object]) -> Timer:
        """Run ``fn()`` after ``delay`` seconds."""
        timer = Timer(time.monotonic() + delay, fn)
        heapq.heappush(self._timers, (timer.when, next(self._seq), timer))
        return timer

    def add_reader(self, fd: int, fn: Callable[[], object]) -> None:
        """Run ``fn()`` whenever ``fd`` is readable."""
        self._selector.register(fd, selectors.EVENT_READ, fn)

    def remove_reader(self, fd: int) -> None:
        """Stop watching ``fd``."""
        self._selector.unregister(fd)

    def run_once(self, timeout: float) -> int:
        """Wait up to ``timeout`` seconds for a readable fd or a due timer; run them.

        Returns how many callbacks ran.
        """
        if self._timers:
            timeout = min(timeout, max(0.0, self._timers[0][0] - time.monotonic()))
        ran = 0
        for key, _ in self._selector.select(max(0.0, timeout)):
            key.data()
            ran += 1
        now = time.monotonic()
        while self._timers and self._timers[0][0] <= now:
            _, _, timer = heapq.heappop(self._timers)
            if not timer.cancelled:
                timer.fn()
                ran += 1
        return ran

    def run(self) -> None:
        """Run until :meth:`close` or :meth:`stop`."""
        self.running = True
        self._stopping = False
        try:
            while not self.closed and not self._stopping:
                self.run_once(3600.0)
        finally:
            self.running = False

    def stop(self) -> None:
        """Make :meth:`run` return after the current callback (like Tk's ``quit``)."""
        self._stopping = True

    def on_close(self, fn: Callable[[], object]) -> None:
        """Call ``fn()`` when the loop closes."""
        self._on_close.append(fn)

    def close(self) -> None:
        """Close the loop (the app goes away); idempotent."""
        if self.closed:
            return
        self.closed = True
        callbacks, self._on_close = self._on_close, []
        for fn in callbacks:
            fn()
        self._timers.clear()
        self._selector.close()


class Widget:
    """A toy widget: usable until destroyed."""

    def __init__(self, loop: ToyLoop) -> None:
        self.loop = loop
        self.destroyed = False

    def destroy(self) -> None:
        """Destroy the widget."""
        self.destroyed = True
