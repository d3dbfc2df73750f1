"""A pool's books: each task entered as it is submitted, and settled as it resolves.

Under the pool's lock: the tasks pending and running, the counters ``stats()`` reports,
the single-flight table, the busy state, the operation stats and the scheduler's queue;
and, for a task an operation submitted, that operation's own books (``_operation_scope``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._services._opstats import op_name
from ._runner import Job
from ._singleflight import Admit
from ._task import Task, TaskState

if TYPE_CHECKING:
    from ._busy import BusyHandle
    from ._pool import Pool
    from ._submit_options import KeyPolicy

__all__ = ["check_open", "enter", "settle"]


def check_open(pool: Pool) -> None:
    """Refuse a submit to a pool that was shut down.

    Raises:
        RuntimeError: it was.

    """
    if pool._sched.shutdown:
        raise RuntimeError(f"cannot submit to {pool!r}: it was shut down")


def enter(pool: Pool, task: Task[Any], job: Job, keyed: KeyPolicy) -> Task[Any] | None:
    """Enter ``task`` in the pool's books and start (or hold) ``job``.

    Returns ``None``, or the task already under way for the key when a submit on another
    thread started one since this submit looked: this task is then dropped, never booked.

    Raises:
        RuntimeError: the pool was shut down meanwhile.

    """
    key = keyed.key
    admit, existing = Admit.START, None
    doomed: list[Task[Any]] = []
    changed: list[BusyHandle] = []
    with pool._lock:
        check_open(pool)
        if key is not None:
            admit, existing, doomed = pool._keyed.admit(key, keyed.if_running, task, job.stamp)
        if existing is not None:
            return existing
        pool._submitted += 1
        pool._live[task.id] = task
        changed = pool._busy.enter(key)
        if task._scope is not None:  # an operation's call: its own busy state too
            changed = changed + task._scope.entered(task)
        job.op = op = pool._sched.ops.get(op_name(task.name))
        op.submitted += 1
        if admit is Admit.START:
            pool._sched.admit_locked(job)
        else:
            pool._sched.held = pool._keyed.waiting
    if changed:
        pool._busy.notify(pool._dispatcher, changed)
    for old in doomed:  # restart / keep_latest: outside the lock, as they resolve
        old.cancel()
    return None


def settle(pool: Pool, task: Task[Any], exc: BaseException | None) -> None:
    """Book ``task`` resolving (``exc``: its error), before its waiters wake."""
    job: Job | None = task._job
    state = task._phase
    ok, cancelled = state is TaskState.DONE, state is TaskState.CANCELLED
    with pool._lock:
        if job is not None:
            pool._sched.job_resolved_locked(job)
        if ok:
            pool._completed += 1
        elif cancelled:
            pool._cancelled += 1
        else:
            pool._failed += 1
        pool._live.pop(task.id, None)
        if job is not None and job.op is not None:
            job.op.resolved(ok, cancelled, exc)
        if task._scope is not None:
            task._scope.resolved(task)
        nxt = pool._keyed.resolved(task, pool._sched.clock()) if task.key is not None else None
        if nxt is not None:  # the next task waiting behind this key starts now
            nxt._job.stamp = pool._sched.clock()
            pool._sched.admit_locked(nxt._job)
        pool._sched.held = pool._keyed.waiting
        if job is not None and job.expires is None:
            # Task and Job name each other: a cycle that would hold the task's
            # exception (and the frames in its traceback) for the collector to free.
            task._job = None
        pool._sched.finish_if_quiet_locked()
    if job is not None:
        job.release()
        if job.breaker is not None:
            job.breaker._record(
                job.admitted, "ok" if ok else "cancelled" if cancelled else "failed"
            )
