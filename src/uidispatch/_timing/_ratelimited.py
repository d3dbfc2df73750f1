"""RateLimited: what ``@throttle`` / ``@debounce`` return, a callable and a descriptor."""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from .._core._dispatcher import Dispatcher
from .._core._options import callable_kind
from ._bound import Binder, BoundRateLimited
from ._gate import Gate
from ._lazy import LazyDispatcher
from ._signature import max_positional

__all__ = ["RateLimited"]

P = ParamSpec("P")
P2 = ParamSpec("P2")
T = TypeVar("T")


class RateLimited(Generic[P]):
    """A throttled or debounced function, as returned by :func:`throttle` / :func:`debounce`.

    Call it like the wrapped function, from any thread; it returns ``None`` and the
    wrapped function runs later (or now, on a leading edge), always on the main thread.
    Positional and keyword arguments are both forwarded: the options were fixed at
    decoration, so none of the function's own arguments can be taken for one. Extra
    positional arguments are dropped when it runs, as a Qt or psygnal signal drops them
    for a plain slot: the function gets the leading ones it accepts (all with
    ``*args``), read from its signature at decoration. Keyword arguments are passed as
    they are.

    On a class it is a descriptor: each instance gets its own state (two widgets never
    share a throttle), held by the instance's identity and a weak reference.
    ``widget.refresh`` (a :class:`BoundRateLimited`) holds the widget weakly too, so
    neither a pending call, a kept ``widget.refresh`` nor a signal connected to it keeps
    the widget alive; when the instance is collected, or its widget destroyed
    (``backend.is_alive``), its pending call is dropped, and later calls do nothing.

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
        # After a run, a throttle's window opens; so does a leading debounce's quiet
        # period (psygnal's and superqt's too), so the next call is not a leading edge.
        self._restart = window or leading
        self._max_args = max_positional(fn)  # read once; the gate cuts per run, not per call
        self._gate = Gate(self, None)
        self._bound: Binder[BoundRateLimited[Any]] = Binder(kind)  # one per instance
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
            self._bound.get(args[0], self._bind)._gate.call(args[1:], kwargs)
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
        # Binder.get's fast path inline: one Python call less on every widget.refresh.
        bound = self._bound._items.get(id(instance))
        if bound is not None and bound._ref() is instance:
            return bound
        return self._bound.get(instance, self._bind)

    def _bind(self, ref: weakref.ref[Any]) -> BoundRateLimited[Any]:
        return BoundRateLimited(self, ref)

    def call_now(self, *args: P.args, **kwargs: P.kwargs) -> None:
        """Run the wrapped function now, bypassing the limit (a "refresh" button). Any thread.

        On the main thread it runs before returning; from a worker it is marshalled there.
        A pending call is dropped (counted in :attr:`dropped`: this call supersedes it)
        and a throttle starts a new window from this call (a leading debounce, a new
        quiet period).

        Raises:
            DispatcherClosed: the given dispatcher is closed.
            NoBackendDetected: no dispatcher given and none can be found.

        """
        owner = self._owner
        if owner is not None and args and isinstance(args[0], owner):
            self._bound.get(args[0], self._bind)._gate.call_now(args[1:], kwargs)
        else:
            self._gate.call_now(args, kwargs)

    @property
    def dropped(self) -> int:
        """Calls merged away: replaced by a later one, outside any edge, or cancelled.

        Calls for an instance that is gone (collected, or its widget destroyed) count too.
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

        A throttle then starts a new window from the flushed call (a leading debounce, a
        new quiet period). A no-op when nothing is pending or after ``close()``.
        """
        self._gate.flush()

    @property
    def pending(self) -> bool:
        """True while a call is waiting for its timer. Any thread (a snapshot).

        A worker's call is marshalled first, so ``pending`` turns true once the main
        thread has seen it. False after the dispatcher closed.
        """
        return self._gate.pending

    def __repr__(self) -> str:
        return f"<{self._kind} {self._name} {self._describe()}>"

    def _describe(self) -> str:
        if self._kind == "throttle":
            return f"interval={self._wait} leading={self._leading} trailing={self._trailing}"
        return f"wait={self._wait} max_wait={self._max_wait} leading={self._leading}"
