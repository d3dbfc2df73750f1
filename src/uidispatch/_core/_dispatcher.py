"""Dispatcher: what users hold; every policy of main-thread dispatch, once, for all backends.

Its stats snapshot (``_stats``), ``call_later``'s timers (``_calltimer``), the checks of
its drain options (``_backpressure``), waiting for the main thread's answer
(``_dispatcher_wait``) and closing (``_dispatcher_close``) live in modules of their own;
``DispatchStats`` is imported back here.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, TypeVar

from ._backpressure import UNSET as _UNSET  # the name configure() shows in its signature
from ._backpressure import check_drain_options
from ._calltimer import _Call, _Timer, start_timer
from ._dispatcher_close import close_dispatcher, finish_close, forked
from ._dispatcher_wait import CALL_WAY_OUT, submit_future, wait_for_main
from ._errors import DispatcherClosed
from ._fork import track_dispatcher
from ._options import check_callback, check_seconds
from ._priority import Priority
from ._protocol import MainThreadDispatcher
from ._queue import _OPEN, MainQueue
from ._release import note_dispatcher
from ._stats import DispatchStats, snapshot

if TYPE_CHECKING:
    from typing import ParamSpec

    # Annotations only (tests/test_layers.py keeps them so): these layers sit above this
    # one and supply the shortcuts below through provide_shortcut().
    from .._addons._watchdog import StallInfo, StallWatch
    from .._timing._throttle import RateLimited

    P = ParamSpec("P")

__all__ = ["DispatchStats", "Dispatcher", "provide_shortcut"]

T = TypeVar("T")
ErrorHandler = Callable[[BaseException, object], None]

logger = logging.getLogger("uidispatch")

# d.main_thread, d.throttle, d.debounce and d.watch_stalls front the timing decorators and
# the stall watchdog, which live in the layers above; each of those modules registers its
# function here when imported, and the package imports them all before any app code runs.
_shortcuts: dict[str, Callable[..., Any]] = {}


def provide_shortcut(name: str, fn: Callable[..., Any]) -> None:
    """Back the dispatcher method ``name`` with ``fn`` (a layer above calls this at import)."""
    _shortcuts[name] = fn


class Dispatcher:
    """Runs calls on the UI thread of one backend: priorities, coalescing, owners, budgets.

    Build it with :func:`uidispatch.get_dispatcher` (auto-detected, bound to the current
    app) or directly around any :class:`MainThreadDispatcher`. All methods are safe to
    call from any thread unless their docstring says otherwise.
    """

    def __init__(self, backend: MainThreadDispatcher) -> None:
        if not isinstance(backend, MainThreadDispatcher):
            raise TypeError(
                f"backend must implement uidispatch.MainThreadDispatcher (name, is_main_thread, "
                f"post, call_later, is_alive, process_events, on_app_closed, close), "
                f"got {backend!r}"
            )
        self._backend = backend
        self._error_handler: ErrorHandler = _log_error
        self._lock = threading.Lock()
        self._closed_backend = False
        self._timer_errors = 0
        # Called as fn(self) once, when close() starts: the registry forgets us then, so a
        # closed dispatcher is not kept alive until the next lookup.
        self._on_close: list[Callable[[Dispatcher], object]] = []
        self._calls: weakref.WeakSet[_Call] = weakref.WeakSet()  # pending call_later
        # No reference cycle through the queue or the backend: a cycle holding a Tk root
        # that the collector frees on a worker thread aborts the process (BASELINES.md).
        ref = weakref.ref(self)

        def handle_error(exc: BaseException, callback: object) -> None:
            d = ref()
            if d is not None:
                d._handle_error(exc, callback)

        def finish_close() -> None:
            d = ref()
            if d is not None:
                d._finish_close()

        self._q = MainQueue(backend, handle_error, finish_close)
        if type(self).call_soon is _CALL_SOON:  # not overridden (by a subclass, or a mock)
            # One call from the producer straight into the queue: no Python frame of ours
            # in between (and none at all in the compiled build, where that halves a post).
            self.call_soon = self._q.call_soon  # type: ignore[method-assign]
        self._clock: Callable[[], float] = getattr(backend, "now", time.monotonic)

        def app_closed() -> None:
            d = ref()
            if d is not None:
                d.close()

        backend.on_app_closed(app_closed)
        track_dispatcher(self)
        note_dispatcher(self)

    # ------------------------------------------------------------------ properties

    @property
    def backend(self) -> MainThreadDispatcher:
        """The :class:`MainThreadDispatcher` this dispatcher drives."""
        return self._backend

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called (or the backend's app went away)."""
        return self._q.state != _OPEN

    @property
    def error_handler(self) -> ErrorHandler:
        """Called as ``handler(exc, callback)`` on the main thread when a callback raises.

        Default: log to the ``uidispatch`` logger with the traceback. Settable from any
        thread. An exception raised by the handler itself is logged, never propagated.
        """
        return self._error_handler

    @error_handler.setter
    def error_handler(self, handler: ErrorHandler) -> None:
        # An async handler would swallow every callback error unseen: refused here.
        check_callback("error_handler", handler, "give a plain function that logs or reports")
        self._error_handler = handler

    def is_main_thread(self) -> bool:
        """True when called on the backend's main (UI) thread."""
        return self._backend.is_main_thread()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<uidispatch.Dispatcher backend={self._backend.name!r} {state}>"

    # ------------------------------------------------------------------ posting

    def call_soon(
        self,
        fn: Callable[..., object],
        /,
        *args: Any,
        priority: Priority = Priority.NORMAL,
        key: Hashable | None = None,
        owner: object | None = None,
    ) -> None:
        """Run ``fn(*args)`` on the main thread soon; return at once. Any thread.

        Keyword arguments are options, never forwarded: use ``functools.partial``.

        Args:
            fn: the callable to run.
            priority: the lane; higher lanes drain first, FIFO within a lane.
            key: while an entry with this key is pending, replace its callable and
                arguments in place (latest wins, position kept) and count it coalesced.
            owner: held weakly; when it is gone or ``backend.is_alive(owner)`` is false
                at run time, the call is skipped and counted in ``dropped``.

        Raises:
            TypeError: ``fn`` is not callable, is a coroutine, generator or async
                generator function (its body would never run: submit it to a pool), or
                ``owner`` cannot be weakly referenced.
            ValueError: unknown ``priority``.
            DispatcherClosed: after :meth:`close`.
            QueueFull: ``max_pending`` reached with ``overflow="raise"``.

        """
        # Each dispatcher binds MainQueue.call_soon as its own (see __init__): this
        # body runs only when the method is called through the class.
        self._q.call_soon(fn, *args, priority=priority, key=key, owner=owner)

    def call(self, fn: Callable[..., T], /, *args: Any, timeout: float | None = None) -> T:
        """Run ``fn(*args)`` on the main thread and return its result. Any thread.

        On the main thread it runs inline. From another thread it waits; the callback's
        exception is re-raised in the caller. A ``timeout`` above ``MAX_SECONDS`` (about
        31.7 years, ``10**400`` included) means "practically never": it waits as with
        ``None``.

        Raises:
            TypeError: ``fn`` is not callable or is a coroutine, generator or async
                generator function; ``timeout`` is not a number.
            ValueError: ``timeout`` is negative, NaN or infinite.
            TimeoutError: the main thread did not run it within ``timeout`` seconds (the
                entry is then withdrawn and counted as dropped).
            DispatcherClosed: the dispatcher is closed, or closed while waiting.

        """
        check_callback("fn", fn, CALL_WAY_OUT)
        if timeout is not None:
            timeout = _check_delay("timeout", timeout)
        if self._backend.is_main_thread():
            if self.closed:
                raise DispatcherClosed(f"call({fn!r}) on a closed dispatcher{self._q.why}")
            return fn(*args)
        return wait_for_main(self, fn, args, timeout)

    def call_later(self, delay: float, fn: Callable[..., object], /, *args: Any) -> _Timer:
        """Run ``fn(*args)`` on the main thread after ``delay`` seconds. Any thread.

        From a worker the delay counts from this call. Returns a handle whose
        ``cancel()`` works from any thread. An exception in ``fn`` goes to the error
        handler. After :meth:`close` the call never runs and the backend's timer is
        released. A ``delay`` above ``MAX_SECONDS`` (about 31.7 years) is clamped to it:
        "practically never". No backend fires a timer early, whatever its toolkit's cap.

        Raises:
            TypeError: ``fn`` is not callable or is a coroutine, generator or async
                generator function, or ``delay`` is not a number.
            ValueError: ``delay`` is negative or not finite.
            DispatcherClosed: after :meth:`close`.

        """
        delay = _check_delay("delay", delay)
        check_callback("fn", fn)
        if self.closed:
            raise DispatcherClosed(f"call_later({fn!r}) on a closed dispatcher{self._q.why}")
        call = _Call(fn, args)
        self._calls.add(call)
        return start_timer(self, call, delay)

    # ------------------------------------------------------------------ running

    def run_until(self, predicate: Callable[[], object], timeout: float) -> bool:
        """Pump the toolkit loop until ``predicate()`` is true or ``timeout`` seconds pass.

        Main thread only (tests and scripts). Returns the last value of the predicate
        as a bool. A ``timeout`` above ``MAX_SECONDS`` is clamped to it.

        Raises:
            TypeError: ``predicate`` is not a plain callable, ``timeout`` not a number.
            ValueError: ``timeout`` is negative, NaN or infinite.
            RuntimeError: called off the main thread.

        """
        timeout = _check_delay("timeout", timeout)
        check_callback("predicate", predicate, "give a plain function returning a bool")
        if not self._backend.is_main_thread():
            raise RuntimeError("run_until() pumps the main loop: call it on the main thread")
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return bool(predicate())
            self._backend.process_events(min(remaining, 0.05))
        return True

    def report_error(self, exc: BaseException, callback: object) -> None:
        """Count ``exc`` in ``stats().errors`` and hand it to the error handler. Any thread.

        For errors of callbacks run outside the queue (timers, pool callbacks); never raises.
        """
        with self._lock:
            self._timer_errors += 1
        self._handle_error(exc, callback)

    def _handle_error(self, exc: BaseException, callback: object) -> None:
        try:
            self._error_handler(exc, callback)
        except Exception:
            logger.exception("uidispatch error handler %r raised", self._error_handler)

    # ------------------------------------------------------------------ config, stats

    def configure(
        self,
        *,
        budget: float = _UNSET,
        max_pending: int | None = _UNSET,
        overflow: str = _UNSET,
    ) -> None:
        """Set the drain budget and backpressure; options left out keep their value.

        Defaults: ``budget=0.008`` seconds of real time per drain, ``max_pending=None``
        (unbounded), ``overflow="block"`` (``"block"``, ``"drop_oldest"`` or ``"raise"``).
        ``budget`` must be finite: an infinite one would be a drain that never yields to
        the loop (a huge finite one is clamped to ``MAX_SECONDS``).

        Raises:
            TypeError / ValueError: naming the option and the bad value.

        """
        q = self._q
        budget = check_drain_options(budget, max_pending, overflow)
        if budget is not _UNSET:
            q.budget = float(budget)
        if max_pending is not _UNSET:
            q.max_pending = max_pending
        if overflow is not _UNSET:
            q.overflow = overflow

    def stats(self) -> DispatchStats:
        """Take a consistent-enough snapshot of the counters. Any thread."""
        return snapshot(self._q, self._timer_errors)

    # ------------------------------------------------------------------ closing

    def close(self, run_pending: bool = False) -> None:
        """Stop accepting calls and release the backend. Any thread; idempotent.

        By default pending calls are dropped (counted in ``dropped``) and every thread
        waiting in :meth:`call` gets :class:`DispatcherClosed`. With ``run_pending=True``
        pending calls run first, on the main thread (from a worker: in a final drain
        that the main loop runs soon, after which the backend is closed).
        """
        close_dispatcher(self, run_pending)

    _finish_close = finish_close  # fail the waiters, release the backend once
    _forked = forked  # in a forked child: closed, touching neither loop nor lock

    # ------------------------------------------------------------------ diagnostics

    def watch_stalls(
        self,
        threshold: float = 0.2,
        on_stall: Callable[[StallInfo], object] | None = None,
        *,
        interval: float | None = None,
    ) -> StallWatch:
        """Start a watchdog that reports when the main thread stops answering. Any thread.

        A heartbeat is posted through the backend every ``interval`` seconds (default
        derived from ``threshold``); when one goes unanswered for longer than
        ``threshold`` the stall is reported once, with the main thread's stack, to
        ``on_stall`` or the ``uidispatch`` logger, and again with its duration when it
        ends. Returns a handle with ``stop()``; it stops by itself on :meth:`close`.
        """
        watch: StallWatch = _shortcuts["watch_stalls"](self, threshold, on_stall, interval)
        return watch

    # ------------------------------------------------------------------ decorators

    def main_thread(
        self, fn: Any = None, /, *, wait: bool = False, timeout: float | None = None
    ) -> Any:
        """:func:`uidispatch.main_thread` bound to this dispatcher (same options)."""
        decorator = _shortcuts["main_thread"](wait=wait, timeout=timeout, dispatcher=self)
        return decorator if fn is None else decorator(fn)

    def throttle(
        self, interval: float, leading: bool = True, trailing: bool = True
    ) -> Callable[[Callable[P, object]], RateLimited[P]]:
        """:func:`uidispatch.throttle` bound to this dispatcher."""
        decorate: Callable[[Callable[P, object]], RateLimited[P]]
        decorate = _shortcuts["throttle"](interval, leading, trailing, dispatcher=self)
        return decorate

    def debounce(
        self, wait: float, max_wait: float | None = None, leading: bool = False
    ) -> Callable[[Callable[P, object]], RateLimited[P]]:
        """:func:`uidispatch.debounce` bound to this dispatcher."""
        decorate: Callable[[Callable[P, object]], RateLimited[P]]
        decorate = _shortcuts["debounce"](wait, max_wait, leading, dispatcher=self)
        return decorate

    # Queue a call whose Future the drain settles (``main_thread``): the function itself,
    # bound as a method, so that path pays no extra call.
    _submit_future = submit_future


_CALL_SOON = Dispatcher.call_soon


def _log_error(exc: BaseException, callback: object) -> None:
    logger.error(
        "uncaught exception in main-thread callback %r",
        callback,
        exc_info=(type(exc), exc, exc.__traceback__),
    )


def _check_delay(name: str, value: object) -> float:
    return check_seconds(name, value, zero_ok=True)
