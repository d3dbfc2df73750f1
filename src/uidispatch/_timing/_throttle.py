"""throttle and debounce: one small state machine over the dispatcher's ``call_later``.

A toolkit timer per decorated function (or per instance, for methods), never a
``threading.Timer``: the state is touched on the main thread only, calls from workers are
marshalled there first with ``call_soon``, and the function always runs on the main thread.
"""

from __future__ import annotations

import functools
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from .._core._dispatcher import Dispatcher, provide_shortcut
from .._core._errors import DispatcherClosed
from .._core._options import callable_kind, check_seconds
from ._main_thread import LazyDispatcher

__all__ = ["BoundRateLimited", "RateLimited", "debounce", "throttle"]

P = ParamSpec("P")
P2 = ParamSpec("P2")
T = TypeVar("T")

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


class _Gate:
    """The state of one throttled/debounced function, or of one instance's method.

    Main thread only, except :meth:`call`, :meth:`cancel`, :meth:`flush` and
    :attr:`pending`, which marshal to the main thread (in order, so a worker's
    ``f(x); f.cancel()`` cancels that call).

    States: idle (no timer) -> waiting (a timer armed, maybe a pending call) -> idle.
    A throttle's timer is its window: fixed at ``interval`` from the burst's start or its
    last call, calls do not extend it, and after a trailing call a new window opens so that
    calls stay ``interval`` apart. A debounce's timer is its quiet period: each call moves
    the deadline to ``last call + wait`` (capped at ``burst start + max_wait``); the timer
    is re-armed lazily when it fires early rather than on every call.
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
        d = self._limiter._lazy.get()
        if d.closed:
            raise DispatcherClosed(f"{self._limiter._name}.call_now() on a closed dispatcher")
        if d.is_main_thread():
            self._now_main(d, args, kwargs)
        else:
            d.call_soon(self._now_main, d, args, kwargs)

    def cancel(self) -> None:
        d = self._limiter._lazy.peek()
        if d is None:
            return  # never called, or its dispatcher closed: nothing can be pending
        if d.is_main_thread():
            self._reset()
        else:
            d.call_soon(self._cancel_main, d)

    def flush(self) -> None:
        d = self._limiter._lazy.peek()
        if d is None:
            return
        if d.is_main_thread():
            self._flush_main(d)
        else:
            d.call_soon(self._flush_main, d)

    @property
    def pending(self) -> bool:
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
        if self._limiter._window:
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
        if self._limiter._window:
            # The flushed call counts as this window's call: the rate limit still holds.
            self._anchor = _clock(d)()
            self._arm(d, self._anchor + self._limiter._wait)
        self._invoke(d, *pending)

    def _now_main(self, d: Dispatcher, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if self._d() is not d:
            self._reset()
            self._d = weakref.ref(d)
        self._reset()  # the pending call is superseded by this one
        if self._limiter._window:
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
        fn = self._limiter._fn
        if self._ref is not None:
            instance = self._ref()
            # A destroyed widget (Tk winfo_exists, Qt isValid) is skipped, not called:
            # this replaces try/except around after() in widget code.
            if instance is None or not d.backend.is_alive(instance):
                self._reset()
                return
            args = (instance, *args)
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


class RateLimited(Generic[P]):
    """A throttled or debounced function, as returned by :func:`throttle` / :func:`debounce`.

    Call it like the wrapped function, from any thread; it returns ``None`` and the
    wrapped function runs later (or now, on a leading edge), always on the main thread.
    Positional and keyword arguments are both forwarded: the options were fixed at
    decoration, so none of the function's own arguments can be taken for one.

    On a class it is a descriptor: each instance gets its own state (two widgets never
    share a throttle), held by the instance's identity and a weak reference, so a pending
    call never keeps the instance alive; when the instance is collected, or its widget
    destroyed (``backend.is_alive``), the pending call is dropped.

    An exception raised by the function goes to the dispatcher's error handler (never to
    the caller that happened to trigger the edge). The default dispatcher is looked up at
    the first call and again once it has closed. When the dispatcher closes, the pending
    call is dropped with its timers; calling with a closed ``dispatcher=`` raises
    :class:`DispatcherClosed`.
    """

    # Copied from the wrapped function by functools.update_wrapper.
    __wrapped__: Callable[..., object]
    __name__: str
    __qualname__: str

    def __init__(
        self,
        fn: Callable[P, object],
        *,
        kind: str,
        wait: float,
        max_wait: float | None,
        leading: bool,
        trailing: bool,
        window: bool,
        dispatcher: Dispatcher | None,
    ) -> None:
        if not callable(fn):
            raise TypeError(f"{kind} can only decorate a callable, got {fn!r}")
        found = callable_kind(fn)
        if found is not None:
            raise TypeError(
                f"{kind} can only decorate a plain function, got {found} {fn!r}: its body "
                f"would never run; decorate a plain function that starts the work "
                f"(ud.submit(fn) for a worker, asyncio.ensure_future(fn()) on an asyncio loop)"
            )
        functools.update_wrapper(self, fn)
        self._fn = fn
        self._name: str = getattr(fn, "__qualname__", None) or repr(fn)
        self._kind = kind
        self._wait = wait
        self._max_wait = max_wait
        self._leading = leading
        self._trailing = trailing
        self._window = window
        self._lazy = LazyDispatcher(dispatcher)
        self._gate = _Gate(self, None)
        self._gates: dict[int, _Gate] = {}
        self._gates_lock = threading.RLock()  # re-entrant: a weakref callback may run under it
        self._owner: type | None = None
        self._dropped = 0

    def __set_name__(self, owner: type, name: str) -> None:
        self._owner = owner

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> None:
        """Request a call of the wrapped function; see the class docstring. Any thread.

        Raises:
            DispatcherClosed: the given dispatcher is closed.
            NoBackendDetected: no dispatcher given and none can be found.
            QueueFull: from a worker, when the queue is full with ``overflow="raise"``.

        """
        owner = self._owner
        if owner is not None and args and isinstance(args[0], owner):
            # Called through the class (Base.refresh(self) in a subclass): still per instance.
            self._gate_for(args[0]).call(args[1:], kwargs)
        else:
            self._gate.call(args, kwargs)

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> RateLimited[P]: ...

    @overload
    def __get__(
        self: RateLimited[Concatenate[T, P2]], instance: T, owner: type | None = None
    ) -> BoundRateLimited[P2]: ...

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        if instance is None:
            return self
        return BoundRateLimited(self, instance, self._gate_for(instance))

    def call_now(self, *args: P.args, **kwargs: P.kwargs) -> None:
        """Run the wrapped function now, bypassing the limit (a "refresh" button). Any thread.

        On the main thread it runs before returning; from a worker it is marshalled there.
        A pending call is dropped (counted in :attr:`dropped`: this call supersedes it)
        and a throttle starts a new window from this call.

        Raises:
            DispatcherClosed: the given dispatcher is closed.
            NoBackendDetected: no dispatcher given and none can be found.

        """
        owner = self._owner
        if owner is not None and args and isinstance(args[0], owner):
            self._gate_for(args[0]).call_now(args[1:], kwargs)
        else:
            self._gate.call_now(args, kwargs)

    @property
    def dropped(self) -> int:
        """Calls merged away: replaced by a later one, outside any edge, or cancelled.

        For a method, the total over all instances (each bound method has its own).
        Read from any thread (a snapshot); counted on the main thread.
        """
        return self._dropped

    def cancel(self) -> None:
        """Drop the pending call and stop the timer; the next call starts afresh. Any thread.

        From a worker it takes effect on the main thread, after the calls that worker made
        before. A no-op when nothing is pending or after ``close()``.
        """
        self._gate.cancel()

    def flush(self) -> None:
        """Run the pending call now, on the main thread (from a worker: marshalled there).

        A throttle then starts a new window from the flushed call. A no-op when nothing is
        pending or after ``close()``.
        """
        self._gate.flush()

    @property
    def pending(self) -> bool:
        """True while a call is waiting for its timer. Any thread (a snapshot).

        A worker's call is marshalled first, so ``pending`` turns true once the main
        thread has seen it. False after the dispatcher closed.
        """
        return self._gate.pending

    def _gate_for(self, instance: object) -> _Gate:
        key = id(instance)
        gate = self._gates.get(key)
        # Identity, not equality: two widgets that compare equal must not share a throttle,
        # and unhashable instances work too (why this is not a WeakKeyDictionary).
        if gate is not None and gate._ref is not None and gate._ref() is instance:
            return gate
        gates, lock = self._gates, self._gates_lock

        def forget(ref: weakref.ref[Any]) -> None:
            with lock:
                old = gates.get(key)
                if old is not None and old._ref is ref:
                    del gates[key]
                    # Its timer still holds the gate until it fires (maybe days away): the
                    # pending arguments go now, so they do not outlive the instance.
                    old._pending = None

        with lock:
            gate = gates.get(key)
            if gate is not None and gate._ref is not None and gate._ref() is instance:
                return gate
            try:
                ref = weakref.ref(instance, forget)
            except TypeError:
                raise TypeError(
                    f"{self._kind} on a method needs instances that support weak references; "
                    f"{type(instance).__name__} does not (add '__weakref__' to its __slots__)"
                ) from None
            gate = gates[key] = _Gate(self, ref)
            return gate

    def __repr__(self) -> str:
        return f"<{self._kind} {self._name} {self._describe()}>"

    def _describe(self) -> str:
        if self._kind == "throttle":
            return f"interval={self._wait} leading={self._leading} trailing={self._trailing}"
        return f"wait={self._wait} max_wait={self._max_wait}"


class BoundRateLimited(Generic[P]):
    """A throttled or debounced method bound to one instance (``widget.refresh``).

    Calling it, ``cancel()``, ``flush()`` and ``pending`` act on that instance's own state;
    see :class:`RateLimited`.
    """

    __slots__ = ("__self__", "_gate", "_limiter")

    def __init__(self, limiter: RateLimited[Any], instance: object, gate: _Gate) -> None:
        self._limiter = limiter
        self.__self__ = instance
        self._gate = gate

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> None:
        """Request a call for this instance. Any thread; see :class:`RateLimited`."""
        self._gate.call(args, kwargs)

    def call_now(self, *args: P.args, **kwargs: P.kwargs) -> None:
        """Run now for this instance, bypassing the limit; see :meth:`RateLimited.call_now`."""
        self._gate.call_now(args, kwargs)

    @property
    def dropped(self) -> int:
        """Calls of this instance merged away; see :attr:`RateLimited.dropped`."""
        return self._gate._dropped

    def cancel(self) -> None:
        """Drop this instance's pending call; see :meth:`RateLimited.cancel`."""
        self._gate.cancel()

    def flush(self) -> None:
        """Run this instance's pending call now; see :meth:`RateLimited.flush`."""
        self._gate.flush()

    @property
    def pending(self) -> bool:
        """True while this instance has a call waiting; see :attr:`RateLimited.pending`."""
        return self._gate.pending

    @property
    def __wrapped__(self) -> Callable[..., object]:
        return self._limiter._fn

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, BoundRateLimited)
            and other._gate is self._gate
            and other._limiter is self._limiter
        )

    def __hash__(self) -> int:
        return hash((id(self._limiter), id(self._gate)))

    def __repr__(self) -> str:
        lim = self._limiter
        return f"<bound {lim._kind} {lim._name} of {self.__self__!r} {lim._describe()}>"


def _seconds(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        hint = "; give it a number, as in @throttle(0.1)" if callable(value) else ""
        raise TypeError(f"{name} must be a number of seconds, got {value!r}{hint}")
    return check_seconds(name, value, zero_ok=True)


def _flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return value


def _decorator(**config: Any) -> Callable[[Callable[P, object]], RateLimited[P]]:
    LazyDispatcher(config["dispatcher"])  # a bad dispatcher= fails here, at decoration

    def decorate(fn: Callable[P, object]) -> RateLimited[P]:
        return RateLimited(fn, **config)

    return decorate


def throttle(
    interval: float,
    leading: bool = True,
    trailing: bool = True,
    dispatcher: Dispatcher | None = None,
) -> Callable[[Callable[P, object]], RateLimited[P]]:
    """Decorator: call the function at most once per ``interval`` seconds.

    ``leading=True`` runs the first call of a burst at once; ``trailing=True`` runs one
    more when the window ends, with the *latest* arguments received during it, and opens
    a new window from it, so runs stay ``interval`` apart under a continuous stream.
    Calls with no edge to run on are dropped (counted in ``.dropped``, as are calls
    replaced by later ones). ``.call_now(*args)`` runs at once, bypassing the throttle
    (a "refresh" button), and opens a new window from that call.

    Returns a :class:`RateLimited` (see it for threads, methods, errors, ``cancel()``,
    ``flush()``, ``call_now()``, ``dropped``, ``pending`` and closing). Without
    ``dispatcher=`` the default dispatcher is resolved at the first call, not at
    decoration.

    A huge ``interval`` (``1e10``, ``10**400``) is clamped to 1e9 seconds: "practically
    never". The decorated function must be a plain function: a coroutine, generator or
    async generator function is refused at decoration (its body would never run).

    Raises:
        TypeError: ``interval`` is not a number (``@throttle`` without parentheses), a flag
            is not a bool, ``dispatcher`` is not a :class:`Dispatcher`, or (at decoration)
            the function is a coroutine, generator or async generator function.
        ValueError: ``interval`` is negative or not finite, or both ``leading`` and
            ``trailing`` are False (the function would never run).

    """
    wait = _seconds("interval", interval)
    if not (_flag("leading", leading) | _flag("trailing", trailing)):
        raise ValueError(
            "throttle needs leading=True or trailing=True (or both); with leading=False and "
            "trailing=False the function would never run"
        )
    return _decorator(
        kind="throttle",
        wait=wait,
        max_wait=None,
        leading=leading,
        trailing=trailing,
        window=True,
        dispatcher=dispatcher,
    )


def debounce(
    wait: float,
    max_wait: float | None = None,
    dispatcher: Dispatcher | None = None,
) -> Callable[[Callable[P, object]], RateLimited[P]]:
    """Decorator: call the function once calls have stopped for ``wait`` seconds.

    Each call restarts the quiet period (counted from when the call was made, also in a
    worker); the function then runs once, with the latest arguments. ``max_wait`` bounds
    the delay under a continuous stream: the pending call runs at the latest ``max_wait``
    seconds after the burst's first call, so at least that often.

    Returns a :class:`RateLimited` (see it for threads, methods, errors, ``cancel()``,
    ``flush()``, ``pending`` and closing). Without ``dispatcher=`` the default dispatcher
    is resolved at the first call, not at decoration.

    Huge ``wait`` / ``max_wait`` values are clamped to 1e9 seconds, and a coroutine,
    generator or async generator function is refused at decoration, as for
    :func:`throttle`.

    Raises:
        TypeError: ``wait`` or ``max_wait`` is not a number (``@debounce`` without
            parentheses), ``dispatcher`` is not a :class:`Dispatcher`, or (at decoration)
            the function is a coroutine, generator or async generator function.
        ValueError: ``wait`` or ``max_wait`` is negative or not finite, or ``max_wait``
            is less than ``wait``.

    """
    quiet = _seconds("wait", wait)
    cap = None if max_wait is None else _seconds("max_wait", max_wait)
    if cap is not None and cap < quiet:
        raise ValueError(
            f"max_wait must be >= wait ({wait!r}), got max_wait={max_wait!r}: it caps how "
            "long a call may be delayed, and wait alone already delays it longer"
        )
    return _decorator(
        kind="debounce",
        wait=quiet,
        max_wait=cap,
        leading=False,
        trailing=True,
        window=False,
        dispatcher=dispatcher,
    )


provide_shortcut("throttle", throttle)
provide_shortcut("debounce", debounce)
