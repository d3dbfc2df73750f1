"""``PostQueue``: a thread-safe post with one wake-up in flight, safe against close."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

__all__ = ["PostQueue"]


class PostQueue:
    """A thread-safe ``post`` with one wake-up in flight and a turn-bounded drain.

    ``wake`` is the toolkit's own "run this soon on the main thread" call
    (``GLib.idle_add``, ``loop.call_soon_threadsafe``, ``pygame.event.post``), made
    with no argument; it must be callable from any thread without waiting for the main
    thread, and the toolkit's callback must call :meth:`drain` on the main thread. It is
    called once per batch: on the empty to non-empty transition, and again when
    callbacks are left over at the end of a drain. ``wake`` runs under the queue's
    lock, so once :meth:`close` returns it is never called again: the toolkit's
    resources may then be released.

    :meth:`drain` runs only the functions queued when it began; a function posted while
    it runs (the core re-posts its drain when its budget is spent) waits for the next
    turn of the loop, so the toolkit paints and handles input between batches.
    """

    def __init__(self, wake: Callable[[], object]) -> None:
        self._wake = wake
        self._queue: deque[Callable[[], object]] = deque()
        self._lock = threading.Lock()
        self._scheduled = False
        self._closed = False
        self.wakeups = 0
        """How many times ``wake`` was called (a test and benchmark counter)."""

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called. Any thread."""
        return self._closed

    def __len__(self) -> int:
        return len(self._queue)

    def post(self, fn: Callable[[], object]) -> None:
        """Queue ``fn`` for the main thread; wake the toolkit if no wake-up is in flight.

        Any thread; never waits for the main thread. After :meth:`close`, ``fn`` is
        dropped (the dispatcher counts what it could not run). An exception raised by
        ``wake`` propagates and leaves ``fn`` queued for a later wake-up.
        """
        with self._lock:
            if self._closed:
                return
            self._queue.append(fn)
            if self._scheduled:
                return
            self._wake()
            self._scheduled = True
            self.wakeups += 1

    def drain(self) -> bool:
        """Run what was queued when this turn began; True if anything ran. Main thread.

        A raising function stops this turn: the exception propagates to the toolkit's
        callback and what is left is run on the next turn (a wake-up is made for it).
        """
        with self._lock:
            self._scheduled = False
            n = len(self._queue)
        if not n:
            return False
        queue = self._queue
        try:
            for _ in range(n):
                try:
                    fn = queue.popleft()
                except IndexError:  # close() on another thread emptied it
                    break
                fn()
        finally:
            if queue:
                self._rewake()
        return True

    def _rewake(self) -> None:
        with self._lock:
            if self._closed or self._scheduled or not self._queue:
                return
            self._wake()
            self._scheduled = True
            self.wakeups += 1

    def close(self) -> None:
        """Drop what is queued; later posts are dropped. Idempotent; any thread.

        Waits for a ``post`` that is waking the toolkit right now to finish, so after it
        returns ``wake`` is never called again.
        """
        with self._lock:
            self._closed = True
            self._queue.clear()
