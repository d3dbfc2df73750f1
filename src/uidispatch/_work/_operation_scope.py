"""An operation's calls, counted apart from the rest of its pool: busy state, live tasks.

An operation (``@pool.operation``) is a concurrency scope: its ``busy``, ``on_busy`` and
``cancel_all`` cover its own tasks only, never the pool's other work or another
operation's. Each of its tasks carries a :class:`ScopeLink`, and the pool's books call
the link as the task is entered (submitted), resolved and settled (its callbacks ran), as
they do for the pool's own busy state, so both count the same moments.

The link holds the scope weakly: a task (or the pool's single-flight table, whose keys
name the link) never keeps an operation's state, its latest tasks or their results alive,
and no task<->scope cycle is left for the collector to free on a worker thread.
"""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING, Any

from ._busy import BusyState
from ._task import Task, TaskState

if TYPE_CHECKING:
    from ._busy import BusyHandle

__all__ = ["OperationScope", "ScopeLink"]


class OperationScope:
    """What one operation (or one instance's operation, for a method) knows of its calls.

    ``live`` holds its pending and running tasks, ``count``, ``last`` and
    ``last_succeeded`` what ``Operation`` reports. Any thread (under ``lock``).
    """

    __slots__ = ("__weakref__", "busy", "count", "last", "last_succeeded", "link", "live", "lock")

    def __init__(self, name: str) -> None:
        self.lock = threading.Lock()
        self.busy = BusyState()
        self.live: dict[int, Task[Any]] = {}  # by id, oldest first
        self.count = 0
        self.last: Task[Any] | None = None
        self.last_succeeded: Task[Any] | None = None
        self.link = ScopeLink(self, name)

    def called(self, task: Task[Any]) -> None:
        """A ``submit`` returned ``task`` (a new one, or one under way it joined)."""
        with self.lock:
            self.count += 1
            self.last = task

    def tasks(self) -> list[Task[Any]]:
        """The pending and running tasks, oldest first (a snapshot)."""
        with self.lock:
            return list(self.live.values())


class ScopeLink:
    """A task's way back to its operation's scope; also the scope part of its pool key.

    Hashed by identity: two operations never share a key, whatever their key functions
    return. Its repr names the operation, so ``task.key`` reads ``(<operation search>, 3)``.
    """

    __slots__ = ("_ref", "name")

    def __init__(self, scope: OperationScope, name: str) -> None:
        self._ref = weakref.ref(scope)
        self.name = name

    def __repr__(self) -> str:
        return f"<operation {self.name}>"

    def entered(self, task: Task[Any]) -> list[BusyHandle]:
        """The pool booked ``task``; return the busy watchers to notify (outside its lock)."""
        scope = self._ref()
        if scope is None:
            return []
        with scope.lock:
            scope.live[task.id] = task
        return scope.busy.enter(None)

    def resolved(self, task: Task[Any]) -> None:
        """``task`` resolved (any thread, before its waiters wake): it is under way no more."""
        scope = self._ref()
        if scope is None:
            return
        with scope.lock:
            scope.live.pop(task.id, None)
            if task._phase is TaskState.DONE:
                scope.last_succeeded = task

    def settled(self) -> list[BusyHandle]:
        """A task's callbacks have run: it stops counting as busy; the watchers to notify."""
        scope = self._ref()
        if scope is None:
            return []
        return scope.busy.leave(None)
