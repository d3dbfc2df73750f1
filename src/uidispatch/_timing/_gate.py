"""The throttle/debounce state machine: one gate per function, or per instance for methods.

A toolkit timer per gate, never a ``threading.Timer``: the state is touched on the main
thread only, calls from workers are marshalled there first with ``call_soon``, and the
function always runs on the main thread.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._core._dispatcher import Dispatcher
from .._core._errors import DispatcherClosed

if TYPE_CHECKING:
    from ._ratelimited import RateLimited

__all__ = ["Gate"]

_Pending = tuple[tuple[Any, ...], dict[str, Any]]

# Timers are re-armed for what remains when a later call moved the deadline; below this a
# remainder is rounding noise (virtual time sums floats; toolkits count whole milliseconds).
_EPSILON = 1e-6


def _no_dispatcher() -> None:
    return None


_NO_DISPATCHER: Any = _no_dispatcher  # called like a dead weakref: None


def _clock(d: Dispatcher) -> Callable[[], float]:
    # The clock the backend's timers run on: the virtual backend's own, else monotonic.
    now: Callable[[], float] = getattr(d.backend, "now", time.monotonic)
    return now


class Gate:
    """The state of one throttled/debounced function, or of one instance's method.

    Main thread only, except :meth:`call`, :meth:`cancel`, :meth:`flush` and
    :attr:`pending`, which marshal to the main thread (in order, so a worker's
    ``f(x); f.cancel()`` cancels that call).

    States: idle (no timer) -> waiting (a timer armed, maybe a pending call) -> idle.
    A throttle's timer is its window: fixed at ``interval`` from the burst's start or its
    last call, calls do not extend it, and after a trailing call a new window opens so that
    calls stay ``interval`` apart. A debounce's timer is its quiet period: each call moves
    the deadline to ``last call + wait`` (capped at ``burst start + max_wait``); the timer
    is re-armed lazily when it fires early rather than on every call. A leading debounce
    runs the call that starts a burst at once and, like a throttle, starts a new quiet
    period from each run, so the next call after a run is never a leading edge.
    """

    __slots__ = (
        "_anchor",
        "_d",
        "_dropped",
        "_fast",
        "_last_call",
        "_limiter",
        "_pending",
        "_ref",
        "_timer",
    )

    def __init__(self, limiter: RateLimited[Any], ref: weakref.ref[Any] | None) -> None:
        # A proxy: the limiter holds its gates, and a cycle through them would hold the
        # wrapped function and its pending arguments (a Tk root, freed on whichever thread
        # collects: an abort). A limiter nobody holds any more drops its pending call.
        self._limiter: RateLimited[Any] = weakref.proxy(limiter)  # type: ignore[assignment]
        self._ref = ref  # the instance, weakly: a throttle never keeps a widget alive
        # Whose timers this state holds, weakly (as the next one): a module-level throttle
        # must not keep a closed dispatcher alive.
        self._d: weakref.ref[Dispatcher] = _NO_DISPATCHER
        self._timer: Any = None
        self._pending: _Pending | None = None
        self._last_call = 0.0
        self._anchor = 0.0
        self._dropped = 0  # calls merged away (main thread writes)
        # (dispatcher, its clock, its is_main_thread), swapped as one tuple so a racing
        # worker never pairs one dispatcher with another's clock. Calls come at input-event
        # rates: this keeps a call to about a microsecond.
        self._fast: tuple[Any, Callable[[], float], Callable[[], bool]] = (
            _NO_DISPATCHER,
            time.monotonic,
            bool,
        )

    # -------------------------------------------------------------- any thread

    def call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Request a call with these arguments (``RateLimited.__call__``)."""
        d = self._limiter._lazy.get()
        fast = self._fast
        if fast[0]() is not d:
            fast = self._fast = (weakref.ref(d), _clock(d), d.backend.is_main_thread)
        if d.closed:
            raise DispatcherClosed(f"{self._limiter._name}() called on a closed dispatcher")
        # Read the clock in the caller's thread: a worker's call counts from when it was made.
        t = fast[1]()
        if fast[2]():
            self._on_call(d, args, kwargs, t)
        else:
            d.call_soon(self._on_call, d, args, kwargs, t)

    def call_now(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Run now, superseding the pending call (``RateLimited.call_now``)."""
        d = self._limiter._lazy.get()
        if d.closed:
            raise DispatcherClosed(f"{self._limiter._name}.call_now() on a closed dispatcher")
        if d.is_main_thread():
            self._now_main(d, args, kwargs)
        else:
            d.call_soon(self._now_main, d, args, kwargs)

    def cancel(self) -> None:
        """Drop the pending call and stop the timer (``RateLimited.cancel``)."""
        d = self._limiter._lazy.peek()
        if d is None:
            return  # never called, or its dispatcher closed: nothing can be pending
        if d.is_main_thread():
            self._reset()
        else:
            d.call_soon(self._cancel_main, d)

    def flush(self) -> None:
        """Run the pending call now (``RateLimited.flush``)."""
        d = self._limiter._lazy.peek()
        if d is None:
            return
        if d.is_main_thread():
            self._flush_main(d)
        else:
            d.call_soon(self._flush_main, d)

    @property
    def pending(self) -> bool:
        """Whether a call waits for the timer (``RateLimited.pending``)."""
        d = self._d()
        return self._pending is not None and d is not None and not d.closed

    # -------------------------------------------------------------- main thread

    def _on_call(
        self, d: Dispatcher, args: tuple[Any, ...], kwargs: dict[str, Any], t: float
    ) -> None:
        if self._d() is not d:
            # First call, or the old dispatcher closed and took its timers with it.
            self._reset()
            self._d = weakref.ref(d)
        if _gone(self._limiter):
            return
        lim = self._limiter
        self._last_call = t
        if self._timer is None:  # idle: this call starts a burst
            self._anchor = _clock(d)()
            if lim._leading:
                # Open the window before calling, so a call made from inside the function
                # lands in it instead of recursing through a second leading edge.
                self._arm(d, self._anchor + lim._wait)
                self._invoke(d, args, kwargs)
            else:
                self._pending = (args, kwargs)
                self._arm(d, self._due())
        elif lim._trailing:
            if self._pending is not None:
                self._drop()  # latest arguments win
            self._pending = (args, kwargs)
        else:
            self._drop()  # inside the window, with no trailing edge to run on

    def _due(self) -> float:
        lim = self._limiter
        if lim._window:
            return self._anchor + lim._wait
        due = self._last_call + lim._wait
        if lim._max_wait is not None:
            due = min(due, self._anchor + lim._max_wait)
        return due

    def _arm(self, d: Dispatcher, when: float) -> None:
        self._timer = d.call_later(max(0.0, when - _clock(d)()), self._fire, d)

    def _fire(self, d: Dispatcher) -> None:
        self._timer = None
        if self._d() is not d or d.closed:
            return
        if _gone(self._limiter):
            self._pending = None
            return
        if self._ref is not None and self._ref() is None:
            if self._pending is not None:
                self._drop()
            self._pending = None  # the instance is gone: nothing to call it on
            return
        now = _clock(d)()
        if self._pending is not None and self._due() - now > _EPSILON:
            self._arm(d, self._due())  # later calls moved the deadline
            return
        pending, self._pending = self._pending, None
        if pending is None:
            return  # the window closed with no call in it: idle again
        if self._limiter._restart:
            self._anchor = now
            self._arm(d, now + self._limiter._wait)
        self._invoke(d, *pending)

    def _cancel_main(self, d: Dispatcher) -> None:
        if self._d() is d:
            self._reset()

    def _flush_main(self, d: Dispatcher) -> None:
        if self._d() is not d or self._pending is None or _gone(self._limiter):
            return
        pending, self._pending = self._pending, None
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
        if self._limiter._restart:
            # The flushed call counts as this window's call: the rate limit still holds.
            self._anchor = _clock(d)()
            self._arm(d, self._anchor + self._limiter._wait)
        self._invoke(d, *pending)

    def _now_main(self, d: Dispatcher, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if self._d() is not d:
            self._reset()
            self._d = weakref.ref(d)
        self._reset()  # the pending call is superseded by this one
        if self._limiter._restart:
            # A new window opens at this call: the next ones are throttled from here.
            self._anchor = self._last_call = _clock(d)()
            self._arm(d, self._anchor + self._limiter._wait)
        self._invoke(d, args, kwargs)

    def _drop(self) -> None:
        self._dropped += 1
        self._limiter._dropped += 1

    def _reset(self) -> None:
        if self._pending is not None:
            self._drop()
        self._pending = None
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()

    def _invoke(self, d: Dispatcher, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        lim = self._limiter
        fn = lim._fn
        if self._ref is not None:
            instance = self._ref()
            # A destroyed widget (Tk winfo_exists, Qt isValid) is skipped, not called:
            # this replaces try/except around after() in widget code.
            if instance is None or not d.backend.is_alive(instance):
                self._drop()
                self._reset()
                return
            args = (instance, *args)
        if len(args) > lim._max_args:
            # A signal with more arguments than the function takes (Qt passes a callable
            # object all of them): the leading ones, as it would give a plain slot. Cut
            # here, once per run, rather than on every call.
            args = args[: lim._max_args]
        try:
            fn(*args, **kwargs)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            d.report_error(exc, fn)


def _gone(limiter: RateLimited[Any]) -> bool:
    """Whether a gate's limiter (a weak proxy) was collected."""
    try:
        limiter._fn  # noqa: B018 - the attribute read is the test
    except ReferenceError:
        return True
    return False
