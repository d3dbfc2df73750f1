"""The ``throttle`` and ``debounce`` decorators: their options, checked at decoration.

What they return is a :class:`RateLimited` (``_ratelimited``): one small state machine
(``_gate``) over the dispatcher's ``call_later``, per function or per instance
(``_bound``). ``RateLimited`` and ``BoundRateLimited`` are imported back here for importers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec

from .._core._dispatcher import Dispatcher, provide_shortcut
from .._core._options import check_seconds
from ._bound import BoundRateLimited
from ._lazy import LazyDispatcher
from ._ratelimited import RateLimited

__all__ = ["BoundRateLimited", "RateLimited", "debounce", "throttle"]

P = ParamSpec("P")


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

    Returns a :class:`RateLimited` (see it for threads, methods, signals with more
    arguments, errors, ``cancel()``, ``flush()``, ``call_now()``, ``dropped``,
    ``pending`` and closing). Without ``dispatcher=`` the default dispatcher is resolved
    at the first call, not at decoration.

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
    leading: bool = False,
    dispatcher: Dispatcher | None = None,
) -> Callable[[Callable[P, object]], RateLimited[P]]:
    """Decorator: call the function once calls have stopped for ``wait`` seconds.

    Each call restarts the quiet period (counted from when the call was made, also in a
    worker); the function then runs once, with the latest arguments. ``max_wait`` bounds
    the delay under a continuous stream: the pending call runs at the latest ``max_wait``
    seconds after the burst's first call, so at least that often.

    ``leading=True`` runs the first call of a burst at once, then nothing until the calls
    pause for ``wait``: the latest call made after the first one (if any) runs then, and
    each run starts a new quiet period, so the next call is a leading edge only once
    ``wait`` has passed since the last call and the last run (a live preview: the first
    change shows at once, then the latest of a fast series). These are psygnal's
    ``debounced(leading=True)`` semantics (and superqt's ``qdebounced``), in seconds
    instead of milliseconds; with ``max_wait`` the pending call runs at the latest
    ``max_wait`` seconds after the previous run.

    Returns a :class:`RateLimited` (see it for threads, methods, signals with more
    arguments, errors, ``cancel()``, ``flush()``, ``call_now()``, ``dropped``,
    ``pending`` and closing). Without ``dispatcher=`` the default dispatcher is resolved
    at the first call, not at decoration.

    Huge ``wait`` / ``max_wait`` values are clamped to 1e9 seconds, and a coroutine,
    generator or async generator function is refused at decoration, as for
    :func:`throttle`.

    Raises:
        TypeError: ``wait`` or ``max_wait`` is not a number (``@debounce`` without
            parentheses), ``leading`` is not a bool, ``dispatcher`` is not a
            :class:`Dispatcher`, or (at decoration) the function is a coroutine,
            generator or async generator function.
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
        leading=_flag("leading", leading),
        trailing=True,
        window=False,
        dispatcher=dispatcher,
    )


provide_shortcut("throttle", throttle)
provide_shortcut("debounce", debounce)
