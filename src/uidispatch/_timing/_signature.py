"""What a decorated function accepts, read once, at decoration, from its signature."""

from __future__ import annotations

import inspect
import sys
import types
from collections.abc import Callable

__all__ = ["ALL", "bound_signature", "max_positional"]

ALL = sys.maxsize  # no limit: the function takes *args, or its signature cannot be read

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
_INSTANCE = object()  # a stand-in to bind to: only the signature is read, never called


def max_positional(fn: Callable[..., object]) -> int:
    """How many positional arguments ``fn`` accepts; :data:`ALL` with ``*args``.

    A Qt signal hands a plain slot only the leading arguments it accepts (PySide reads
    the function's code), and psygnal and superqt do the same from its signature. A
    decorator's wrapper takes ``*args``, so the signal hands it everything: the wrapper
    cuts the call down to this many, as the signal would have. Keyword arguments are
    never touched. A callable whose signature cannot be read gets every argument.
    """
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return ALL
    count = 0
    for param in params:
        if param.kind is inspect.Parameter.VAR_POSITIONAL:
            return ALL
        if param.kind in _POSITIONAL:
            count += 1
    return count


def bound_signature(fn: Callable[..., object]) -> inspect.Signature | None:
    """``fn``'s signature as a method bound to an instance: without ``self``.

    What ``inspect.signature(obj.method)`` gives for a plain method; psygnal reads it
    when connecting ``obj.method`` (with ``self`` in it, it refuses a one-argument
    signal: "Slot requires at least 2 positional arguments"). None when ``fn`` has no
    readable signature or nothing to bind ``self`` to; ``inspect`` then falls back to
    the wrapped function's.
    """
    try:
        return inspect.signature(types.MethodType(fn, _INSTANCE))
    except (TypeError, ValueError):
        return None
