"""Building blocks for backend authors: the parts every ``MainThreadDispatcher`` re-writes.

A backend supplies a handful of primitives (see :class:`uidispatch.MainThreadDispatcher`);
most of their code is the same whatever the toolkit. This module holds that code once:

- :class:`PostQueue`: a thread-safe ``post`` with one toolkit wake-up in flight, a drain
  that runs only what was queued when the turn began, and a lock that makes ``post``
  safe against ``close`` (no wake-up reaches the toolkit after ``close()`` returned).
- :class:`TimerHeap`: any number of ``call_later`` timers on a single toolkit timer, for
  toolkits whose timers are limited (pygame has one per event type) or costly; timers
  never fire early, and long delays are re-armed in steps.
- :class:`AttachedTracker`: ``is_alive`` for toolkits that cannot tell "not attached yet"
  from "removed" (a widget is dead only once it left its tree after being seen in it).
- :class:`RunningFlag` and :func:`detect_toolkit`: detection without frame tricks: a
  flag the backend's own loop hook sets, and a scorer that never imports the toolkit.
- :class:`AppClosedCallbacks`: the ``on_app_closed`` bookkeeping (call each once).

With these a backend is about 100 lines; ``uidispatch_pygame`` is the worked example in
the backend guide (``docs/guide/writing-a-backend.md``). This module uses only the
protocol and public names, as a third-party backend would, and imports no toolkit.
"""

from __future__ import annotations

import contextlib
import heapq
import importlib.util
import itertools
import math
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from typing import Protocol

from .hookspecs import Detection

__all__ = [
    "AppClosedCallbacks",
    "AttachedTracker",
    "Cancellable",
    "KitTimer",
    "PostQueue",
    "RunningFlag",
    "TimerHeap",
    "detect_toolkit",
]


class Cancellable(Protocol):
    """Anything with ``cancel()``: what a toolkit's one-shot timer returns."""

    def cancel(self) -> None:
        """Stop it; idempotent."""


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


class KitTimer:
    """A pending :class:`TimerHeap` timer; ``cancel()`` stops it."""

    __slots__ = ("_heap", "cancelled", "due", "fn")

    def __init__(self, heap: TimerHeap, due: float, fn: Callable[[], object]) -> None:
        self._heap: weakref.ref[TimerHeap] = weakref.ref(heap)
        self.due = due
        """When it fires, on the heap's clock."""
        self.fn: Callable[[], object] | None = fn
        self.cancelled = False
        """True once cancelled (or fired: firing releases ``fn`` too)."""

    def cancel(self) -> None:
        """Stop the timer if it has not fired; idempotent. Main thread."""
        if self.cancelled:
            return
        self.cancelled = True
        self.fn = None  # release what the callback holds (a widget, a closure) now
        heap = self._heap()
        if heap is not None:
            heap._cancelled()


class TimerHeap:
    """``call_later`` for any number of timers on one toolkit timer. Main thread only.

    ``schedule(delay, callback)`` arms the toolkit's one-shot timer (``GLib.timeout_add``,
    ``pygame.time.set_timer`` of one event type) and returns something with ``cancel()``;
    the heap keeps at most one armed, for its earliest deadline, and re-arms it when an
    earlier timer arrives. The toolkit's callback (or the loop, for toolkits that only
    post an event) calls :meth:`run_due`.

    Timers never fire early: a toolkit timer that wakes early (whole milliseconds, frame
    pacing) re-arms for the rest. A delay longer than ``max_step`` seconds is armed in
    steps (toolkits overflow or clamp long delays). ``resolution`` rounds each armed
    delay *up* to the toolkit's unit (0.001 for milliseconds).
    """

    def __init__(
        self,
        schedule: Callable[[float, Callable[[], object]], Cancellable],
        *,
        max_step: float = 3600.0,
        resolution: float = 0.001,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not (isinstance(max_step, (int, float)) and max_step > 0):
            raise ValueError(f"max_step must be a positive number of seconds, got {max_step!r}")
        if not (isinstance(resolution, (int, float)) and resolution >= 0):
            raise ValueError(f"resolution must be >= 0 seconds, got {resolution!r}")
        self._schedule = schedule
        self._max_step = float(max_step)
        self._resolution = float(resolution)
        self.clock = clock
        """The heap's clock (``time.monotonic`` unless given)."""
        self._heap: list[tuple[float, int, KitTimer]] = []
        self._seq = itertools.count()
        self._armed: Cancellable | None = None
        self._armed_for = math.inf
        self._live = 0
        self._closed = False

    def __len__(self) -> int:
        """How many timers are pending (not fired, not cancelled)."""
        return self._live

    def call_later(self, delay: float, fn: Callable[[], object]) -> KitTimer:
        """Run ``fn()`` from :meth:`run_due` once ``delay`` seconds (``>= 0``) have passed.

        After :meth:`close` the timer never fires.

        Raises:
            ValueError: ``delay`` is negative or not a number.

        """
        if not isinstance(delay, (int, float)) or isinstance(delay, bool) or not delay >= 0:
            raise ValueError(f"delay must be a number of seconds >= 0, got {delay!r}")
        timer = KitTimer(self, self.clock() + delay, fn)
        if self._closed:
            timer.cancelled = True
            timer.fn = None
            return timer
        heapq.heappush(self._heap, (timer.due, next(self._seq), timer))
        self._live += 1
        if timer.due < self._armed_for:
            self._arm()
        return timer

    def next_due(self) -> float | None:
        """The earliest pending deadline on the heap's clock, or ``None``."""
        heap = self._heap
        while heap and heap[0][2].cancelled:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def run_due(self) -> int:
        """Run every timer whose deadline passed, in deadline order; re-arm. Main thread.

        Returns how many ran. A raising timer stops this run (the exception propagates);
        the toolkit timer is re-armed for the rest first.
        """
        ran = 0
        heap = self._heap
        self._disarm()
        try:
            while heap:
                due, _, timer = heap[0]
                if timer.cancelled:
                    heapq.heappop(heap)
                    continue
                if due > self.clock():
                    break
                heapq.heappop(heap)
                fn = timer.fn
                timer.cancelled = True
                timer.fn = None
                self._live -= 1
                ran += 1
                assert fn is not None
                fn()
        finally:
            self._arm()
        return ran

    def _cancelled(self) -> None:
        self._live -= 1
        if self._live == 0:
            self._heap.clear()
            self._disarm()

    def _disarm(self) -> None:
        armed, self._armed = self._armed, None
        self._armed_for = math.inf
        if armed is not None:
            armed.cancel()

    def _arm(self) -> None:
        if self._closed:
            return
        due = self.next_due()
        if due is None:
            self._disarm()
            return
        self._disarm()
        delay = min(max(due - self.clock(), 0.0), self._max_step)
        if self._resolution:
            # Up to the toolkit's unit, but 0.2 / 0.001 is 200.00000000000003: not 201 units.
            delay = math.ceil(delay / self._resolution - 1e-9) * self._resolution
        self._armed_for = due
        self._armed = self._schedule(delay, self._fire)

    def _fire(self) -> None:
        self._armed = None
        self._armed_for = math.inf
        self.run_due()

    def close(self) -> None:
        """Cancel the toolkit timer and forget every pending timer; idempotent. Main thread."""
        self._closed = True
        for _, _, timer in self._heap:
            timer.cancelled = True
            timer.fn = None
        self._heap.clear()
        self._live = 0
        self._disarm()


class AttachedTracker:
    """``is_alive`` for widgets that are dead only once they left the tree they were seen in.

    Some toolkits (Kivy, Textual) cannot tell a widget that is not attached *yet* from
    one that was removed: both have no parent. A widget a worker's callback builds
    before showing it must stay alive, so the rule is: alive while ``attached(obj)``
    is true, and also before it was ever seen attached; dead once it is no longer
    attached after this tracker saw it attached. Objects are remembered weakly.
    Main thread only.
    """

    def __init__(self, attached: Callable[[object], bool]) -> None:
        self._attached = attached
        self._seen: weakref.WeakSet[object] = weakref.WeakSet()

    def is_alive(self, obj: object) -> bool:
        """True while attached, or never seen attached; False once it left its tree."""
        if self._attached(obj):
            with contextlib.suppress(TypeError):  # not weakly referenceable: not tracked
                self._seen.add(obj)
            return True
        try:
            return obj not in self._seen
        except TypeError:
            return True


class RunningFlag:
    """The flag "the app's loop is running", set by the backend's own loop hook. Any thread.

    Detection without frame tricks: the backend's loop entry point (``run_app()``, an
    app ``on_mount``) runs inside ``with flag.running():``; ``detect()`` reads
    ``flag.is_set()``. Nested loops (a modal dialog's) count: the flag clears when the
    outermost one returns.
    """

    def __init__(self) -> None:
        self._depth = 0
        self._lock = threading.Lock()

    def is_set(self) -> bool:
        """True while at least one loop runs inside :meth:`running`."""
        return self._depth > 0

    def enter(self) -> None:
        """Mark a loop as started (pair it with :meth:`exit`)."""
        with self._lock:
            self._depth += 1

    def exit(self) -> None:
        """Mark a loop as finished; never below zero."""
        with self._lock:
            self._depth = max(0, self._depth - 1)

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        """``with flag.running(): app.run()``: set for the duration, even on error."""
        self.enter()
        try:
            yield
        finally:
            self.exit()


def detect_toolkit(
    module: str,
    *,
    running: Callable[[], object] | None = None,
    app: Callable[[], object] | None = None,
) -> Detection:
    """Score a toolkit for ``BackendSpec.detect`` without ever importing it.

    ``NONE`` when ``module`` cannot be found; ``INSTALLED`` when it is importable but not
    imported; otherwise ``RUNNING`` if ``running()`` is true, ``APP`` if ``app()`` is
    true, else ``IMPORTED``. The two callables run only once the toolkit is imported
    (so they may use it); an exception in either, or in the lookup, scores ``NONE``:
    detection must never break the registry. Any thread.
    """
    try:
        if module not in sys.modules:
            return Detection.INSTALLED if importlib.util.find_spec(module) else Detection.NONE
        if running is not None and running():
            return Detection.RUNNING
        if app is not None and app():
            return Detection.APP
    except Exception:
        return Detection.NONE
    return Detection.IMPORTED


class AppClosedCallbacks:
    """The ``on_app_closed`` bookkeeping: register from any thread, notify once.

    The backend's ``on_app_closed(fn)`` calls :meth:`add`; whatever notices the app is
    gone (a window's destroy signal, a loop's exit) calls :meth:`notify`, from any
    thread. Each callback runs once; one registered after the notification runs at once.
    """

    def __init__(self) -> None:
        self._fns: list[Callable[[], object]] = []
        self._lock = threading.Lock()
        self._notified = False

    @property
    def notified(self) -> bool:
        """True once :meth:`notify` ran."""
        return self._notified

    def add(self, fn: Callable[[], object]) -> None:
        """Register ``fn``; after :meth:`notify`, call it now. Any thread."""
        with self._lock:
            if not self._notified:
                self._fns.append(fn)
                return
        fn()

    def notify(self) -> None:
        """Call every registered callback once (later calls do nothing). Any thread."""
        with self._lock:
            if self._notified:
                return
            self._notified = True
            fns, self._fns = self._fns, []
        for fn in fns:
            fn()
