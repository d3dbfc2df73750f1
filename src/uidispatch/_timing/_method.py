"""``@main_thread`` on a method: ``obj.method`` holds ``obj`` weakly, as a throttle's does."""

from __future__ import annotations

import functools
import types
import weakref
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from .._core._dispatcher import Dispatcher
from .._core._errors import DispatcherClosed
from ._bound import Binder, WeakMethod
from ._lazy import LazyDispatcher

__all__ = ["as_method"]

P = ParamSpec("P")
R = TypeVar("R")

# What a posting wrapper hands its bound methods to inline its main-thread path: the
# dispatcher lookup, how many positional arguments the function takes (self included),
# and its worker path, post(d, func, args, kwargs).
Posting = tuple[LazyDispatcher, int, Callable[..., Any]]


def as_method(
    wrapper: Callable[P, R], func: Callable[..., Any], posting: Posting | None = None
) -> Callable[P, R]:
    """``wrapper`` itself, or a :class:`_MainThreadMethod` when ``func`` is a method.

    Whether ``func`` was defined in a class body is read from its qualified name
    (``Panel.show``, not ``make.<locals>.show``). Only methods get the descriptor: a plain
    function stays a function, which psygnal holds strongly, so a decorated function
    connected inline (``sig.connect(ud.main_thread(show))``) stays connected.
    """
    if not isinstance(func, types.FunctionType):
        return wrapper
    scope, _, _ = func.__qualname__.rpartition(".")
    if not scope or scope.endswith("<locals>"):
        return wrapper
    return _MainThreadMethod(wrapper, func, posting)


class _MainThreadMethod:
    """A ``@main_thread`` method: ``obj.method`` binds ``obj`` weakly (see ``main_thread``).

    Called through the class (``Panel.show(panel, x)``) it is the decorated function.
    """

    # Copied from the function by functools.update_wrapper.
    __wrapped__: Callable[..., object]
    __qualname__: str

    def __init__(
        self, wrapper: Callable[..., Any], func: Callable[..., Any], posting: Posting | None
    ) -> None:
        functools.update_wrapper(self, func)
        self._call = wrapper
        self._func = func
        # Inlined only when self is among the positional arguments (always, but for a
        # method that takes none and so fails as it would undecorated).
        self._posting = posting if posting is not None and posting[1] >= 1 else None
        self._bound: Binder[_BoundMainThread] = Binder("main_thread")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._call(*args, **kwargs)

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        if instance is None:
            return self
        bound = self._bound._items.get(id(instance))  # Binder.get's fast path, inline
        if bound is not None and bound._ref() is instance:
            return bound
        try:
            return self._bound.get(instance, self._bind)
        except TypeError:  # no weak references (__slots__): what a plain method gives
            return types.MethodType(self._call, instance)

    def _bind(self, ref: weakref.ref[Any]) -> _BoundMainThread:
        if self._posting is None:
            return _BoundMainThread(self._call, self._func, ref)
        return _BoundPosting(self._call, self._func, ref, self._posting)

    def __repr__(self) -> str:
        return f"<main_thread {self.__qualname__}>"


class _BoundMainThread(WeakMethod):
    """``obj.method`` of a ``@main_thread`` method: it holds ``obj`` weakly.

    Called once ``obj`` was collected it does nothing and returns None.
    """

    # Not the descriptor: it holds this object, and the pair would be a cycle.
    __slots__ = ("__weakref__", "_call", "_func", "_ref")

    def __init__(
        self, wrapper: Callable[..., Any], func: Callable[..., Any], ref: weakref.ref[Any]
    ) -> None:
        self._call = wrapper
        self._func = func
        self._ref = ref

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        instance = self._ref()
        if instance is None:
            return None  # collected: nothing to run the method on
        return self._call(instance, *args, **kwargs)

    def _method_function(self) -> Callable[..., Any]:
        return self._func

    def __repr__(self) -> str:
        return f"<bound main_thread {self._func.__qualname__} of {self._of()}>"


class _BoundPosting(_BoundMainThread):
    """:class:`_BoundMainThread` of a posting (not waiting) method, its main-thread path inline.

    The same steps as the wrapper's, in one Python call instead of two: a kept bound
    method's call on the main thread went from 775 to 667 ns (timeit, virtual backend).
    """

    __slots__ = ("_lazy", "_limit", "_post")

    def __init__(
        self,
        wrapper: Callable[..., Any],
        func: Callable[..., Any],
        ref: weakref.ref[Any],
        posting: Posting,
    ) -> None:
        super().__init__(wrapper, func, ref)
        self._lazy, self._limit, self._post = posting

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        instance = self._ref()
        if instance is None:
            return None  # collected: nothing to run the method on
        if len(args) >= self._limit:  # the limit counts self
            args = args[: self._limit - 1]
        d: Dispatcher = self._lazy.get()
        if d.is_main_thread():
            if d.closed:
                raise DispatcherClosed(f"{self._func.__qualname__}() called on a closed dispatcher")
            return self._func(instance, *args, **kwargs)
        return self._post(d, self._func, (instance, *args), kwargs)
