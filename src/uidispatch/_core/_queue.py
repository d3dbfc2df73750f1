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

Why one module of ~800 lines, past the house's ~400: it is the one module the compiled
build compiles (mypyc, ``_compiled.py``), and mypyc calls functions and reads attributes
natively only within one compilation unit. The drain's typed locals and the flat keyed
entry measured 115 -> 90 ns per plain entry and 178 -> 153 ns per keyed one compiled, a
backlogged keyed post 1003 -> 702-756 ns (``benchmarks/bench_post_drain.py``); a call
into another module would go back through the Python API on every post and every entry.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Hashable
from types import FunctionType, MethodType
from typing import Any, Final, TypeVar, cast

from ._errors import DispatcherClosed, QueueFull
from ._options import NOT_PLAIN, PLAIN_TYPES, check_callback, owner_error
from ._priority import Priority
from ._protocol import MainThreadDispatcher
from ._release import release_parked

try:
    from mypy_extensions import mypyc_attr
except ImportError:  # only the compiled build needs it; it is a no-op when interpreted

    def mypyc_attr(*attrs: str, **kwattrs: object) -> Callable[[type], type]:  # type: ignore[misc]
        return lambda cls: cls


__all__ = ["MainQueue", "never_dropped"]

F = TypeVar("F", bound=Callable[..., object])

_OPEN: Final = 0
_CLOSING: Final = 1  # close(run_pending=True) from a worker: a final drain is on its way
_CLOSED: Final = 2

_NORMAL: Final = int(Priority.NORMAL)
_NORMAL_MEMBER: Final = Priority.NORMAL
OVERFLOW_POLICIES: Final = ("block", "drop_oldest", "raise")
YIELD_EVERY: Final = 1023  # posts between checks (a mask: 2**n - 1)
YIELD_AFTER: Final = 0.0002  # seconds without drain progress before a producer yields
NAP_AFTER: Final = 0.002  # ... before contending producers nap
PACE_NAP: Final = 0.0005  # a lagging producer's sleep while the UI thread catches up
PACE_LIMIT: Final = 0.005  # the longest a producer steps aside per check
SOFT_CAP: Final = 4096  # a backlog above it makes contending producers step aside
MAX_DEPTH: Final = 16  # nested drains (modal loops inside callbacks) run up to this depth
SLOW_FLOOR: Final = 0.001  # callbacks under 1 ms are never "slowest"
SLOWEST_KEPT: Final = 5
# What a call that close() dropped before it ran is told, on either side of the race.
_DROPPED_BY_CLOSE: Final = "the dispatcher was closed before this call ran"

Owner = "weakref.ref[Any] | None"
ErrorSink = Callable[[BaseException, object], None]


# A keyed entry is a list ``[fn, args, owner, key, call, taken]``: a list literal costs a
# fraction of a class instance (no __init__ frame), and this is the hot path of every keyed
# post. The post that creates the entry stores its call flat, never changed afterwards: one
# object per post that waits in the queue, so a backlog promotes half as many objects into
# the collector's older generations (each promotion costs later full collections). A later
# post of the key replaces ``call`` (None until then) with its ``(fn, args, owner)`` tuple,
# one atomic store; ``taken`` is what the drain ran (or a drop discarded): that tuple, or
# ``_ORIGINAL`` for the flat call. Only the entry's single taker sets it.
FN: Final = 0
ARGS: Final = 1
OWNER: Final = 2
KEY: Final = 3
CALL: Final = 4
TAKEN: Final = 5
# The drain tells keyed entries (lists) apart from plain tuples and _Waiting by type().

# A function with this attribute set is library bookkeeping: overflow="drop_oldest" skips it.
NEVER_DROPPED: Final = "_uidispatch_never_dropped"


def never_dropped(fn: F) -> F:
    """Mark ``fn`` (the library's own bookkeeping) as never dropped by an overflow policy."""
    setattr(fn, NEVER_DROPPED, True)
    return fn


class _Waiting:
    """A ``Dispatcher.call()`` entry: its result goes to the waiting thread's future."""

    __slots__ = ("args", "fn", "future")

    def __init__(self, fn: Callable[..., object], args: tuple[Any, ...]):
        self.fn = fn
        self.args = args
        self.future: concurrent.futures.Future[Any] = concurrent.futures.Future()


@mypyc_attr(allow_interpreted_subclasses=True)  # for the weakly referenceable MainQueue below
class _QueueCore:
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
        # Reentrant: a signal handler runs on the main thread between two bytecodes, maybe
        # while this thread holds the lock, and posting from it must not deadlock. Only
        # wakes, keyed races, bounded queues and the drain's keyed entries take it.
        self._lock = threading.RLock()
        self._room = threading.Condition(self._lock)
        self.keyed: dict[Hashable, list[Any]] = {}
        self.scheduled = False
        # Raised by producers after appending to a lane other than NORMAL (see drain).
        self.urgent = False
        self.state = _OPEN
        self.budget = 0.008
        self.why = ""  # appended to "closed dispatcher" errors: why it closed (a fork)
        self.max_pending: int | None = None
        self.overflow = "block"
        self._blocked = 0
        # Drains running on the main thread: more than one when a callback runs a nested
        # event loop (a modal dialog) and that loop runs our posted wake.
        self._depth = 0
        # One writer each: the main thread (drain) or a holder of _lock.
        self.executed = 0
        self.errors = 0
        self.dropped_main = 0
        self.dropped_locked = 0
        # Producers coalesce without the lock: next() on a C counter loses no increment.
        self._coalesced = itertools.count()
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
        # The last producer thread that paced since the current drain began (0: none).
        # Naps are for contention only: a lone producer that napped while a frame-paced
        # loop waited for its next frame ran 2.6x slower on Kivy (0.38 M vs 1.0 M calls/s).
        self._pacer = 0
        # The drain progress a lone producer last yielded at, and its yields in a row since.
        self._yielded_at = 0.0
        self._stalled_yields = 0
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

    def call_soon(
        self,
        fn: Callable[..., object],
        /,
        *args: Any,
        priority: Priority = _NORMAL_MEMBER,
        key: Hashable | None = None,
        owner: object | None = None,
    ) -> None:
        """``Dispatcher.call_soon`` (documented there): each dispatcher binds it as its own.

        The dispatcher's ``call_soon`` attribute is this bound method, so a post is one
        call, and in the compiled build one call into C with no Python frame. Named as the
        public method so that argument errors name ``call_soon()`` too.
        """
        if priority is _NORMAL_MEMBER:  # Enum.__hash__ is a Python call: skip the lookup
            lane = self._lanes[_NORMAL]
        else:
            # bool and float compare equal to ints: only Priority members and ints pass.
            chosen = self.lane_of.get(priority) if type(priority) in (Priority, int) else None
            if chosen is None:
                raise _bad_priority(priority)
            lane = chosen
        # Functions and bound methods: one flag test; builtins: one set lookup; the rest
        # (partials, callable objects, non-callables) get the full check. No getattr with a
        # default: compiled, a miss builds an AttributeError (300 ns a post).
        kind = type(fn)
        if kind is FunctionType:
            plain = not fn.__code__.co_flags & NOT_PLAIN
        elif kind is MethodType:
            func = fn.__func__  # type: ignore[attr-defined]
            plain = type(func) is FunctionType and not func.__code__.co_flags & NOT_PLAIN
        else:
            plain = kind in PLAIN_TYPES
        if not plain:
            check_callback("fn", fn)
        # "!= _OPEN", not "if self.state": mypy would narrow the state to 0, and mypyc
        # compiles the later close-race checks it then calls unreachable into a RuntimeError.
        if self.state != _OPEN:
            raise DispatcherClosed(f"call_soon({fn!r}) on a closed dispatcher{self.why}")
        if key is None and owner is None and self.max_pending is None:
            # The hot path: an append and a flag read, no lock.
            lane.append((fn, args, None))
            if priority is not _NORMAL_MEMBER:
                self.urgent = True  # the drain of a lower lane looks up (see drain)
            if not self.scheduled:
                self.wake()
            else:
                self.ticks += 1  # racy on purpose: it only paces the yield below
                if not self.ticks & YIELD_EVERY:
                    self.pace()
            if self.state != _OPEN:  # close() ran between our check and our append
                self.after_append()
            return
        ref: Any = None
        if owner is not None:
            try:
                ref = weakref.ref(owner)
            except TypeError:
                raise owner_error(owner) from None
        if key is None or self.max_pending is not None:
            try:
                self.push(lane, fn, args, ref, key)
            except TypeError:
                _check_hashable(key)
                raise
            if priority is not _NORMAL_MEMBER:
                self.urgent = True
            return
        # Keyed, unbounded: no lock. One atomic dict operation decides who creates the
        # entry: a new key registers ``entry``; a pending one returns the entry to replace
        # into. Inlined rather than a method call: 60 ns of a 465 ns keyed post, 37 of 274
        # compiled (benchmarks/bench_post_drain.py).
        entry = [fn, args, ref, key, None, None]
        try:
            found = self.keyed.setdefault(key, entry)
        except TypeError:
            _check_hashable(key)
            raise
        if found is not entry:
            self._replace(found, (fn, args, ref), lane)
            return
        lane.append(entry)
        if priority is not _NORMAL_MEMBER:
            self.urgent = True
        if not self.scheduled:
            self.wake()
        else:
            self.ticks += 1  # racy on purpose: it only paces
            if not self.ticks & YIELD_EVERY:
                self.pace()
        if self.state == _CLOSED:
            self.drop_all(DispatcherClosed(_DROPPED_BY_CLOSE))

    def pending(self) -> int:
        """Number of entries waiting in all lanes (any thread, approximate under races)."""
        return sum(map(len, self._lanes))

    @property
    def coalesced(self) -> int:
        """Calls merged into a pending keyed entry (any thread)."""
        # repr is "count(N)": reading never advances the counter.
        return int(repr(self._coalesced)[6:-1])

    def wake(self) -> None:
        """Schedule a drain unless one is posted and not yet started (any thread)."""
        with self._lock:
            if self.scheduled or self.state == _CLOSED:
                return
            self.scheduled = True
            self._woken_at = time.perf_counter()
        self._post_wake()

    def _post_wake(self) -> None:
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
        """Queue a call with an owner, or under backpressure, or re-post a keyed call.

        :meth:`call_soon` queues keyed calls on an unbounded queue itself, without the lock; the
        keyed calls that come here (bounded queues, and :meth:`_replace`'s rare re-post)
        take the lock, and the keyed dict's atomic ``setdefault`` still decides between
        them and the lock-free posters.
        """
        if key is None and self.max_pending is None:
            lane.append((fn, args, owner))
            self.after_append()
            return
        if key is not None:
            found = self.keyed.get(key)
            if found is not None:
                self._replace(found, (fn, args, owner), lane)  # never grows the queue
                return
        self._main_thread_room()
        with self._lock:
            found = None if key is None else self.keyed.get(key)
            if found is None:  # else it appeared while we made room
                self._room_locked()
                if key is None:
                    lane.append((fn, args, owner))
                else:
                    entry = [fn, args, owner, key, None, None]
                    found = self.keyed.setdefault(key, entry)
                    if found is entry:
                        lane.append(entry)
                        found = None
        if found is not None:
            self._replace(found, (fn, args, owner), lane)
            return
        self.after_append()

    def _replace(self, entry: list[Any], call: tuple[Any, ...], lane: deque[Any]) -> None:
        """Put ``call`` into a keyed entry another post created (latest wins, position kept).

        No lock: the taker (the drain, or a drop) unregisters the entry and then reads
        its call into ``taken``, so an entry still registered after our store will run our
        call or a later one. Otherwise we wait for ``taken`` (a few bytecodes away) and
        see whether the taker had our call.
        """
        entry[CALL] = call
        key = entry[KEY]
        if self.keyed.get(key) is entry:
            next(self._coalesced)
            self._pace_tick()
            return
        while entry[TAKEN] is None:
            if self._backend.is_main_thread():
                # A signal handler interrupted the drain between the two steps: the
                # drain has yet to read the call, so it reads ours.
                next(self._coalesced)
                return
            time.sleep(0)
        if entry[CALL] is not call or entry[TAKEN] is call:
            # A later post replaced ours (it settles its own fate), or ours was taken.
            next(self._coalesced)
            return
        # The drain ran an earlier call of this entry: ours is a new one.
        fn, args, owner = call
        self.push(lane, fn, args, owner, key)

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
        """Step aside if the main thread has made no progress lately (a producer).

        One producer: after ``YIELD_AFTER`` without progress, yielding the GIL once hands
        it to the UI thread (a real sleep on every 4th such yield in a row). Several
        (another thread paced since the drain began): the GIL goes to another producer as
        often as not, so after ``NAP_AFTER``, or while more than ``SOFT_CAP`` calls wait,
        every producer sleeps (up to ``PACE_LIMIT`` per check) until the UI thread moves.
        """
        perf = time.perf_counter
        lagging = perf() - self.progress_at > YIELD_AFTER
        if not lagging and self.pending() <= SOFT_CAP:
            return
        me = threading.get_ident()
        alone = self._pacer in (0, me)  # no other producer paced since the drain began
        self._pacer = me
        if alone:
            # Yield soon (0.2 ms): the UI thread drains while the entries are young. The
            # collector promotes an entry that waits through two young collections, and
            # promotions are what trigger full collections: a 2 ms yield let one producer
            # build a backlog of about 7,000 calls, and 375 young collections and 3 full
            # ones ran per 250,000 posts; at 0.2 ms, 8 to 18 and none. (The UI thread
            # posting to itself waits for nobody.)
            if lagging and not self._backend.is_main_thread():
                # sleep(0) hands the GIL over only when the UI thread wins the race for it,
                # and a thread that drops and retakes the GIL more often than the switch
                # interval also stops the interpreter from forcing a switch: the UI thread
                # can starve (a Tk app's drain waited seconds behind a worker reporting
                # progress). So every 4th yield in a row without progress sleeps for real.
                stalled = self.progress_at == self._yielded_at
                self._yielded_at = self.progress_at
                self._stalled_yields = self._stalled_yields + 1 if stalled else 0
                time.sleep(YIELD_AFTER if self._stalled_yields & 3 == 3 else 0)
            return
        if self._backend.is_main_thread():
            return
        time.sleep(0)
        if perf() - self.progress_at <= NAP_AFTER and self.pending() <= SOFT_CAP:
            return  # the yield was enough
        # Contention: the other producers step aside at their next post too, not only at
        # their next mark. One napping producer among eight running ones frees no GIL
        # time for the UI thread.
        self.ticks = YIELD_EVERY
        give_up = perf() + PACE_LIMIT
        while perf() < give_up and (
            (self.scheduled and perf() - self.progress_at > NAP_AFTER)
            or self.pending() > SOFT_CAP // 2
        ):
            time.sleep(PACE_NAP)

    def _pace_tick(self) -> None:
        self.ticks += 1  # racy on purpose: it only paces
        if not self.ticks & YIELD_EVERY:
            self.pace()

    def after_append(self) -> None:
        """Wake the main thread if needed, and settle a race with ``close()``."""
        if not self.scheduled:
            self.wake()
        else:
            self._pace_tick()
        if self.state == _CLOSED:
            # close() finished between our state check and our append: the entry would
            # sit unseen forever; drop it and count it like the ones close() dropped, with
            # their message (a waiter's reason must not depend on which side of the race).
            self.drop_all(DispatcherClosed(_DROPPED_BY_CLOSE))

    def _main_thread_room(self) -> None:
        # Blocking the main thread would wait for itself: it drains instead (but not from
        # inside a drain, where the queue may briefly exceed the bound rather than recurse).
        limit = self.max_pending
        if (
            limit is not None
            and self.overflow == "block"
            and not self._depth
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
        # The drain pops the head without the lock, so this takes entries with popleft
        # (atomic) too: an index or an iterator over the lane goes stale when it pops.
        for lane in self._lanes[::-1]:  # mypyc cannot compile reversed() over this tuple
            # The oldest call the app's policy may drop: the library's own bookkeeping
            # (busy state settling after a task's callbacks) is never dropped; it goes back
            # at the head, in its order.
            kept: list[Any] = []
            try:
                while True:
                    try:
                        entry = lane.popleft()
                    except IndexError:
                        break
                    fn = entry.fn if type(entry) is _Waiting else entry[FN]
                    if getattr(fn, NEVER_DROPPED, False):
                        kept.append(entry)
                        continue
                    self._discard(entry, QueueFull("dropped by overflow='drop_oldest'"))
                    self.dropped_locked += 1
                    return True
            finally:
                if kept:
                    kept.reverse()
                    lane.extendleft(kept)
        return False

    def _discard(self, entry: Any, exc: BaseException) -> None:
        # Caller holds _lock.
        if type(entry) is list:
            if self.keyed.get(entry[KEY]) is entry:
                del self.keyed[entry[KEY]]
            replaced = entry[CALL]  # a producer racing this drop counts its call coalesced
            entry[TAKEN] = _ORIGINAL if replaced is None else replaced
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

        Main thread only. Re-entered when a callback runs a nested event loop (a modal
        dialog, ``wait_window``, ``QDialog.exec()``, ``process_events``) and that loop runs
        our posted wake: the inner drain runs the entries after the current one, with its
        own budget, so dispatch goes on during the modal in FIFO order.
        """
        if self._depth >= MAX_DEPTH:
            # Callbacks pumping the loop from callbacks: the outer drains go on, and a
            # producer's next append posts a new wake.
            with self._lock:
                self.scheduled = False
            return
        if budget is None:
            budget = self.budget
        release_parked()  # what our threads must not drop, dropped here (see _release)
        woken_at = self._woken_at
        with self._lock:
            self.scheduled = False  # before counting: a producer appending after it wakes
            pending = self.pending()
            # The posted wake has started: a producer appending from now on posts a new
            # one, which is what lets a nested loop inside a long callback run it. With
            # more than one entry waiting, post the next wake now rather than when the
            # budget runs out: a callback may open a modal whose close is queued behind it.
            # (Under a flood that is the re-post the budget would need anyway.)
            ahead = pending > 1 and self.state != _CLOSED
            self.scheduled = ahead
            self._woken_at = time.perf_counter() if ahead else 0.0
        failed: BaseException | None = None
        if ahead:
            try:
                self._post_wake()
            except Exception as exc:  # the backend cannot post now: drain, re-post, then raise
                failed = exc
        if not pending and self.state == _OPEN:
            # The wake a drain posted ahead, and that drain emptied the queue: no work,
            # so no drain (the loop was not idle: it was still finishing that drain's turn).
            return
        self._depth += 1
        self.drains += 1
        lanes = self._lanes
        backend = self._backend
        on_error = self._on_error
        perf = time.perf_counter
        start = last = self.progress_at = perf()
        self._pacer = 0
        deadline = start + budget
        if woken_at:
            self.latencies.append(start - woken_at)
        if pending > self.peak:
            self.peak = pending
        repost = False
        keyed = self.keyed
        slow_floor = self._slow_floor
        # The bound's waiters need a notify per entry; unbounded queues skip the check.
        bounded = self.max_pending is not None
        try:
            while True:
                # Producers raise it after appending to any lane but NORMAL: the NORMAL
                # lane then breaks out to look for a higher entry (one attribute read per
                # entry instead of scanning the higher lanes).
                self.urgent = False
                for index, lane in enumerate(lanes):  # noqa: B007 - index used below
                    if lane:
                        break
                else:
                    if self._go_idle():
                        return
                    continue
                # Lanes below NORMAL scan the lanes above them (NORMAL posts raise no flag).
                higher = lanes[:index] if index > _NORMAL else ()
                pop = lane.popleft
                # Stay on this lane while every higher lane is empty, so a CRITICAL entry
                # posted mid-drain still runs next.
                while True:
                    try:
                        entry = pop()
                    except IndexError:
                        break
                    # Typed locals: compiled, each becomes a C struct or a direct list
                    # access instead of generic Python operations (interpreted: no cost).
                    kind = type(entry)
                    if kind is tuple or kind is list:
                        if kind is tuple:
                            call: tuple[Any, tuple[Any, ...], Any] = entry
                            fn, args, owner = call
                        else:
                            held: list[Any] = entry
                            key = held[KEY]
                            # Unregister, then read: the order _replace relies on. Only the
                            # popper of an entry unregisters it (no lock), so a popped entry
                            # is still registered: one pop, not a lookup and a delete.
                            other = keyed.pop(key, held)
                            if other is not held:  # never, short of a key whose hash moved
                                keyed.setdefault(key, other)
                            replaced = held[CALL]
                            if replaced is None:  # the call it was made with (no tuple)
                                held[TAKEN] = _ORIGINAL
                                fn = held[FN]
                                args = held[ARGS]
                                owner = held[OWNER]
                            else:
                                call = held[TAKEN] = replaced
                                fn, args, owner = call
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
                        fn = self._run_waiting(entry)
                    if bounded and self._blocked:
                        with self._room:
                            self._room.notify_all()
                    # Producers pace themselves on this clock (time-based backpressure).
                    now = self.progress_at = perf()
                    if now - last > slow_floor:
                        self._note_slow(fn, now - last)
                        slow_floor = self._slow_floor
                    last = now
                    if now >= deadline:
                        repost = True
                        return
                    if self.urgent or (higher and any(higher)):
                        break
        except BaseException:
            repost = True  # KeyboardInterrupt/SystemExit propagate; the rest still runs later
            raise
        finally:
            self._depth -= 1
            self.progress_at = end = perf()
            elapsed = end - start
            if elapsed > self.max_drain:
                self.max_drain = elapsed
            # A callback's exception kept by a waiter holds this frame (its traceback's
            # frames hold their callers): naming the entry here would close a cycle.
            entry = fn = owner = replaced = None
            call, args = _NO_CALL, ()  # typed locals (compiled: a C tuple) take no None
            held = []
            if repost:
                self.wake()  # unless a producer already posted one that has not started
            if failed is not None:
                raise failed  # the loop hears of the failed post, as from any other

    def _note_slow(self, fn: object, seconds: float) -> None:
        inner = getattr(fn, "func", fn)  # functools.partial: name what it wraps
        name = getattr(inner, "__qualname__", None) or repr(inner)
        slowest = self.slowest
        slowest.append((seconds, name))
        slowest.sort(reverse=True)
        del slowest[SLOWEST_KEPT:]
        if len(slowest) == SLOWEST_KEPT:
            self._slow_floor = slowest[-1][0]

    def _go_idle(self) -> bool:
        """Lanes looked empty: go idle unless a producer raced us; True when idle."""
        finished = False
        with self._lock:
            # A producer that appends after this check sees scheduled=False (cleared when
            # this drain started, or set by a wake still to come) and wakes us.
            if any(self._lanes):
                return False
            # A nested drain leaves the close to the outermost one: its callback still runs.
            if self.state == _CLOSING and self._depth == 1:
                self.state = _CLOSED
                finished = True
        if finished:
            self._on_closed()
        return True

    def _run_waiting(self, entry: _Waiting) -> object:
        """Run a ``call()`` entry: its caller gets the outcome, so it is no unhandled error."""
        fn = entry.fn
        future = entry.future
        if not future.set_running_or_notify_cancel():
            self.dropped_main += 1  # withdrawn after a timeout
            return fn
        try:
            result = fn(*entry.args)
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
        return fn

    # ---------------------------------------------------------------- closing

    def close(self, run_pending: bool) -> None:
        """Stop accepting entries; run (main thread) or drop pending entries; release waiters."""
        with self._lock:
            if self.state == _CLOSED:
                return
            on_main = self._backend.is_main_thread()
            # From a worker, or from a callback of the running drain, only a drain can run
            # what is pending: let the current or a final drain finish the close.
            deferred = run_pending and (not on_main or self._depth > 0)
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
        self.drop_all(DispatcherClosed(_DROPPED_BY_CLOSE))


# A compiled (mypyc) class cannot be weakly referenced, and the backend must hold the queue
# weakly (see __init__): this interpreted subclass adds the slot. No cost when interpreted.
_WEAK_SLOT: Final = () if hasattr(_QueueCore, "__weakref__") else ("__weakref__",)
MainQueue = cast(
    "type[_QueueCore]",
    type(
        "MainQueue",
        (_QueueCore,),
        {"__slots__": _WEAK_SLOT, "__module__": __name__},
    ),
)


def _bad_priority(priority: object) -> ValueError:
    names = ", ".join(p.name for p in Priority)
    return ValueError(f"priority must be a uidispatch.Priority ({names}), got {priority!r}")


_NO_CALL: Final[tuple[Any, tuple[Any, ...], Any]] = (None, (), None)
# A keyed entry's ``taken`` when the drain ran (or a drop discarded) the call it was made with.
_ORIGINAL: Final[tuple[Any, tuple[Any, ...], Any]] = (None, (), "original")


def _check_hashable(key: object) -> None:
    """Raise the call site's error for an unhashable ``key`` (after a TypeError)."""
    try:
        hash(key)
    except TypeError:
        raise TypeError(f"key must be hashable, got {key!r}") from None


def _owner_alive(owner: weakref.ref[Any], backend: MainThreadDispatcher) -> bool:
    obj = owner()
    return obj is not None and backend.is_alive(obj)


def _fail(future: concurrent.futures.Future[Any], exc: BaseException) -> None:
    if future.set_running_or_notify_cancel():
        future.set_exception(exc)
