"""CircuitBreaker: stop calling a service that keeps failing, and probe it again later."""

from __future__ import annotations

import functools
import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from .._core._options import check_count, check_seconds, owner_error
from .._core._registry import get_dispatcher
from .._core._release import hand_over
from .._core._timers import TimerHandle, TimerThread
from .._core._weakcall import weak_callable

if TYPE_CHECKING:
    from .._core._dispatcher import Dispatcher

__all__ = ["BreakerState", "CircuitBreaker"]

logger = logging.getLogger("uidispatch")

BreakerState = Literal["closed", "open", "half_open"]

_timers = TimerThread("uidispatch-breakers", idle=10.0)

# What ``_admit`` answers: refused, an ordinary call, or the one probe of a half-open breaker.
REFUSED, ADMITTED, PROBE = 0, 1, 2


class _Listener:
    __slots__ = ("__weakref__", "active", "callback", "dispatcher", "fixed", "owner")

    def __init__(
        self, callback: Callable[[str], object], dispatcher: Dispatcher | None, owner: Any
    ) -> None:
        # A bound method is held by its object, weakly, as on_busy holds it: an app whose
        # window listens to its own breaker (on_change(self.refresh)) makes no cycle.
        self.callback = weak_callable(callback, self._gone)
        self.dispatcher = dispatcher
        self.fixed = dispatcher is not None  # given by the caller: never looked up again
        self.owner = owner
        self.active = True

    def cancel(self) -> None:
        """Stop calling this listener; idempotent; any thread."""
        self.active = False

    def _gone(self, _: object) -> None:
        self.active = False


class CircuitBreaker:
    """Fail calls to a service fast while it is down; probe it now and then until it is back.

    Pass one breaker per service to :meth:`Pool.submit` (``breaker=br``), from any pool
    and any thread. ``closed`` (normal): a task that finally fails (after its retries,
    timeouts included; cancellation is not a failure) is counted, and ``max_failures``
    of them within ``window`` seconds open the breaker. ``open``: a submission returns a
    task already ``FAILED`` with :class:`~uidispatch.CircuitOpen`, without running
    anything. ``reset_after`` seconds after it opened it turns ``half_open``: the next
    submission runs as the one probe (others are refused while it runs); its success
    closes the breaker, its failure opens it again for ``reset_after`` seconds. Tasks
    admitted before the breaker opened still run; their outcome no longer counts.

    Thread-safe. :meth:`on_change` callbacks run on the main thread.

    Raises:
        ValueError: ``max_failures`` < 1, or a ``window``/``reset_after`` that is not a
            finite number of seconds > 0 (named, with the value).

    """

    def __init__(
        self, max_failures: int = 5, window: float = 60.0, reset_after: float = 30.0
    ) -> None:
        self.max_failures = check_count("max_failures", max_failures, 1)
        """Failures within ``window`` that open the breaker."""
        self.window = check_seconds("window", window, zero_ok=False)
        """Seconds over which failures are counted."""
        self.reset_after = check_seconds("reset_after", reset_after, zero_ok=False)
        """Seconds the breaker stays open before a probe may run."""
        self._lock = threading.Lock()
        self._state: BreakerState = "closed"
        self._failures: deque[float] = deque()
        self._opened_at = 0.0
        self._probing = False
        self._listeners: list[_Listener] = []
        self._handle: TimerHandle | None = None
        # Replaced together by virtual-time tests.
        self._clock: Callable[[], float] = time.monotonic
        self._timers: Any = _timers
        self.opened = 0
        """How many times the breaker opened."""
        self.refused = 0
        """Submissions failed with ``CircuitOpen`` without running."""

    @property
    def state(self) -> BreakerState:
        """``"closed"``, ``"open"`` or ``"half_open"``. Any thread."""
        with self._lock:
            changed = self._tick_locked()
        self._notify(changed)
        return self._state

    def __repr__(self) -> str:
        return (
            f"<uidispatch.CircuitBreaker {self._state} max_failures={self.max_failures} "
            f"window={self.window} reset_after={self.reset_after}>"
        )

    def on_change(
        self,
        callback: Callable[[str], object],
        *,
        owner: object | None = None,
        dispatcher: Dispatcher | None = None,
    ) -> _Listener:
        """Call ``callback(state)`` on the main thread each time the state changes.

        ``dispatcher`` defaults to ``uidispatch.get_dispatcher()``, looked up now when an
        app is there (call this on the main thread, or pass it), else at the first change.
        ``owner`` (held weakly) stops the callback once that widget is gone. Returns a
        handle whose ``cancel()`` stops it. A change with no app to deliver it to (none
        found, or its dispatcher closed) is dropped quietly. Any thread.

        Raises:
            TypeError: ``callback`` is not callable or ``owner`` cannot be weakly
                referenced.

        """
        if not callable(callback):
            raise TypeError(f"callback must be callable, got {callback!r}")
        ref = None
        if owner is not None:
            try:
                ref = weakref.ref(owner)
            except TypeError:
                raise owner_error(owner) from None
        listener = _Listener(callback, dispatcher, ref)
        if dispatcher is None:
            listener.dispatcher = _lookup()
        with self._lock:
            self._listeners.append(listener)
        return listener

    def reset(self) -> None:
        """Close the breaker now and forget the failures counted. Any thread."""
        with self._lock:
            changed = self._set_locked("closed")
            self._failures.clear()
        self._notify(changed)

    # ------------------------------------------------------------------ pool side

    def _admit(self) -> int:
        """May a task start? ``REFUSED``, ``ADMITTED`` or ``PROBE``. Any thread."""
        with self._lock:
            changed = self._tick_locked()
            state = self._state
            if state == "closed":
                answer = ADMITTED
            elif state == "half_open" and not self._probing:
                self._probing = True
                answer = PROBE
            else:
                self.refused += 1
                answer = REFUSED
        self._notify(changed)
        return answer

    def _record(self, admitted: int, outcome: str) -> None:
        """Book a finished task: ``outcome`` is ``"ok"``, ``"failed"`` or ``"cancelled"``."""
        with self._lock:
            changed = None
            now = self._clock()
            if admitted == PROBE:
                self._probing = False
                if outcome == "ok":
                    self._failures.clear()
                    changed = self._set_locked("closed")
                elif outcome == "failed":
                    changed = self._open_locked(now)
            elif self._state == "closed" and outcome == "failed":
                failures = self._failures
                failures.append(now)
                horizon = now - self.window
                while failures and failures[0] <= horizon:
                    failures.popleft()
                if len(failures) >= self.max_failures:
                    changed = self._open_locked(now)
        self._notify(changed)

    # ------------------------------------------------------------------ internals

    def _open_locked(self, now: float) -> str | None:
        self._failures.clear()
        self._opened_at = now
        self.opened += 1
        if self._handle is not None:
            self._handle.cancel()
        # Held weakly: the timer thread must never be what keeps a breaker (and the
        # widgets its listeners name) alive, or it would be the thread that frees them.
        self._handle = self._timers.schedule(
            self.reset_after, functools.partial(_due, weakref.ref(self))
        )
        return self._set_locked("open")

    def _tick_locked(self) -> str | None:
        if self._state == "open" and self._clock() >= self._opened_at + self.reset_after:
            return self._set_locked("half_open")
        return None

    def _set_locked(self, state: BreakerState) -> str | None:
        if state == self._state:
            return None
        self._state = state
        if state != "half_open":
            self._probing = False
        if state != "open" and self._handle is not None:
            self._handle.cancel()
            self._handle = None
        logger.info("circuit breaker %r is now %s", self, state)
        return state

    def _notify(self, state: str | None) -> None:
        if state is None:
            return
        with self._lock:
            self._listeners = listeners = [x for x in self._listeners if x.active]
        # What this thread holds of the app's (listeners, owners) goes to the main thread
        # at the end: the app may drop the breaker meanwhile, leaving these the last.
        held: list[Any] = [listeners]
        via = target = listener = None
        for listener in listeners:
            target = None
            if listener.owner is not None:
                target = listener.owner()
                if target is None:
                    listener.active = False
                    continue
                held.append(target)
            try:
                d = listener.dispatcher
                if d is None or (d.closed and not listener.fixed):
                    d = listener.dispatcher = _lookup(raising=True)
                assert d is not None
                via = d
                d.call_soon(_deliver, listener, state, owner=target)
            except Exception as exc:  # no app (any more): nothing to show
                logger.debug("circuit breaker change %s not delivered: %r", state, exc)
        del listeners, listener, target
        hand_over(held, None if via is None else weakref.ref(via))


def _due(ref: weakref.ref[CircuitBreaker]) -> None:  # timer thread: reset_after has passed
    breaker = ref()
    if breaker is None:
        return
    with breaker._lock:
        changed = breaker._tick_locked()
    breaker._notify(changed)
    box: list[Any] = [breaker]  # the app may have let go of it meanwhile
    del breaker
    hand_over(box)


def _lookup(*, raising: bool = False) -> Dispatcher | None:
    try:
        return get_dispatcher()
    except Exception:
        if raising:
            raise
        return None


def _deliver(listener: _Listener, state: str) -> None:
    callback = listener.callback() if listener.active else None
    if callback is not None:
        callback(state)
