"""RateLimited: what ``@throttle`` / ``@debounce`` return, a callable and a descriptor."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from .._core._dispatcher import Dispatcher
from .._core._options import callable_kind
from ._bound import BoundRateLimited, gate_for
from ._gate import Gate
from ._lazy import LazyDispatcher

__all__ = ["RateLimited"]

P = ParamSpec("P")
P2 = ParamSpec("P2")
T = TypeVar("T")


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
        self._gate = Gate(self, None)
        self._gates: dict[int, Gate] = {}  # one per instance, by identity: see gate_for
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
            gate_for(self, args[0]).call(args[1:], kwargs)
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
        return BoundRateLimited(self, instance, gate_for(self, instance))

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
            gate_for(self, args[0]).call_now(args[1:], kwargs)
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

    def __repr__(self) -> str:
        return f"<{self._kind} {self._name} {self._describe()}>"

    def _describe(self) -> str:
        if self._kind == "throttle":
            return f"interval={self._wait} leading={self._leading} trailing={self._trailing}"
        return f"wait={self._wait} max_wait={self._max_wait}"
