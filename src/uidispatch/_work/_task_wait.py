"""Waiting for a task: ``result(timeout)``'s limits, and ``await task`` behind its callbacks.

``await_task`` is :class:`~uidispatch.Task`'s ``__await__``, bound in the class body.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import sys
import threading
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, TypeVar

from .._core._options import thread_wait
from ._task_state import _DONE, _FAILED

if TYPE_CHECKING:
    from .._core._dispatcher import Dispatcher
    from ._task import Task

__all__ = ["await_task", "wait_for"]

T = TypeVar("T")

if sys.version_info >= (3, 11):
    _WaitTimeout: type[Exception] = concurrent.futures.TimeoutError
else:  # pragma: no cover - 3.10 only

    class _WaitTimeout(concurrent.futures.TimeoutError, TimeoutError):
        """``result(timeout)`` expired: both the futures and the builtin ``TimeoutError``."""


def wait_for(timeout: float | None) -> float | None:
    # Condition.wait raises OverflowError past threading.TIMEOUT_MAX: a wait that long is
    # "practically never", so it waits without a timeout (result(timeout=1e10) works).
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0:
        return thread_wait(timeout)
    return timeout


def await_task(self: Task[T]) -> Generator[Any, None, T]:
    """``await task`` inside a running asyncio (or qasync) loop.

    Raises what :meth:`result` raises. Cancelling the awaiting coroutine cancels the
    task, as ``asyncio.wrap_future`` does.
    """
    import asyncio

    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[T] = loop.create_future()
    self._retrieved = True

    def settle() -> None:  # on the loop's thread
        if waiter.done():
            return
        exc = concurrent.futures.Future.exception(self)
        if exc is None:
            waiter.set_result(concurrent.futures.Future.result(self))
        else:
            waiter.set_exception(exc)

    def finished(_: object) -> None:  # any thread
        if not loop.is_closed():
            # Closed meanwhile: nobody is waiting any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(settle)

    def abandoned(fut: asyncio.Future[T]) -> None:
        if fut.cancelled():
            self.cancel()

    waiter.add_done_callback(abandoned)
    host = self._host
    d = getattr(host, "_dispatcher", None) if host is not None else None
    if d is not None and not d.closed and _drives(d, loop):
        # This loop drains the task's dispatcher (the asyncio backend on this loop,
        # qasync): resume only after the callbacks added so far ran, by queueing the
        # resumption behind them in the task's lane. Resuming straight from the
        # worker raced them under qasync (1 run in 20 resumed before
        # on_done). Any other loop resumes straight away: it may never see a drain.
        resume = _Resume(loop, settle)
        self._add(self._done_cbs, resume, None, "await", _DONE)
        self._add(self._error_cbs, resume, None, "await", _FAILED)
        del resume  # only the task (then the dispatcher's queue) may hold it
    else:
        concurrent.futures.Future.add_done_callback(self, finished)
    return (yield from waiter)


def _drives(d: Dispatcher, loop: Any) -> bool:
    """True when running ``loop`` is what runs ``d``'s drains (so queueing on ``d`` is safe)."""
    backend = d.backend
    if getattr(backend, "loop", None) is loop:  # the asyncio backend bound to this loop
        return True
    if getattr(loop, "uidispatch_dispatcher", None) is d:  # a uidispatch.aio guest loop
        return True
    # qasync's loop is the Qt event loop itself: the Qt backend's drains run while it runs.
    return (
        backend.name == "qt"
        and type(loop).__module__.partition(".")[0] == "qasync"
        and d.is_main_thread()
    )


class _Resume:
    """Resumes an ``await task`` from the main thread, after the task's earlier callbacks.

    Registered as the task's last ``on_done`` and ``on_error``: the drain runs it after
    the callbacks queued before it. If the dispatcher drops it instead (closed, overflow,
    no dispatcher) the last reference goes and ``__del__`` resumes the coroutine anyway,
    so an ``await`` never hangs on a dispatcher. It holds no reference to the task.
    """

    __slots__ = ("_loop", "_settle", "_thread")

    def __init__(self, loop: Any, settle: Callable[[], None]) -> None:
        self._loop: Any = loop
        self._settle: Callable[[], None] | None = settle
        self._thread = threading.get_ident()

    def __call__(self, _outcome: object) -> None:
        settle, self._settle = self._settle, None
        if settle is None:
            return
        if threading.get_ident() == self._thread:
            settle()  # the coroutine resumes on a later loop turn, after this drain
        else:  # the task was delivered through another dispatcher since
            self._wake(settle)

    def _wake(self, settle: Callable[[], None]) -> None:
        loop = self._loop
        if not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # closed meanwhile: nobody waits
                loop.call_soon_threadsafe(settle)

    def abandon(self) -> None:
        """Resume the coroutine now: the dispatcher refused this call."""
        settle = self._settle
        if settle is not None:
            self._settle = None
            self._wake(settle)

    __del__ = abandon
