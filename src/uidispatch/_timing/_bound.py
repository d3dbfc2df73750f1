"""Per-instance binding: each instance's own gate, and the bound method that acts on it."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, ParamSpec

from ._gate import Gate

if TYPE_CHECKING:
    from ._ratelimited import RateLimited

__all__ = ["BoundRateLimited", "gate_for"]

P = ParamSpec("P")


def gate_for(limiter: RateLimited[Any], instance: object) -> Gate:
    """``instance``'s own gate of ``limiter``, made at its first use. Any thread.

    Raises:
        TypeError: ``instance`` cannot be weakly referenced.

    """
    key = id(instance)
    gate = limiter._gates.get(key)
    # Identity, not equality: two widgets that compare equal must not share a throttle,
    # and unhashable instances work too (why this is not a WeakKeyDictionary).
    if gate is not None and gate._ref is not None and gate._ref() is instance:
        return gate
    gates, lock = limiter._gates, limiter._gates_lock

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
                f"{limiter._kind} on a method needs instances that support weak references; "
                f"{type(instance).__name__} does not (add '__weakref__' to its __slots__)"
            ) from None
        gate = gates[key] = Gate(limiter, ref)
        return gate


class BoundRateLimited(Generic[P]):
    """A throttled or debounced method bound to one instance (``widget.refresh``).

    Calling it, ``cancel()``, ``flush()`` and ``pending`` act on that instance's own state;
    see :class:`RateLimited`.
    """

    __slots__ = ("__self__", "_gate", "_limiter")

    def __init__(self, limiter: RateLimited[Any], instance: object, gate: Gate) -> None:
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
