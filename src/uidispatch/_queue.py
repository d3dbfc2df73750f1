"""The main-thread queue: priority lanes, wake coalescing, coalescing keys, budgeted drain.

Hot-path rules, each measured (BASELINES.md, "What the hot path needs"):

- A producer's plain post is ``deque.append`` plus a read of the ``_scheduled`` flag; the
  lock is taken only on the idle -> scheduled transition. Locking every post cost 6x in
  throughput with 4 producers and pushed p99 to 21 us.
- One ``backend.post`` per batch (wake coalescing), never one per call: that is the whole
  gain over ``after(0, cb)`` per call. No polling timer exists anywhere: an idle app wakes
  zero times.
- The drain pops without the lock and reads the clock after every entry, so it overruns
  its budget by at most one callback however costly the callbacks are.
- Counters have one writer each (the main thread, or a holder of ``_lock``) so no
  increment is lost; ``posted`` is derived instead of counted by producers.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Hashable
from typing import Any, Final

from ._errors import DispatcherClosed, QueueFull
from ._priority import Priority
from ._protocol import MainThreadDispatcher

__all__ = ["MainQueue"]

_OPEN: Final = 0
_CLOSING: Final = 1  # close(run_pending=True) from a worker: a final drain is on its way
_CLOSED: Final = 2

OVERFLOW_POLICIES: Final = ("block", "drop_oldest", "raise")
YIELD_EVERY: Final = 1023  # posts between checks (a mask: 2**n - 1)
YIELD_AFTER: Final = 0.002  # seconds without drain progress before a producer yields
SLOW_FLOOR: Final = 0.001  # callbacks under 1 ms are never "slowest"
SLOWEST_KEPT: Final = 5

Owner = "weakref.ref[Any] | None"
ErrorSink = Callable[[BaseException, object], None]


class _Keyed:
    """A pending entry that later posts with the same key replace in place."""

    __slots__ = ("args", "fn", "key", "owner")

    def __init__(self, fn: Callable[..., object], args: tuple[Any, ...], owner: Any, key: Hashable):
        self.fn = fn
        self.args = args
        self.owner = owner
        self.key = key


class _Waiting:
    """A ``Dispatcher.call()`` entry: its result goes to the waiting thread's future."""

    __slots__ = ("args", "fn", "future")

    def __init__(self, fn: Callable[..., object], args: tuple[Any, ...]):
        self.fn = fn
        self.args = args
        self.future: concurrent.futures.Future[Any] = concurrent.futures.Future()


class MainQueue:
    """Priority lanes of pending main-thread calls and the drain that runs them.

    Producers call :meth:`push` from any thread; the drain runs on the main thread
    when the backend runs the function handed to ``backend.post``.
    """

    def __init__(
        self,
        backend: MainThreadDispatcher,
        on_error: ErrorSink,
        on_closed: Callable[[], None],
    ) -> None:
        self._backend = backend
        self._on_error = on_error
        self._on_closed = on_closed
        self._lanes: tuple[deque[Any], ...] = tuple(deque() for _ in Priority)
        # Accept members and their int values alike; anything else is an unknown priority.
        self.lane_of: dict[object, deque[Any]] = {p: self._lanes[p] for p in Priority}
        self._lock = threading.Lock()
        self._room = threading.Condition(self._lock)
        self._keyed: dict[Hashable, _Keyed] = {}
        self.scheduled = False
        self.state = _OPEN
        self.budget = 0.008
        self.max_pending: int | None = None
        self.overflow = "block"
        self._blocked = 0
        self._draining = False
        # One writer each: the main thread (drain) or a holder of _lock.
        self.executed = 0
        self.errors = 0
        self.dropped_main = 0
        self.dropped_locked = 0
        self.coalesced = 0
        self.drains = 0
        self.max_drain = 0.0
        self.peak = 0
        # Wake latency (post -> drain start) of recent drains, and the slowest callbacks:
        # one clock read per wake, and the per-entry clock read the budget needs anyway.
        self.latencies: deque[float] = deque(maxlen=1024)
        # Producer pacing: a CPU-bound producer holds the GIL for whole 5 ms switch
        # intervals and starves the UI thread under a flood (BASELINES: 24-63 ms timer
        # gaps); every YIELD_EVERY posts it yields once the drain has made no progress for
        # YIELD_AFTER. Time-based, not count-based: a count-based yield cut Kivy to 79 k/s.
        self.ticks = 0
        self.progress_at = 0.0
        self._woken_at = 0.0
        self.slowest: list[tuple[float, str]] = []
        self._slow_floor = SLOW_FLOOR
        # The backend holds only a weak reference to us: a queued bound method would close
        # a dispatcher <-> backend cycle, and a cycle holding a Tk root that the collector
        # frees on a worker thread aborts the process (BASELINES.md, Tk hazards).
        ref = weakref.ref(self)

        def drain() -> None:
            queue = ref()
            if queue is not None:
                queue.drain()

        self._drain_fn = drain

    # ----------------------------------------------------------------- producers

    def pending(self) -> int:
        """Number of entries waiting in all lanes (any thread, approximate under races)."""
        return sum(map(len, self._lanes))

    def wake(self) -> None:
        """Schedule a drain unless one is scheduled already (any thread)."""
        with self._lock:
            if self.scheduled or self.state == _CLOSED:
                return
            self.scheduled = True
            self._woken_at = time.perf_counter()
        try:
            self._backend.post(self._drain_fn)
        except BaseException:
            with self._lock:
                self.scheduled = False
            raise

    def push(
        self,
        lane: deque[Any],
        fn: Callable[..., object],
        args: tuple[Any, ...],
        owner: Any,
        key: Hashable | None,
    ) -> None:
        """Queue a call with an owner, a key or under backpressure (the slow path)."""
        if key is None and self.max_pending is None:
            lane.append((fn, args, owner))
            self.after_append()
            return
        if self.max_pending is not None:
            if key is not None and self._coalesce(key, fn, args, owner):
                return  # coalescing never grows the queue: no room needed
            self._main_thread_room()
        with self._lock:
            if key is not None:
                entry = self._keyed.get(key)
                if entry is not None:  # appeared while we made room
                    entry.fn, entry.args, entry.owner = fn, args, owner
                    self.coalesced += 1
                    return
            self._room_locked()
            if key is None:
                lane.append((fn, args, owner))
            else:
                entry = self._keyed[key] = _Keyed(fn, args, owner, key)
                lane.append(entry)
        self.after_append()

    def _coalesce(
        self, key: Hashable, fn: Callable[..., object], args: tuple[Any, ...], owner: Any
    ) -> bool:
        with self._lock:
            entry = self._keyed.get(key)
            if entry is None:
                return False
            entry.fn, entry.args, entry.owner = fn, args, owner
            self.coalesced += 1
            return True

    def push_waiting(self, entry: _Waiting) -> None:
        """Queue a ``call()`` entry in the NORMAL lane, so it keeps its producer's order."""
        lane = self._lanes[Priority.NORMAL]
        if self.max_pending is None:
            lane.append(entry)
        else:
            self._main_thread_room()
            with self._lock:
                self._room_locked()
                lane.append(entry)
        self.after_append()

    def pace(self) -> None:
        """Yield the GIL if the main thread has made no progress lately (a producer)."""
        if time.perf_counter() - self.progress_at > YIELD_AFTER:
            time.sleep(0)

    def after_append(self) -> None:
        """Wake the main thread if needed, and settle a race with ``close()``."""
        if not self.scheduled:
            self.wake()
        if self.state == _CLOSED:
            # close() finished between our state check and our append: the entry would
            # sit unseen forever; drop it and count it like the ones close() dropped.
            self.drop_all(DispatcherClosed("the dispatcher was closed"))

    def _main_thread_room(self) -> None:
        # Blocking the main thread would wait for itself: it drains instead (but not from
        # inside a drain, where the queue may briefly exceed the bound rather than recurse).
        limit = self.max_pending
        if (
            limit is not None
            and self.overflow == "block"
            and not self._draining
            and self.pending() >= limit
            and self._backend.is_main_thread()
        ):
            self.drain(budget=float("inf"))

    def _room_locked(self) -> None:
        """Make room for one entry under ``max_pending``; caller holds ``_lock``.

        Checking and appending under one lock hold keeps two producers from both taking
        the last free slot.
        """
        limit = self.max_pending
        if limit is None:
            return
        while self.pending() >= limit:
            if self.state != _OPEN:
                raise DispatcherClosed("the dispatcher was closed while waiting for room")
            if self.overflow == "raise":
                raise QueueFull(
                    f"max_pending={limit} reached: {self.pending()} calls are waiting for the "
                    "main thread; raise max_pending, slow the producer or use "
                    "overflow='drop_oldest'"
                )
            if self.overflow == "drop_oldest":
                if not self._drop_one_locked():
                    return
                continue
            if self._backend.is_main_thread():
                return  # inside a drain: exceed the bound rather than deadlock
            self._blocked += 1
            try:
                self._room.wait(0.1)
            finally:
                self._blocked -= 1

    def _drop_one_locked(self) -> bool:
        for lane in reversed(self._lanes):
            try:
                entry = lane.popleft()
            except IndexError:
                continue
            self._discard(entry, QueueFull("dropped by overflow='drop_oldest'"))
            self.dropped_locked += 1
            return True
        return False

    def _discard(self, entry: Any, exc: BaseException) -> None:
        # Caller holds _lock.
        if type(entry) is _Keyed:
            if self._keyed.get(entry.key) is entry:
                del self._keyed[entry.key]
        elif type(entry) is _Waiting:
            _fail(entry.future, exc)

    def drop_all(self, exc: BaseException) -> int:
        """Remove every pending entry, counting it as dropped; waiters get ``exc``."""
        n = 0
        with self._lock:
            for lane in self._lanes:
                while True:
                    try:
                        entry = lane.popleft()
                    except IndexError:
                        break
                    self._discard(entry, exc)
                    n += 1
            self.dropped_locked += n
            self._room.notify_all()
        return n

    def withdraw(self, entry: _Waiting) -> bool:
        """Withdraw a ``call()`` entry that timed out; False if it already started."""
        return entry.future.cancel()

    # ---------------------------------------------------------------- main thread

    def drain(self, budget: float | None = None) -> None:
        """Run queued entries, highest lane first, for up to the budget; then re-post.

        Main thread only.
        """
        if self._draining:  # re-entered from a callback through process_events: no-op
            return
        if budget is None:
            budget = self.budget
        self._draining = True
        self.drains += 1
        lanes = self._lanes
        backend = self._backend
        on_error = self._on_error
        perf = time.perf_counter
        start = last = self.progress_at = perf()
        deadline = start + budget
        if self._woken_at:
            self.latencies.append(start - self._woken_at)
            self._woken_at = 0.0
        pending = self.pending()
        if pending > self.peak:
            self.peak = pending
        repost = False
        try:
            while True:
                for index, lane in enumerate(lanes):  # noqa: B007 - index used below
                    if lane:
                        break
                else:
                    if self._go_idle():
                        return
                    continue
                higher = lanes[:index]
                # Stay on this lane while every higher lane is empty, so a CRITICAL entry
                # posted mid-drain still runs next.
                while True:
                    try:
                        entry = lane.popleft()
                    except IndexError:
                        break
                    if type(entry) is tuple:
                        fn, args, owner = entry
                        if owner is not None and not _owner_alive(owner, backend):
                            self.dropped_main += 1
                        else:
                            try:
                                fn(*args)
                            except (KeyboardInterrupt, SystemExit):
                                self.executed += 1
                                self.errors += 1
                                raise
                            except BaseException as exc:
                                self.executed += 1
                                self.errors += 1
                                on_error(exc, fn)
                            else:
                                self.executed += 1
                    else:
                        fn = entry.fn
                        self._run_special(entry)
                    if self._blocked:
                        with self._room:
                            self._room.notify_all()
                    now = perf()
                    if now - last > self._slow_floor:
                        self._note_slow(fn, now - last)
                    last = now
                    if now >= deadline:
                        repost = True
                        return
                    if higher and any(higher):
                        break
        except BaseException:
            repost = True  # KeyboardInterrupt/SystemExit propagate; the rest still runs later
            raise
        finally:
            self.progress_at = end = perf()
            elapsed = end - start
            if elapsed > self.max_drain:
                self.max_drain = elapsed
            self._draining = False
            # A callback's exception kept by a waiter holds this frame (its traceback's
            # frames hold their callers): naming the entry here would close a cycle.
            entry = fn = None
            if repost:
                self._repost()

    def _note_slow(self, fn: object, seconds: float) -> None:
        inner = getattr(fn, "func", fn)  # functools.partial: name what it wraps
        name = getattr(inner, "__qualname__", None) or repr(inner)
        slowest = self.slowest
        slowest.append((seconds, name))
        slowest.sort(reverse=True)
        del slowest[SLOWEST_KEPT:]
        if len(slowest) == SLOWEST_KEPT:
            self._slow_floor = slowest[-1][0]

    def _repost(self) -> None:
        if self.state == _CLOSED:
            return
        self._woken_at = time.perf_counter()
        try:
            self._backend.post(self._drain_fn)
        except BaseException:
            with self._lock:
                self.scheduled = False
            raise

    def _go_idle(self) -> bool:
        """Lanes looked empty: go idle unless a producer raced us; True when idle."""
        finished = False
        with self._lock:
            # Clear the flag *before* the re-check: a producer that appends after it sees
            # scheduled=False and wakes us; one that appended before it is seen here.
            self.scheduled = False
            if any(self._lanes):
                self.scheduled = True
                return False
            if self.state == _CLOSING:
                self.state = _CLOSED
                finished = True
        if finished:
            self._on_closed()
        return True

    def _run_special(self, entry: Any) -> None:
        if type(entry) is _Keyed:
            with self._lock:
                if self._keyed.get(entry.key) is entry:
                    del self._keyed[entry.key]
                fn, args, owner = entry.fn, entry.args, entry.owner
            if owner is not None and not _owner_alive(owner, self._backend):
                self.dropped_main += 1
                return
            try:
                fn(*args)
            except (KeyboardInterrupt, SystemExit):
                self.executed += 1
                self.errors += 1
                raise
            except BaseException as exc:
                self.executed += 1
                self.errors += 1
                self._on_error(exc, fn)
            else:
                self.executed += 1
            return
        # _Waiting: the caller receives the outcome, so it is not an unhandled error.
        future = entry.future
        if not future.set_running_or_notify_cancel():
            self.dropped_main += 1  # withdrawn after a timeout
            return
        try:
            result = entry.fn(*entry.args)
        except BaseException as exc:
            # exc's traceback holds this frame: it must not name the future holding exc.
            del entry
            future.set_exception(exc)
            del future
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                self.executed += 1
                raise
        else:
            future.set_result(result)
        self.executed += 1

    # ---------------------------------------------------------------- closing

    def close(self, run_pending: bool) -> None:
        """Stop accepting entries; run (main thread) or drop pending entries; release waiters."""
        with self._lock:
            if self.state == _CLOSED:
                return
            on_main = self._backend.is_main_thread()
            # From a worker, or from a callback of the running drain, only a drain can run
            # what is pending: let the current or a final drain finish the close.
            deferred = run_pending and (not on_main or self._draining)
            if deferred:
                # Only the main thread may run them: a final unbounded drain closes for us.
                self.state = _CLOSING
                self.budget = float("inf")
                schedule = not self.scheduled
                self.scheduled = True
            else:
                self.state = _CLOSING
                schedule = False
            self._room.notify_all()
        if schedule:
            try:
                self._backend.post(self._drain_fn)
            except BaseException:
                deferred = run_pending = False  # no drain will come: drop and count instead
        if deferred:
            return
        if run_pending:
            self.drain(budget=float("inf"))
        with self._lock:
            self.state = _CLOSED
        self.drop_all(DispatcherClosed("the dispatcher was closed before this call ran"))


def _owner_alive(owner: weakref.ref[Any], backend: MainThreadDispatcher) -> bool:
    obj = owner()
    return obj is not None and backend.is_alive(obj)


def _fail(future: concurrent.futures.Future[Any], exc: BaseException) -> None:
    if future.set_running_or_notify_cancel():
        future.set_exception(exc)
