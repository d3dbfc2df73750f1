"""The ``virtual`` backend: a deterministic main loop on virtual time, for tests.

Its main thread is the thread that created it. Posts from any thread wait in a queue
that :meth:`VirtualBackend.process_events` runs; timers fire only when the test calls
:meth:`VirtualBackend.advance`, which moves virtual time and runs what fell due, in order.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable

from ..hookspecs import BackendSpec, Detection

__all__ = ["SPEC", "VirtualBackend"]


def _noop() -> None:
    pass


class _VirtualTimer:
    __slots__ = ("cancelled", "fn", "when")

    def __init__(self, when: float, fn: Callable[[], object]) -> None:
        self.when = when
        self.fn = fn
        self.cancelled = False

    def cancel(self) -> None:
        """Stop the timer if it has not fired; idempotent."""
        self.cancelled = True
        self.fn = _noop  # as toolkits do: what the callback holds is released at once


class VirtualBackend:
    """A ``MainThreadDispatcher`` whose loop the test drives and whose clock the test moves."""

    name = "virtual"

    def __init__(self) -> None:
        self._thread = threading.get_ident()
        self._cond = threading.Condition()
        self._posts: deque[Callable[[], object]] = deque()
        self._timers: list[tuple[float, int, _VirtualTimer]] = []
        self._seq = itertools.count()
        self._now = 0.0
        self._dead: weakref.WeakSet[object] = weakref.WeakSet()
        self._app_closed: list[Callable[[], object]] = []
        self.closed = False
        self.posts = 0
        """How many times ``post`` was called (the wake-ups a real toolkit would see)."""

    # -- the protocol

    def is_main_thread(self) -> bool:
        """True on the thread that created this backend."""
        return threading.get_ident() == self._thread

    def post(self, fn: Callable[[], object]) -> None:
        """Queue ``fn`` for the next ``process_events`` or ``advance``. Any thread."""
        with self._cond:
            if self.closed:
                return
            self._posts.append(fn)
            self.posts += 1
            self._cond.notify_all()

    def call_later(self, delay: float, fn: Callable[[], object]) -> _VirtualTimer:
        """Run ``fn`` when virtual time has advanced by ``delay``. Main thread only."""
        timer = _VirtualTimer(self._now + delay, fn)
        if not self.closed:
            heapq.heappush(self._timers, (timer.when, next(self._seq), timer))
        return timer

    def is_alive(self, obj: object) -> bool:
        """False for objects passed to :meth:`kill`, True otherwise."""
        try:
            return obj not in self._dead
        except TypeError:
            return True

    def process_events(self, timeout: float) -> None:
        """Wait up to ``timeout`` real seconds for posts, then run those queued. Main thread."""
        with self._cond:
            if not self._posts and timeout > 0:
                self._cond.wait(timeout)
        self.run_ready()

    def on_app_closed(self, fn: Callable[[], object]) -> None:
        """Remember ``fn``; :meth:`close_app` calls it, as a toolkit whose window closed would."""
        self._app_closed.append(fn)

    def close(self) -> None:
        """Drop queued posts and timers; idempotent."""
        with self._cond:
            self.closed = True
            self._posts.clear()
            for _, _, timer in self._timers:
                timer.cancel()
            self._timers.clear()
            self._cond.notify_all()

    # -- test controls

    def now(self) -> float:
        """Virtual time in seconds since the backend was created."""
        return self._now

    def run_ready(self) -> int:
        """Run the posts queued now (not ones they post: those wait a loop turn). Main thread."""
        with self._cond:
            batch = list(self._posts)
            self._posts.clear()
        for fn in batch:
            fn()
        return len(batch)

    def advance(self, seconds: float) -> None:
        """Move virtual time forward, running due timers in order, and posts around them.

        Main thread only.
        """
        if seconds < 0:
            raise ValueError(f"seconds must be >= 0, got {seconds!r}")
        target = self._now + seconds
        self.run_ready()
        while self._timers and self._timers[0][0] <= target:
            when, _, timer = heapq.heappop(self._timers)
            if timer.cancelled:
                continue
            self._now = max(self._now, when)
            timer.fn()
            self.run_ready()
        self._now = target

    def kill(self, obj: object) -> None:
        """Make ``is_alive(obj)`` false, as a destroyed widget would be."""
        self._dead.add(obj)

    def close_app(self) -> None:
        """Simulate the app going away: call the ``on_app_closed`` callbacks."""
        callbacks, self._app_closed = self._app_closed, []
        for fn in callbacks:
            fn()


def _run_loop(backend: object, until: Callable[[], object], timeout: float) -> None:
    """The virtual "main loop": run posts and move virtual time in 5 ms steps.

    Returns once ``until()`` holds or ``timeout`` real seconds passed.
    """
    assert isinstance(backend, VirtualBackend)
    deadline = time.monotonic() + timeout
    while not until() and time.monotonic() < deadline and not backend.closed:
        backend.process_events(0.001)
        backend.advance(0.005)


SPEC = BackendSpec(
    name="virtual",
    create=lambda app: VirtualBackend(),
    run_loop=_run_loop,
    detect=lambda: Detection.NONE,
    description="deterministic loop on virtual time, for tests (never auto-detected)",
)
