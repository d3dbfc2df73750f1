"""Per-key concurrency: what a submit does while a task with the same key is under way.

The policies are ember-concurrency's task modifiers, named for what the app wants:
``join`` (single flight, the default), ``drop``, ``restart``, ``enqueue`` and
``keep_latest``. A key owns a *line*: its head (the task started, or a finished one kept
for ``ttl``) and the tasks waiting behind it, in order, which start one at a time as the
head finishes. A kept result is handed out by ``join`` (with the call's callbacks) and
by a ``drop`` call that gave ``ttl=`` itself (without them).
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Hashable
from typing import Any

from ._runner import Job
from ._task import Task, TaskState

__all__ = ["POLICIES", "Admit", "SingleFlight", "check_if_running"]

POLICIES = ("join", "drop", "restart", "enqueue", "keep_latest")
"""The values of ``submit(if_running=...)``."""

_PURGE_AT = 1024  # lines: sweep expired results before the table grows past this


def check_if_running(if_running: object, key: object, ttl: object) -> str:
    """Validate ``if_running=`` against ``key=`` and ``ttl=``; return the policy."""
    if if_running not in POLICIES:
        raise ValueError(
            f"if_running must be one of {', '.join(repr(p) for p in POLICIES)}, got {if_running!r}"
        )
    if key is None:
        raise ValueError(f"if_running={if_running!r} needs key=: the policy applies per key")
    if ttl is not None and if_running != "join" and if_running != "drop":
        raise ValueError(
            f"ttl={ttl!r} applies to if_running='join' or 'drop' only, got "
            f"if_running={if_running!r}"
        )
    return str(if_running)


def _kept(task: Task[Any], now: float) -> bool:
    """True while a finished ``task``'s result is handed out again (its ``ttl``)."""
    job: Job | None = task._job
    return (
        task._phase is TaskState.DONE
        and job is not None
        and job.expires is not None
        and now < job.expires
    )


class Admit(enum.Enum):
    """What ``submit`` does with a new task."""

    START = "start"  # queue it in the scheduler now
    HOLD = "hold"  # it waits behind the key's running task
    EXISTING = "existing"  # hand out the task already there instead


class _Line:
    __slots__ = ("head", "waiting")

    def __init__(self, head: Task[Any]) -> None:
        self.head = head
        self.waiting: deque[Task[Any]] = deque()


class SingleFlight:
    """The pool's table of keyed tasks; not thread-safe (the pool's lock guards it).

    A key maps to its line while a task of it is pending or running, and after its head
    succeeded until its ``ttl`` (``Job.expires``) runs out. Failures and cancellations
    are never reused: the next submit runs again.
    """

    def __init__(self) -> None:
        self._lines: dict[Hashable, _Line] = {}
        self.waiting = 0
        """Tasks held behind their key's running task, all keys together."""

    def find(self, key: Hashable, now: float) -> Task[Any] | None:
        """The task ``join`` hands out for ``key`` now, or ``None`` when a new one must run.

        The newest task of the line: the last one waiting, else the head while it runs
        or while its result is kept for ``ttl``.
        """
        line = self._lines.get(key)
        if line is None:
            return None
        if line.waiting:
            return line.waiting[-1]
        task = line.head
        if not task._resolved:
            return task
        if _kept(task, now):
            return task
        del self._lines[key]
        return None

    def running(self, key: Hashable, now: float | None = None) -> Task[Any] | None:
        """The key's task ``drop`` hands out, or ``None`` when a new one must run.

        The task under way; with ``now`` (a ``drop`` call that gave ``ttl=``), also a
        task whose result is kept for its ``ttl``, as ``join`` hands it out. A ``drop``
        without ``ttl=`` runs again instead: it asked for no cached result.
        """
        line = self._lines.get(key)
        if line is None:
            return None
        head = line.head
        if not head._resolved:
            return head
        if line.waiting:
            return line.waiting[0]
        if now is not None and _kept(head, now):
            return head
        return None

    def admit(
        self, key: Hashable, policy: str, task: Task[Any], now: float
    ) -> tuple[Admit, Task[Any] | None, list[Task[Any]]]:
        """Apply ``policy`` to a new ``task`` for ``key``.

        Returns what to do with it, the existing task to hand out instead (``EXISTING``),
        and the tasks to cancel, which the caller cancels once it released the lock (a
        task resolving takes the pool's lock).
        """
        if policy == "join":
            existing = self.find(key, now)
            if existing is not None:
                return Admit.EXISTING, existing, []
        elif policy == "drop":
            job: Job | None = task._job
            existing = self.running(key, now if job is not None and job.ttl is not None else None)
            if existing is not None:
                return Admit.EXISTING, existing, []
        line = self._lines.get(key)
        if line is None or (line.head._resolved and not line.waiting):
            self._start_line(key, task, now)
            return Admit.START, None, []
        if policy == "restart":
            doomed = [] if line.head._resolved else [line.head]
            doomed.extend(line.waiting)
            self.waiting -= len(line.waiting)
            line.waiting.clear()
            line.head = task
            return Admit.START, None, doomed
        doomed = []
        if policy == "keep_latest":
            doomed = list(line.waiting)
            self.waiting -= len(line.waiting)
            line.waiting.clear()
        line.waiting.append(task)
        self.waiting += 1
        return Admit.HOLD, None, doomed

    def _start_line(self, key: Hashable, task: Task[Any], now: float) -> None:
        if len(self._lines) >= _PURGE_AT:
            for k, line in list(self._lines.items()):
                head = line.head
                job = head._job
                if (
                    head._resolved
                    and not line.waiting
                    and (job is None or job.expires is None or now >= job.expires)
                ):
                    del self._lines[k]
        self._lines[key] = _Line(task)

    def resolved(self, task: Task[Any], now: float) -> Task[Any] | None:
        """Book ``task`` finishing; return the waiting task that starts now, if any.

        A head with nobody waiting releases its key, or keeps its result for ``ttl``
        seconds; a waiting task that finished (cancelled, replaced) leaves the line.
        """
        key = task.key
        line = self._lines.get(key) if key is not None else None
        if line is None:
            return None
        if line.head is not task:
            try:
                line.waiting.remove(task)
            except ValueError:
                return None  # replaced by a restart
            self.waiting -= 1
            return None
        if line.waiting:
            nxt = line.waiting.popleft()
            self.waiting -= 1
            line.head = nxt
            return nxt
        job: Job | None = task._job
        if task._phase is TaskState.DONE and job is not None and job.ttl is not None:
            job.expires = now + job.ttl
        else:
            del self._lines[key]
        return None

    def withdraw_waiting(self) -> list[Task[Any]]:
        """Take every waiting task out of its line (shutdown cancels them)."""
        tasks = [task for line in self._lines.values() for task in line.waiting]
        for line in self._lines.values():
            line.waiting.clear()
        self.waiting = 0
        return tasks
