"""How an attempt ends: booked, then retried after a backoff or its task resolved.

Also the deadlines (a task's ``timeout``, an attempt's ``attempt_timeout``) and the error
cooldown that pauses the pool after too many failures.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from .._core._errors import TaskCancelled, TaskTimeout
from . import _task_callbacks
from ._runner import Job, Where, backoff_delay
from ._sched_books import SchedulerBooks
from ._task import TaskState

__all__ = ["SchedulerOutcomes"]

logger = logging.getLogger("uidispatch")

_DELAYED = Where.DELAYED


class SchedulerOutcomes(SchedulerBooks):
    """The scheduler's side that ends attempts: retries, backoff, timeouts, cooldown."""

    def arm_attempt(self, job: Job, n: int) -> None:
        assert job.attempt_timeout is not None
        job.attempt_handle = self.timers.schedule(
            job.attempt_timeout, functools.partial(self.attempt_timed_out, job, n)
        )

    def attempt_timed_out(self, job: Job, n: int) -> None:  # timer thread
        """Attempt ``n`` ran past ``attempt_timeout``: a failed attempt, retried if it may."""
        task = job.task
        exc = TaskTimeout(
            f"{task._label()}: attempt {n} ran past its attempt_timeout={job.attempt_timeout} s"
        )
        with self.work:
            if job.settled >= n or job.attempt != n or task._resolved:
                return  # that attempt ended meanwhile
            job.settled = n
            job.attempt_handle = None
            stop, cancel = job.stop, job.attempt_cancel
            job.stop = job.attempt_cancel = None
            action = self.conclude_locked(job, False, exc, attempt_timeout=True)
            tripped, self.trip = self.trip, False
            self.finish_if_quiet_locked()
        if tripped:
            self.tripped()
        # Ask the attempt to stop; its late outcome is dropped (settled >= n).
        if stop is not None:
            stop.stopped = True
        if cancel is not None:
            cancel()
        self.act(job, action, exc)

    def finish(
        self,
        job: Job,
        ok: bool,
        value: Any,
        elapsed: float | None,
        *,
        slot: bool,
        kick: bool = False,
        n: int | None = None,
    ) -> None:
        """End an attempt: book it, then retry, or resolve the task (a late result is dropped).

        ``n``: the attempt's number; ``None`` when no attempt ran.
        """
        task = job.task
        action = None
        retrying = stale = False
        if n is not None:
            with task._lock:
                task._live_attempts -= 1
        with self.work:
            if slot:
                self.active -= 1
            self.running -= 1
            op = job.op
            op.running -= 1
            if elapsed is not None:
                self.runs += 1
                self.run_total += elapsed
                if elapsed > self.run_max:
                    self.run_max = elapsed
                op.ran(elapsed)
            # An attempt already ended by its attempt_timeout has nothing left to decide.
            if n is None or job.settled < n:
                if n is not None:
                    job.settled = n
                    job.stop = job.attempt_cancel = None
                    if job.attempt_handle is not None:
                        job.attempt_handle.cancel()
                        job.attempt_handle = None
                if not task._resolved:
                    action = self.conclude_locked(job, ok, value)
                    retrying = action is None
            else:
                stale = True
            if kick:
                self.kick_locked()
            tripped, self.trip = self.trip, False
            self.finish_if_quiet_locked()
        if tripped:
            self.tripped()
        if retrying or (stale and not task._resolved):
            return  # a retry runs, or this attempt's deadline already decided its outcome
        self.act(job, action, value)
        with task._lock:
            # A cancelled coroutine's future is done before the coroutine: it books its own.
            over = not job.entered
        if over:
            task._mark_stopped()  # the attempt is over: wait_stopped() returns

    def conclude_locked(
        self, job: Job, ok: bool, value: Any, *, attempt_timeout: bool = False
    ) -> TaskState | None:
        """Decide what an ended attempt leads to: a retry (``None``) or the task's state."""
        if ok:
            return TaskState.DONE
        if isinstance(value, TaskCancelled):
            return TaskState.CANCELLED
        retry = (
            job.attempt <= job.retries
            and not _task_callbacks.exiting
            and (
                attempt_timeout
                or (
                    isinstance(value, Exception)
                    and isinstance(value, job.retry_on)
                    and not isinstance(value, TaskTimeout)
                )
            )
        )
        if not retry:
            # The cooldown counts a task once, on its final failure.
            if self.cooldown.record(self.clock()):
                self.trip = True
            return TaskState.FAILED
        job.task._requeue()
        self.retried += 1
        job.op.retried += 1
        delay = backoff_delay(job.attempt, job.backoff, self.random())
        if delay > 0:
            job.where = _DELAYED
            self.delayed += 1
            self.delayed_jobs.add(job)
            job.retry_handle = self.timers.schedule(delay, functools.partial(self.retry_due, job))
        else:
            self.admit_locked(job)
        return None

    def act(self, job: Job, state: TaskState | None, value: Any) -> None:
        """Resolve the task as decided (outside the lock: waiters and callbacks run)."""
        if state is TaskState.DONE:
            job.task._resolve(state, result=value)
        elif state is not None:
            job.task._resolve(state, exc=value)

    def retry_due(self, job: Job) -> None:  # timer thread
        with self.work:
            if job.where is not _DELAYED:
                return
            self.delayed -= 1
            self.delayed_jobs.discard(job)
            self.admit_locked(job)

    def timed_out(self, job: Job) -> None:  # timer thread
        exc = TaskTimeout(f"{job.task._label()} ran past its timeout={job.timeout} s")
        if job.task._resolve(TaskState.FAILED, exc=exc):
            with self.work:
                tripped = self.cooldown.record(self.clock())
            if tripped:
                self.tripped()

    def tripped(self) -> None:
        cd = self.cooldown
        logger.warning(
            "pool %r paused: %s task failures within %s s; new tasks wait %s s or until resume()",
            self.name,
            cd.max_errors,
            cd.window,
            cd.window,
        )
        self.timers.schedule(cd.window, self.resume_if_due)

    def resume_if_due(self) -> None:  # timer thread, when a cooldown's window has passed
        with self.work:
            self.kick_locked()
