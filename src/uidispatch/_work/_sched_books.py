"""The scheduler's books: its state, where each job is, and how jobs get to the queue.

A job is queued, delayed (waiting out a retry's backoff), limited (waiting for a
``RateLimiter``'s call) or started; the counters say how many are where. Every method
named ``*_locked`` runs with the scheduler's lock held.
"""

from __future__ import annotations

import concurrent.futures
import functools
import random
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from .._core import _fork
from .._core._timers import TimerThread
from .._services._opstats import OperationBook
from .._services._ratelimit import Token
from ._cooldown import Cooldown
from ._loopthread import LoopThread
from ._runner import Job, Where
from ._workqueue import WorkQueue

__all__ = ["SchedulerBooks"]

_QUEUED, _DELAYED, _NOWHERE, _LIMITED = Where.QUEUED, Where.DELAYED, Where.NONE, Where.LIMITED


class SchedulerBooks:
    """The base of ``Scheduler`` (in ``_scheduler``): its state and its books.

    All state is guarded by ``lock`` (``work`` and ``quiet`` are conditions on it).
    """

    def __init__(
        self,
        *,
        max_workers: int,
        executor: concurrent.futures.Executor | None,
        cooldown: Cooldown,
        aging: float,
        idle_timeout: float,
        name: str,
    ) -> None:
        self.max = max_workers
        self.executor = executor
        self.cooldown = cooldown
        self.idle_timeout = idle_timeout
        self.name = name
        self.clock: Callable[[], float] = time.monotonic
        self.random: Callable[[], float] = random.random
        self.lock = threading.Lock()
        self.work = threading.Condition(self.lock)  # workers wait here for jobs
        self.quiet = threading.Condition(self.lock)  # shutdown waits here for the last job
        self.queue: WorkQueue[Job] = WorkQueue(aging, lambda job: job.where is _QUEUED)
        self.timers = TimerThread(f"{name}-timers", idle_timeout)
        self.loop = LoopThread(f"{name}-loop")
        self.threads: list[threading.Thread] = []
        self.delayed_jobs: set[Job] = set()
        self.limited_jobs: set[Job] = set()  # waiting for a RateLimiter's call
        self.started_jobs: set[Job] = set()  # started once, task not resolved yet
        self.ready = self.delayed = self.limited = self.active = self.running = 0
        self.held = 0  # tasks waiting behind their key's running task (if_running=)
        self.nthreads = self.waiting = 0
        self.shutdown = False
        self.retried = self.max_queued = self.runs = 0
        self.run_total = self.run_max = 0.0
        self.ops = OperationBook()
        self.trip = False  # the cooldown just tripped: log it once the lock is let go

    def after_fork_in_child(self) -> None:
        """Forked child: new locks; no threads (they stayed in the parent); no jobs.

        The parent's jobs run in the parent; the pool fails their tasks here. Threads
        start again on demand, so the child's own work runs.
        """
        self.lock = threading.Lock()
        self.work = threading.Condition(self.lock)
        self.quiet = threading.Condition(self.lock)
        self.queue = WorkQueue(self.queue.aging, lambda job: job.where is _QUEUED)
        _fork.left_behind.append((self.timers, self.loop))
        self.timers = TimerThread(f"{self.name}-timers", self.idle_timeout)
        self.loop = LoopThread(f"{self.name}-loop")
        self.threads = []
        self.delayed_jobs = set()
        self.limited_jobs = set()
        self.started_jobs = set()
        self.ready = self.delayed = self.active = self.running = self.held = self.limited = 0
        self.nthreads = self.waiting = 0

    def job_resolved_locked(self, job: Job) -> None:
        """Withdraw a job whose task resolved before it started (or between retries)."""
        self.started_jobs.discard(job)
        if job.where is _QUEUED:
            self.ready -= 1
            job.where = _NOWHERE
        elif job.where is _DELAYED:
            self.delayed -= 1
            self.delayed_jobs.discard(job)
            job.where = _NOWHERE
            if job.retry_handle is not None:
                job.retry_handle.cancel()
        elif job.where is _LIMITED:
            self.limited -= 1
            self.limited_jobs.discard(job)
            job.where = _NOWHERE
            job.limiter._withdraw(job.waiter)
            job.waiter = None
        if job.token is not None:  # granted a call it will never use
            job.limiter._release(job.token)
            job.token = None
        if job.timeout_handle is not None:
            job.timeout_handle.cancel()
        if job.attempt_handle is not None:
            job.attempt_handle.cancel()

    def admit_locked(self, job: Job) -> None:
        """Queue a job, first waiting for its rate limiter's call when it has one."""
        limiter = job.limiter
        if limiter is None:
            self.enqueue_locked(job)
            return
        got = limiter._request(job.task.priority, functools.partial(self.token_granted, job))
        if isinstance(got, Token):
            job.token = got
            self.enqueue_locked(job)
            return
        job.waiter = got
        job.where = _LIMITED
        self.limited += 1
        self.limited_jobs.add(job)
        queued = self.ready + self.delayed + self.limited
        if queued > self.max_queued:
            self.max_queued = queued

    def token_granted(self, job: Job, token: Token) -> None:  # the limiter's timer thread
        with self.work:
            if job.where is _LIMITED:
                self.limited -= 1
                self.limited_jobs.discard(job)
                job.waiter = None
                job.token = token
                self.enqueue_locked(job)
                return
        job.limiter._release(token)  # cancelled meanwhile

    def enqueue_locked(self, job: Job) -> None:
        job.where = _QUEUED
        self.queue.push(job, job.task.priority, job.stamp)
        self.ready += 1
        queued = self.ready + self.delayed + self.limited
        if queued > self.max_queued:
            self.max_queued = queued
        self.kick_locked(1)

    if TYPE_CHECKING:
        # The workers' side (``Scheduler``) wakes or starts workers for queued jobs.
        def kick_locked(self, new: int = 0) -> None: ...

    def withdraw_all_locked(self) -> list[Job]:
        """Take every job that has not started out of the pool (the caller cancels them)."""
        jobs = list(self.queue.drain())
        self.ready = 0
        for job in self.delayed_jobs:
            if job.retry_handle is not None:
                job.retry_handle.cancel()
            jobs.append(job)
        self.delayed = 0
        self.delayed_jobs.clear()
        for job in self.limited_jobs:
            job.limiter._withdraw(job.waiter)
            job.waiter = None
            jobs.append(job)
        self.limited = 0
        self.limited_jobs.clear()
        for job in jobs:
            job.where = _NOWHERE
            if job.token is not None:
                job.limiter._release(job.token)
                job.token = None
        return jobs

    def finish_if_quiet_locked(self) -> None:
        if not self.shutdown:
            return
        if self.ready or self.delayed or self.limited or self.running or self.held:
            return
        self.quiet.notify_all()
        self.work.notify_all()
        # Nothing is left to time or to run on the loop: let those threads go too.
        self.timers.close(wait=False)
        self.loop.close(wait=False)
