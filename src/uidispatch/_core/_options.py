"""Validation of Pool and submit options: bad input fails at the call site, naming the value."""

from __future__ import annotations

import functools
import math
import os
import threading
import types
from collections.abc import Hashable, Mapping
from typing import Any, Final

from ._priority import Priority

__all__ = [
    "CALLBACK_WAY_OUT",
    "DEFAULT_WAY_OUT",
    "ENV_WORKERS",
    "MAX_SECONDS",
    "NOT_PLAIN",
    "PLAIN_TYPES",
    "callable_kind",
    "check_callback",
    "check_count",
    "check_key",
    "check_max_workers",
    "check_metadata",
    "check_priority",
    "check_retry_on",
    "check_seconds",
    "default_workers",
    "owner_error",
    "show_number",
    "thread_wait",
    "thread_wait_max",
    "workers_from_env",
]

ENV_WORKERS = "UIDISPATCH_WORKERS"

MAX_SECONDS = 1e9
"""The longest duration kept (about 31.7 years): a longer finite one is clamped to it.

A huge timeout or delay (``1e10``, ``10**400``) is a normal way to say "practically never".
Every duration the API accepts passes through :func:`check_seconds`, which clamps it here,
so no deadline, ``Condition.wait`` or toolkit timer ever sees a value it cannot hold (a
pool's timer thread died of ``timeout=1e10``: ``OverflowError`` from ``Condition.wait``).
"""

# Condition.wait / Future.result raise OverflowError past threading.TIMEOUT_MAX (about
# 49.7 days on Windows): background threads wait at most this long, then look again.
_WAIT_MAX = min(MAX_SECONDS, threading.TIMEOUT_MAX)


def default_workers() -> int:
    """``(CPU count x 4) + 1`` with a floor of 12: pool work is mostly I/O-bound."""
    return max(12, (os.cpu_count() or 1) * 4 + 1)


def workers_from_env() -> int | None:
    """The ``UIDISPATCH_WORKERS`` override, or ``None`` when unset or empty.

    Raises:
        ValueError: it is set to anything but a whole number >= 1.

    """
    raw = os.environ.get(ENV_WORKERS)
    if raw is None or not raw.strip():
        return None
    try:
        value = int(raw.strip(), 10)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(
            f"{ENV_WORKERS} must be a whole number of worker threads >= 1, got {raw!r}; "
            f"fix it or unset it to use the default ({default_workers()})"
        )
    return value


def check_max_workers(value: object) -> int:
    """``max_workers`` must be an int >= 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"max_workers must be an int >= 1 or None, got {value!r}")
    return value


def check_priority(value: object) -> Priority:
    """A :class:`Priority` (or its int value)."""
    if isinstance(value, Priority):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return Priority(value)
        except ValueError:
            pass
    names = ", ".join(p.name for p in Priority)
    raise ValueError(f"priority must be a uidispatch.Priority ({names}), got {value!r}")


def check_seconds(name: str, value: object, *, zero_ok: bool) -> float:
    """A finite number of seconds, > 0 (or >= 0 when ``zero_ok``), as a float.

    The one check of every duration the public API takes. A finite value above
    :data:`MAX_SECONDS` (an int too large for a float included) is clamped to it: it
    means "practically never". NaN and infinities are rejected.

    Raises:
        TypeError: ``value`` is not an int or a float (``bool`` included), naming ``name``.
        ValueError: NaN, infinite, negative, or zero when not ``zero_ok``, naming ``name``.

    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, got {value!r}")
    # Compare before converting: float(10**400) raises a bare OverflowError, and the
    # comparisons below are exact for ints of any size.
    if value != value or value < 0 or (value == 0 and not zero_ok) or value in _INFINITIES:
        bound = ">= 0" if zero_ok else "> 0"
        raise ValueError(
            f"{name} must be a finite number of seconds {bound}, got {show_number(value)}"
        )
    return MAX_SECONDS if value > MAX_SECONDS else float(value)


_INFINITIES = (math.inf, -math.inf)


def show_number(value: object) -> str:
    """``repr(value)``, but a huge int as ``-2**1328`` (``repr`` of 10**5000 raises)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        sign = "-" if value < 0 else ""
        return f"{sign}2**{abs(value).bit_length() - 1} (or more)"
    return repr(value)


def thread_wait(seconds: float | None) -> float | None:
    """``seconds`` as a timeout for ``Condition.wait`` / ``Future.result``.

    Above ``threading.TIMEOUT_MAX`` those raise ``OverflowError``; a wait that long is
    "practically never", so it becomes ``None`` (no timeout). Loops that look at their
    deadline again after waking use ``min(seconds, thread_wait_max())`` instead.
    """
    if seconds is None or seconds >= _WAIT_MAX:
        return None
    return seconds


def thread_wait_max() -> float:
    """The longest single ``Condition.wait`` a background loop does before looking again."""
    return _WAIT_MAX


def check_count(name: str, value: object, minimum: int = 0) -> int:
    """An int >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return value


def check_retry_on(value: object) -> tuple[type[BaseException], ...]:
    """An exception class or a tuple of them."""
    types = value if isinstance(value, tuple) else (value,)
    if not types or not all(isinstance(t, type) and issubclass(t, BaseException) for t in types):
        raise TypeError(f"retry_on must be an exception class or a tuple of them, got {value!r}")
    return types


def check_key(key: Any) -> Hashable:
    """``key`` must be hashable."""
    try:
        hash(key)
    except TypeError:
        raise TypeError(f"key must be hashable, got {key!r}") from None
    return key  # type: ignore[no-any-return]


def check_metadata(name: object, metadata: object) -> None:
    """Validate ``submit``'s ``name=`` and ``metadata=``."""
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name must be a str or None, got {name!r}")
    if metadata is not None and not isinstance(metadata, Mapping):
        raise TypeError(f"metadata must be a mapping (a dict) or None, got {metadata!r}")


# --------------------------------------------------------------------------- callables

# inspect.CO_COROUTINE | CO_ITERABLE_COROUTINE | CO_ASYNC_GENERATOR | CO_GENERATOR
NOT_PLAIN: Final = 0x80 | 0x100 | 0x200 | 0x20
_FUNCTION = types.FunctionType
_SURELY_PLAIN = (
    types.BuiltinFunctionType,
    types.BuiltinMethodType,
    types.MethodWrapperType,
    types.WrapperDescriptorType,
    types.MethodDescriptorType,
)
PLAIN_TYPES: Final = frozenset(_SURELY_PLAIN)
"""Types whose instances are always plain callables (C functions and methods)."""

CALLBACK_WAY_OUT = (
    "give a plain function; to start async work from it, submit it to a pool "
    "(ud.submit(fn)) or wrap it: lambda *a: asyncio.ensure_future(fn(*a))"
)
DEFAULT_WAY_OUT = (
    "run it on a worker with ud.submit(fn) (a pool runs coroutine and generator functions), "
    "or schedule the coroutine yourself: lambda: asyncio.ensure_future(fn())"
)


def _kind(flags: int) -> str | None:
    if flags & 0x200:
        return "an async generator function"
    if flags & (0x80 | 0x100):
        return "a coroutine function"
    if flags & 0x20:
        return "a generator function"
    return None


def callable_kind(fn: object) -> str | None:
    """What makes ``fn`` unfit to be called for its effect, or ``None`` for a plain callable.

    Sees through bound methods, ``functools.partial`` and instances whose ``__call__`` is a
    coroutine or generator function, as ``inspect.iscoroutinefunction`` does (and a
    function marked with ``inspect.markcoroutinefunction``).
    """
    for _ in range(32):  # a partial of a partial of ...: bounded, never a loop
        kind = type(fn)
        if kind is _FUNCTION:
            code = fn.__code__  # type: ignore[attr-defined]
            found = _kind(code.co_flags)
            if found is None and getattr(fn, "_is_coroutine_marker", None) is not None:
                found = "a coroutine function"  # inspect.markcoroutinefunction (3.12+)
            return found
        if kind in _SURELY_PLAIN or isinstance(fn, type):
            return None
        if kind is types.MethodType:
            fn = fn.__func__  # type: ignore[attr-defined]
        elif isinstance(fn, (functools.partial, functools.partialmethod)):
            fn = fn.func
        else:
            call = getattr(kind, "__call__", None)  # noqa: B004 - the method, not callable()
            if type(call) is not _FUNCTION:
                return None
            fn = call
    return None


def owner_error(owner: object) -> TypeError:
    """The error for an ``owner=`` that cannot be weakly referenced (raise it ``from None``)."""
    return TypeError(
        f"owner must support weak references, got {type(owner).__name__} {owner!r}; "
        "pass the widget itself"
    )


def check_callback(name: str, fn: object, way_out: str = DEFAULT_WAY_OUT) -> None:
    """``fn`` must be a plain callable: its call does the work (on the main thread).

    A coroutine, generator or async generator function called there would only build an
    object whose body never runs, so it is refused at the call site.

    Raises:
        TypeError: ``fn`` is not callable, or is one of those functions; the message names
            the argument, the value and ``way_out``.

    """
    if not callable(fn):
        raise TypeError(f"{name} must be callable, got {fn!r}")
    kind = callable_kind(fn)
    if kind is not None:
        raise TypeError(
            f"{name} must be a plain function, got {kind} {fn!r}: calling it only builds "
            f"an object and its body would never run; {way_out}"
        )
