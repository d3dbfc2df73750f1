"""Fan-in: one Task for several, whose result is the list of their results in order."""

from __future__ import annotations

import concurrent.futures
import functools
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._core._errors import TaskCancelled
from .._core._options import CALLBACK_WAY_OUT, check_callback
from .._core._registry import get_dispatcher
from ._task import Task, TaskState
from ._task_callbacks import bind_now

if TYPE_CHECKING:
    from .._core._dispatcher import Dispatcher

__all__ = ["gather"]

_PROGRESS = "uidispatch.gather"


class _Group(Task[list[Any]]):
    """The Task :func:`gather` returns: its stop waits for every member's work."""

    _members: tuple[concurrent.futures.Future[Any], ...] = ()

    def wait_stopped(self, timeout: float | None = None) -> bool:
        """Wait until the group finished and every member's work stopped running."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if not super().wait_stopped(timeout):
            return False
        for member in self._members:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if isinstance(member, Task):
                if not member.wait_stopped(left):
                    return False
            elif not concurrent.futures.wait([member], left).done:
                return False
        return True


class _GroupHost:
    """The group's host: delivers through its members' dispatcher, cancels them with it."""

    _supports_progress = True

    def __init__(self, members: tuple[concurrent.futures.Future[Any], ...]) -> None:
        self.members = members
        # The members' done callbacks reach the group through this box, emptied when the
        # group resolves: a Future keeps its callbacks, so no member->group cycle stays.
        self.box: list[_Group] = []

    def _get_dispatcher(self) -> Dispatcher:
        for member in self.members:
            if isinstance(member, Task):
                return member._dispatcher()
        return get_dispatcher()

    def _task_resolved(self, group: Task[Any], exc: BaseException | None = None) -> None:
        self.box.clear()
        if group._phase is not TaskState.DONE:
            for member in self.members:
                member.cancel()

    def _task_settled(self, group: Task[Any], watched: bool) -> None:
        pass


def gather(
    *tasks: concurrent.futures.Future[Any],
    on_done: Callable[[list[Any]], object] | None = None,
    on_error: Callable[[BaseException], object] | None = None,
    on_progress: Callable[[int, int], object] | None = None,
    owner: object | None = None,
    cancel_on_error: bool = True,
    return_exceptions: bool = False,
) -> Task[list[Any]]:
    """Fan in: a :class:`Task` whose result is the list of the tasks' results, in order.

    ``tasks`` are any :class:`concurrent.futures.Future`: tasks of one or several
    pools, or futures of any executor. ``on_done(results)``, ``on_error(exception)``
    and ``on_progress(done, total)`` (coalesced, the last before ``on_done``) run on the
    main thread, through the first member task's dispatcher (the default one when no
    member is a :class:`Task`); ``owner`` skips them once that widget is gone.

    The first failure (a cancelled member included) fails the group with that
    exception and, with ``cancel_on_error`` (the default), cancels the other members;
    with ``cancel_on_error=False`` the group waits for all of them first (their
    results stay on their tasks). With ``return_exceptions=True`` (as
    ``asyncio.gather`` takes it) no member fails the group: it waits for all of them
    and succeeds with each member's result or exception in its place (a cancelled
    member's is a :class:`~uidispatch.TaskCancelled`), and ``cancel_on_error`` has
    nothing to act on. Cancelling the group cancels every member. The group
    is awaitable and works with the standard tools like any Task;
    :meth:`Task.wait_stopped` on it waits for every member's work. Any thread.

    Raises:
        TypeError: an argument is not a Future, a callback is not callable,
            ``owner`` cannot be weakly referenced, or ``return_exceptions`` is not a
            bool.

    """
    _check_arguments(tasks, on_done, on_error, on_progress, return_exceptions)
    members = tuple(tasks)
    box = _new_group(members, owner, on_done, on_error, on_progress)
    group = box[0]
    if not members:
        group._resolve(TaskState.DONE, result=[])
        return group
    tally = _Tally(box, len(members), on_progress, cancel_on_error, return_exceptions)
    for index, member in enumerate(members):
        # The Future's own callback (any thread): a Task's on_done would wait for the UI.
        concurrent.futures.Future.add_done_callback(member, functools.partial(tally.add, index))
    return group


def _check_arguments(
    tasks: tuple[object, ...],
    on_done: object,
    on_error: object,
    on_progress: object,
    return_exceptions: object,
) -> None:
    for index, member in enumerate(tasks):
        if not isinstance(member, concurrent.futures.Future):
            raise TypeError(
                f"gather() takes Tasks or concurrent.futures.Future objects; argument "
                f"{index} is {member!r}"
            )
    for what, cb in (("on_done", on_done), ("on_error", on_error), ("on_progress", on_progress)):
        if cb is not None:
            check_callback(what, cb, CALLBACK_WAY_OUT)
    if not isinstance(return_exceptions, bool):
        raise TypeError(f"return_exceptions must be True or False, got {return_exceptions!r}")


def _new_group(
    members: tuple[concurrent.futures.Future[Any], ...],
    owner: object | None,
    on_done: Callable[[list[Any]], object] | None,
    on_error: Callable[[BaseException], object] | None,
    on_progress: Callable[[int, int], object] | None,
) -> list[_Group]:
    """The group with its callbacks, in the box its members reach it through."""
    host = _GroupHost(members)
    group = _Group(name=f"gather({len(members)})", owner=owner, host=host)
    group._members = members
    host.box.append(group)
    if on_progress is not None:
        bind_now(group)  # on_done and on_error bind as they are added
    if on_done is not None:
        group.on_done(on_done)
    if on_error is not None:
        group.on_error(on_error)
    return host.box


class _Tally:
    """The members' outcomes as they come (any thread); resolves the group on the last."""

    def __init__(
        self,
        box: list[_Group],
        total: int,
        on_progress: Callable[[int, int], object] | None,
        cancel_on_error: bool,
        return_exceptions: bool,
    ) -> None:
        # The group only through the box: a member's callback must not keep it alive.
        self._box = box
        self._total = total
        self._on_progress = on_progress
        self._cancel_on_error = cancel_on_error
        self._return_exceptions = return_exceptions
        self._results: list[Any] = [None] * total
        self._lock = threading.Lock()
        self._counted = 0
        self._errors: list[BaseException] = []  # the first one fails the group

    def add(self, index: int, member: concurrent.futures.Future[Any]) -> None:  # any thread
        """Count member ``index``'s outcome; the first error or the last member resolves."""
        group = self._box[0] if self._box else None
        if group is None:
            return  # the group already resolved (failed, or cancelled)
        exc: BaseException | None
        if member.cancelled():
            exc = TaskCancelled(f"{group._label()}: member {index} ({member!r}) was cancelled")
        else:
            exc = member.exception()
        with self._lock:
            if exc is None:
                self._results[index] = member.result()
            elif self._return_exceptions:
                self._results[index] = exc
            else:
                self._errors.append(exc)
            self._counted += 1
            done = self._counted
            first_error = self._errors[0] if self._errors else None
        total = self._total
        if self._on_progress is not None and not group._resolved:
            key = (_PROGRESS, group.id)
            group._post(self._on_progress, done, total, owner=group._owner, key=key)
        if first_error is not None and (self._cancel_on_error or done == total):
            _fail(group, first_error)  # the host cancels the other members
        elif done == total:
            group._resolve(TaskState.DONE, result=list(self._results))


def _fail(group: Task[Any], exc: BaseException) -> None:
    state = TaskState.CANCELLED if isinstance(exc, TaskCancelled) else TaskState.FAILED
    group._resolve(state, exc=exc)
