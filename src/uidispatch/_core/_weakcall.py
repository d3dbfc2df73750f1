"""Callbacks held by what they are bound to: a listener never keeps its window alive."""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["weak_callable"]

F = TypeVar("F", bound=Callable[..., object])


def weak_callable(callback: F, gone: Callable[[Any], object]) -> Callable[[], F | None]:
    """A getter for ``callback`` holding a bound method's object weakly, when it can.

    ``gone(ref)`` is called when that object is collected. A plain function, a lambda or
    a builtin bound to something that cannot be weakly referenced is held strongly (it is
    all the app gave us). The getter returns ``None`` once the object is gone.
    """
    if inspect.ismethod(callback):
        try:
            return weakref.WeakMethod(callback, gone)
        except TypeError:
            pass
    else:
        target = getattr(callback, "__self__", None)
        name = getattr(callback, "__name__", None)
        if target is not None and name is not None and not inspect.ismodule(target):
            # A toolkit's builtin method (PySide's button.setEnabled): by object and name.
            try:
                ref = weakref.ref(target, gone)
            except TypeError:
                pass  # list.append and the like: nothing to hold weakly
            else:

                def get() -> F | None:
                    obj = ref()
                    return None if obj is None else getattr(obj, name)

                return get
    return lambda: callback
