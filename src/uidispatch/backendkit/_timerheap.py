"""``TimerHeap``: any number of timers on one toolkit timer, never early."""

from __future__ import annotations

import heapq
import itertools
import math
import threading
import time
import weakref
from collections.abc import Callable
from typing import Protocol

__all__ = ["Cancellable", "KitTimer", "TimerHeap"]

# A toolkit timer may go off this much before its time (whole-ms ticks, coarse OS timers);
# closer than this to going off, run_due() re-arms it rather than trusting it is pending.
_EARLY = 0.010


class Cancellable(Protocol):
    """Anything with ``cancel()``: what a toolkit's one-shot timer returns."""

    def cancel(self) -> None:
        """Stop it; idempotent."""


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
            heap._saw("cancel")
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
    delay *up* to the toolkit's unit (0.001 for milliseconds). A :meth:`run_due` with
    nothing due leaves the armed toolkit timer alone, so a frame loop calling it every
    frame costs no toolkit timer call while idle.

    :attr:`callers` records which threads called into the heap: the conformance suite
    reads it to prove the heap (and so the toolkit timer) is only touched on the main
    thread.
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
        self._goes_off = math.inf  # when the armed toolkit timer is set to go off
        self._live = 0
        self._closed = False
        self.callers: dict[int, str] = {}
        """Each thread (``threading.get_ident()``) that called into the heap, with the first
        entry point it called (``call_later``, ``run_due``, ``cancel``, ``close``)."""

    def _saw(self, entry: str) -> None:
        # One dict lookup per call: cheap enough to keep on always, and a probe that is
        # always on cannot be forgotten when a backend's own thread bug needs finding.
        ident = threading.get_ident()
        if ident not in self.callers:
            self.callers[ident] = entry

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
        self._saw("call_later")
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
        self._saw("run_due")
        if (
            self._armed is not None
            and self.next_due() == self._armed_for
            and self._goes_off - self.clock() > _EARLY
        ):
            # Nothing due, and the toolkit timer is armed for the earliest deadline and
            # still well before going off: re-arming would cost two toolkit calls per idle
            # frame for nothing. Near its time it is re-armed as before, because a toolkit
            # whose timer only posts an event (pygame) never calls back: a timer that went
            # off a little early is spent, and only a re-arm keeps the deadline alive.
            return 0
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
        self._goes_off = self.clock() + delay
        self._armed = self._schedule(delay, self._fire)

    def _fire(self) -> None:
        self._armed = None
        self._armed_for = math.inf
        self.run_due()

    def close(self) -> None:
        """Cancel the toolkit timer and forget every pending timer; idempotent. Main thread."""
        self._saw("close")
        self._closed = True
        for _, _, timer in self._heap:
            timer.cancelled = True
            timer.fn = None
        self._heap.clear()
        self._live = 0
        self._disarm()
