"""Single flight by key: one task per key while it runs, and its result reused for ``ttl``."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from ._runner import Job
from ._task import Task, TaskState

__all__ = ["SingleFlight"]

_PURGE_AT = 1024  # entries: sweep expired results before the table grows past this


class SingleFlight:
    """The pool's table of keyed tasks; not thread-safe (the pool's lock guards it).

    A key maps to its task while the task is pending or running, and after it succeeded
    until its ``ttl`` (``Job.expires``) runs out. Failures and cancellations are never
    reused: the next submit runs again.
    """

    def __init__(self) -> None:
        self._tasks: dict[Hashable, Task[Any]] = {}

    def find(self, key: Hashable, now: float) -> Task[Any] | None:
        """The task to hand out for ``key`` now, or ``None`` when a new one must run."""
        task = self._tasks.get(key)
        if task is None:
            return None
        if not task._resolved:
            return task
        job: Job | None = task._job
        if (
            task._phase is TaskState.DONE
            and job is not None
            and job.expires is not None
            and now < job.expires
        ):
            return task
        del self._tasks[key]
        return None

    def add(self, key: Hashable, task: Task[Any], now: float) -> None:
        """Make ``task`` the one for ``key``."""
        if len(self._tasks) >= _PURGE_AT:
            for k, t in list(self._tasks.items()):
                job = t._job
                if t._resolved and (job is None or job.expires is None or now >= job.expires):
                    del self._tasks[k]
        self._tasks[key] = task

    def resolved(self, task: Task[Any], now: float) -> None:
        """Release the task's key as it finishes, or keep its result for ``ttl`` seconds."""
        key = task.key
        if key is None or self._tasks.get(key) is not task:
            return
        job: Job | None = task._job
        if task._phase is TaskState.DONE and job is not None and job.ttl is not None:
            job.expires = now + job.ttl
        else:
            del self._tasks[key]
