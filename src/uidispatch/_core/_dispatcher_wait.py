"""The main thread's answer: what ``Dispatcher.call()`` waits for, or a Future it settles.

Both queue a :class:`~uidispatch._core._queue._Waiting` entry: the drain sets its outcome,
``close()`` and ``drop_oldest`` fail it, so no thread is left waiting on an answer that
never comes. ``_dispatcher`` keeps the public methods and their checks.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from ._errors import DispatcherClosed
from ._options import thread_wait
from ._queue import _Waiting

if TYPE_CHECKING:
    from ._dispatcher import Dispatcher

__all__ = ["CALL_WAY_OUT", "submit_future", "wait_for_main"]

T = TypeVar("T")

# What call() tells a caller handing it a coroutine or generator function.
CALL_WAY_OUT = (
    "await it on the UI loop instead, or run it on a worker with ud.submit(fn) and "
    "wait with task.result()"
)


def wait_for_main(
    d: Dispatcher, fn: Callable[..., T], args: tuple[Any, ...], timeout: float | None
) -> T:
    """Queue ``fn(*args)`` on ``d`` and wait on this (worker) thread for its result.

    Raises ``TimeoutError`` when the entry was withdrawn unrun after ``timeout`` seconds,
    ``DispatcherClosed`` when the queue is or gets closed, and the callback's exception.
    """
    q = d._q
    if q.state:
        raise DispatcherClosed(f"call({fn!r}) on a closed dispatcher{q.why}")
    entry = _Waiting(fn, args)
    future = entry.future
    # No registry of waiters: every waiter's entry is queued, and close() fails it there.
    try:
        q.push_waiting(entry)
    except BaseException:
        q.withdraw(entry)  # the caller is told it failed: it must never run later
        raise
    try:
        return future.result(thread_wait(timeout))  # type: ignore[no-any-return]
    except concurrent.futures.TimeoutError:
        if q.withdraw(entry):
            raise TimeoutError(
                f"the main thread did not run {fn!r} within timeout={timeout}"
            ) from None
        return future.result()  # type: ignore[no-any-return]
    finally:
        # The raised exception's traceback holds this frame: a frame still naming the
        # future (which holds the exception) is a cycle keeping fn, its args and the
        # caller's frames alive until a collection on any thread (a Tk root: abort).
        del entry, future


def submit_future(
    self: Dispatcher,
    fn: Callable[..., object],
    args: tuple[Any, ...],
    future: concurrent.futures.Future[Any],
) -> None:
    """Queue ``fn(*args)`` like :meth:`call`, settling ``future`` instead of waiting.

    The drain sets the outcome; ``close()`` and ``drop_oldest`` fail the future, so a
    worker never holds one that never completes. ``Dispatcher._submit_future`` is this
    function itself (bound as a method: no extra call on ``main_thread``'s path).
    """
    q = self._q
    if q.state:
        raise DispatcherClosed(f"{_name(fn)}() called on a closed dispatcher{q.why}")
    entry = _Waiting(fn, args)
    entry.future = future
    q.push_waiting(entry)  # a close() that raced us fails the entry: never lost


def _name(fn: object) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)
