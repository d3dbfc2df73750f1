"""One timer thread per pool, for task timeouts, retry backoff and the end of a cooldown."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

from ._options import MAX_SECONDS, thread_wait_max

__all__ = ["TimerHandle", "TimerThread"]

logger = logging.getLogger("uidispatch")


class TimerHandle:
    """A scheduled call; :meth:`cancel` from any thread."""

    __slots__ = ("cancelled", "fn", "when")

    def __init__(self, when: float, fn: Callable[[], object]) -> None:
        self.when = when
        self.fn = fn
        self.cancelled = False

    def cancel(self) -> None:
        """Stop the call if it has not run; idempotent; any thread."""
        self.cancelled = True


class TimerThread:
    """Runs short callbacks at given times on one daemon thread, started on demand.

    The pool's deadlines cannot wait on the dispatcher (it is the UI's, resolved lazily,
    and virtual in tests) nor on a worker (all may be busy with the work that is late),
    and a ``threading.Timer`` per task would be a thread per task. The thread exits
    after ``idle`` seconds without timers and on :meth:`close`.
    """

    def __init__(self, name: str, idle: float) -> None:
        self._name = name
        self._idle = idle
        self._cv = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int, TimerHandle]] = []
        self._seq = itertools.count()
        self._threads: list[threading.Thread] = []
        self._running = False
        self._closed = False

    def owns(self, thread: threading.Thread) -> bool:
        """True when ``thread`` is (or was) this timer's thread."""
        return thread in self._threads

    def schedule(self, delay: float, fn: Callable[[], object]) -> TimerHandle:
        """Run ``fn()`` on the timer thread after ``delay`` seconds. Any thread.

        After :meth:`close` the call never runs.
        """
        # Clamped: a backoff doubled past any bound is still "practically never".
        handle = TimerHandle(time.monotonic() + min(delay, MAX_SECONDS), fn)
        with self._cv:
            if self._closed:
                handle.cancelled = True
                return handle
            heapq.heappush(self._heap, (handle.when, next(self._seq), handle))
            if not self._running:
                self._running = True
                self._threads = [t for t in self._threads if t.is_alive()]
                thread = threading.Thread(target=self._main, name=self._name, daemon=True)
                self._threads.append(thread)
                thread.start()
            elif self._heap[0][2] is handle:
                self._cv.notify()
        return handle

    def close(self, wait: bool = True) -> None:
        """Drop pending calls and stop the thread (joining it when ``wait``). Any thread."""
        with self._cv:
            self._closed = True
            self._heap.clear()
            threads = list(self._threads)
            self._cv.notify()
        if wait:
            for thread in threads:
                if thread is not threading.current_thread():
                    thread.join()

    def _main(self) -> None:
        cv = self._cv
        heap = self._heap
        while True:
            with cv:
                while True:
                    if self._closed:
                        self._running = False
                        return
                    while heap and heap[0][2].cancelled:
                        heapq.heappop(heap)
                    if not heap:
                        if not cv.wait(min(self._idle, thread_wait_max())) and not heap:
                            self._running = False
                            return
                        continue
                    delay = heap[0][0] - time.monotonic()
                    if delay <= 0:
                        handle = heapq.heappop(heap)[2]
                        break
                    # Condition.wait raises OverflowError past threading.TIMEOUT_MAX: a
                    # huge timeout= killed this thread. Wait in steps; the loop re-checks.
                    cv.wait(min(delay, thread_wait_max()))
            if not handle.cancelled:
                try:
                    handle.fn()
                except Exception:
                    logger.exception("pool timer callback %r raised", handle.fn)
            # Let go now: kept until this idle thread exits, a fired callback (a breaker
            # whose listener names a Tk widget) was the last reference to a root, freed on
            # this thread: Tcl_AsyncDelete aborted the process.
            del handle
