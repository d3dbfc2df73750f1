"""A task's callbacks: adding them (with their owners), and handing them to its dispatcher.

``add``, ``deliver``, ``post``, ``dropped``, ``count_dropped``, ``dispatcher`` and
``report_unretrieved`` are :class:`~uidispatch.Task`'s own private methods, bound in the
class body (``_add = _task_callbacks.add``): a call costs what a method defined in
``_task`` costs.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .._core._errors import DispatcherClosed
from .._core._options import CALLBACK_WAY_OUT, check_callback, owner_error
from .._core._registry import get_dispatcher
from ._task_state import _CANCELLED, _FAILED, TaskState
from ._task_wait import _Resume

if TYPE_CHECKING:
    from .._core._dispatcher import Dispatcher
    from ._task import Task

__all__ = [
    "UNSET",
    "add",
    "bind_now",
    "check_callable",
    "count_dropped",
    "deliver",
    "dispatcher",
    "dropped",
    "exiting",
    "post",
    "report_unretrieved",
    "weak",
]

T = TypeVar("T")
logger = logging.getLogger("uidispatch")

# Set by the pool's exit hook: while the interpreter shuts down no callback is posted,
# because a toolkit may already be half torn down. A plain global: ``post`` reads it once
# per callback.
exiting = False

UNSET: Any = object()
"""``owner=`` not given: the callback takes the task's owner."""


def add(
    self: Task[T], cbs: list[Any], callback: Any, owner: object, what: str, when: TaskState
) -> Task[T]:
    check_callable(what, callback)
    bind_now(self)
    entry = (callback, self._owner if owner is UNSET else weak(owner))
    with self._lock:
        if not self._resolved:
            cbs.append(entry)
            return self
    phase = self._phase
    if phase is when or (when is _FAILED and phase is _CANCELLED):
        self._deliver(
            [entry],
            concurrent.futures.Future.exception(self)
            if when is _FAILED
            else concurrent.futures.Future.result(self),
        )
    return self


def deliver(
    self: Task[Any], callbacks: list[tuple[Callable[[Any], object], Any]], value: Any
) -> None:
    for cb, owner in callbacks:
        self._post(cb, value, owner=owner)


def post(
    self: Task[Any], cb: Callable[..., object], *args: Any, owner: Any, key: Any = None
) -> None:
    """Post ``cb(*args)`` to the main thread; a callback with a dead owner is skipped."""
    if exiting:
        return
    target = None
    if owner is not None:
        target = owner()
        if target is None:
            self._dropped(cb)
            return
    try:
        d = self._dispatcher()
        d.call_soon(cb, *args, priority=self.priority, key=key, owner=target)
    except DispatcherClosed:
        self._dropped(cb)
        logger.debug("%r: its app is gone, callback %r dropped", self, cb)
    except Exception:
        self._dropped(cb)
        logger.exception("%r: could not deliver callback %r to the main thread", self, cb)


def report_unretrieved(self: Task[Any]) -> None:
    """``Task.__del__``: log a failure nobody looked at (as asyncio does)."""
    try:
        if self._phase is _FAILED and not self._retrieved and not exiting:
            exc = self._exception
            if exc is not None:
                logger.error(
                    "%r failed and nobody retrieved the exception (add on_error=)",
                    self,
                    exc_info=(type(exc), exc, exc.__traceback__),
                )
    except Exception:  # pragma: no cover - interpreter teardown
        pass


def dropped(self: Task[Any], cb: object) -> None:
    self._count_dropped()
    if type(cb) is _Resume:  # an ``await`` must not wait for the main thread's release
        cb.abandon()


def count_dropped(self: Task[Any]) -> None:
    count = getattr(self._host, "_callback_dropped", None)
    if count is not None:
        count()


def dispatcher(self: Task[Any]) -> Dispatcher:
    bound = self._bound
    if bound is not None:
        d = bound()
        if d is None:
            raise DispatcherClosed(f"{self!r}: its dispatcher is gone")
        return d
    host = self._host
    d = host._get_dispatcher() if host is not None else get_dispatcher()
    if not d.closed:
        self._bound = weakref.ref(d)
    return d


def bind_now(task: Task[Any]) -> None:
    """On the main thread, bind ``task`` to its dispatcher now, while the app is there.

    Looked up later on a worker, after the app's window closed, there would be no app to
    find: the lookup would fail loudly where a closed dispatcher drops a callback quietly
    (and counts it). With no app yet, the lookup waits for the first delivery, as before.
    """
    if task._bound is None and threading.current_thread() is threading.main_thread():
        with contextlib.suppress(Exception):
            task._dispatcher()


def weak(owner: object) -> Any:
    """A weak reference to a callback's ``owner`` (``None`` for none)."""
    if owner is None:
        return None
    try:
        return weakref.ref(owner)
    except TypeError:
        raise owner_error(owner) from None


def check_callable(what: str, cb: object) -> None:
    """Refuse a ``what`` callback that is not a plain callable (see ``check_callback``)."""
    check_callback(what, cb, CALLBACK_WAY_OUT)
