"""Per-instance binding: ``obj.method`` of a decorated method, holding ``obj`` weakly."""

from __future__ import annotations

import inspect
import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, Protocol, TypeVar

from ._gate import Gate
from ._signature import bound_signature

if TYPE_CHECKING:
    from ._ratelimited import RateLimited

__all__ = ["Binder", "BoundRateLimited", "WeakMethod"]

P = ParamSpec("P")


class _Bound(Protocol):
    _ref: weakref.ref[Any]

    def _release(self) -> None: ...


B = TypeVar("B", bound=_Bound)


class Binder(Generic[B]):
    """The per-instance objects of one decorated method: ``obj.method`` is one of them.

    Each is made at its first use and lives exactly as long as its instance, holding it
    weakly: a kept ``obj.method`` or a signal connection never keeps ``obj`` alive, and
    psygnal, which holds a connected callable object weakly, stays connected while
    ``obj`` lives and lets go with it. Keyed by identity, not equality (why this is not
    a ``WeakKeyDictionary``): two widgets that compare equal never share a throttle, and
    unhashable instances work too. Any thread.
    """

    __slots__ = ("_items", "_lock", "_what")

    def __init__(self, what: str) -> None:
        self._what = what
        self._items: dict[int, B] = {}
        self._lock = threading.RLock()  # re-entrant: a weakref callback may run under it

    def __len__(self) -> int:
        return len(self._items)

    def get(self, instance: object, make: Callable[[weakref.ref[Any]], B]) -> B:
        """``instance``'s object, made as ``make(weak reference to instance)`` at first use.

        Raises:
            TypeError: ``instance`` cannot be weakly referenced.

        """
        key = id(instance)
        item = self._items.get(key)
        if item is not None and item._ref() is instance:
            return item
        items, lock = self._items, self._lock

        def forget(ref: weakref.ref[Any]) -> None:
            with lock:
                old = items.get(key)
                if old is not None and old._ref is ref:
                    del items[key]
                    old._release()

        with lock:
            item = items.get(key)
            if item is not None and item._ref() is instance:
                return item
            try:
                ref = weakref.ref(instance, forget)
            except TypeError:
                raise TypeError(
                    f"{self._what} on a method needs instances that support weak references; "
                    f"{type(instance).__name__} does not (add '__weakref__' to its __slots__)"
                ) from None
            item = items[key] = make(ref)
            return item


class WeakMethod:
    """What every ``obj.method`` of a decorated method shows: it holds ``obj`` weakly.

    ``__self__`` (None once ``obj`` was collected), ``__wrapped__`` (the function, with
    ``self``, as a bound method's ``__func__``), ``__signature__`` without ``self`` (what
    ``inspect`` and psygnal read) and ``__name__``. Subclasses set ``_ref`` and name their
    function in ``_method_function``.
    """

    __slots__ = ()
    _ref: weakref.ref[Any]

    def _method_function(self) -> Callable[..., Any]:
        raise NotImplementedError

    @property
    def __self__(self) -> Any:
        """The instance, or None once it was collected."""
        return self._ref()

    @property
    def __wrapped__(self) -> Callable[..., Any]:
        """The decorated function (with ``self``), as a bound method's ``__func__``."""
        return self._method_function()

    @property
    def __signature__(self) -> inspect.Signature | None:
        """The method's signature without ``self``, as ``inspect`` gives a bound method's."""
        return bound_signature(self._method_function())

    @property
    def __name__(self) -> str:
        """The method's name."""
        name: str = self._method_function().__name__
        return name

    def _release(self) -> None:
        """The instance was collected (Binder calls this); nothing is held for it here."""

    def _of(self) -> str:
        instance = self._ref()
        return "a collected instance" if instance is None else repr(instance)


class BoundRateLimited(WeakMethod, Generic[P]):
    """A throttled or debounced method bound to one instance (``widget.refresh``).

    Calling it, ``call_now()``, ``cancel()``, ``flush()``, ``pending`` and ``dropped``
    act on that instance's own state; see :class:`RateLimited`. It holds the instance
    weakly (``__self__`` is None once it is collected), and ``widget.refresh`` is the
    same object for as long as ``widget`` lives. Called after the instance was
    collected, it does nothing and counts the call in ``dropped``. Its signature, for
    ``inspect`` and for psygnal, is the method's without ``self``.
    """

    __slots__ = ("__weakref__", "_gate", "_limiter", "_ref")

    def __init__(self, limiter: RateLimited[Any], ref: weakref.ref[Any]) -> None:
        self._ref = ref
        self._gate = Gate(limiter, ref)
        # Strongly, so a kept widget.refresh works whatever outlives what. The limiter
        # holds this object only while the instance lives, and the instance holds its
        # class and so the limiter: this closes no cycle that refcounting would miss.
        self._limiter = limiter

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

    def _method_function(self) -> Callable[..., Any]:
        return self._limiter._fn

    @property
    def __name__(self) -> str:
        """The method's name (the limiter's, which may have been given one)."""
        return self._limiter.__name__

    def _release(self) -> None:
        # The instance is gone. Its timer still holds the gate until it fires (maybe days
        # away): the pending arguments go now, so they do not outlive the instance.
        self._gate._pending = None

    def __repr__(self) -> str:
        lim = self._limiter
        return f"<bound {lim._kind} {lim._name} of {self._of()} {lim._describe()}>"
