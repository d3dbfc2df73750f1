"""The pool's scheduler: worker threads, start order, attempts, retries, timeouts, cooldown."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from .._core import _fork
from .._core._errors import TaskCancelled, TaskTimeout
from .._core._options import thread_wait_max
from .._core._release import hand_over
from .._core._timers import TimerThread
from .._services._opstats import OperationBook
from .._services._ratelimit import Token
from . import _task
from ._context import StopFlag
from ._cooldown import Cooldown
from ._loopthread import LoopThread
from ._runner import Job, Kind, Where, backoff_delay, remote_call, run_coroutine, run_in_thread
from ._task import TaskState
from ._workqueue import WorkQueue

__all__ = ["Scheduler"]

logger = logging.getLogger("uidispatch")

_QUEUED, _DELAYED, _STARTED, _NOWHERE = Where.QUEUED, Where.DELAYED, Where.STARTED, Where.NONE
_LIMITED = Where.LIMITED


class Scheduler:
    """Starts a pool's jobs in order on on-demand threads and books every attempt.

    A job takes one of ``max_workers`` slots to start. A plain or generator function
    holds its slot (and its thread) while it runs; a coroutine gives it back once started
    on the loop; work sent to a foreign executor holds it until the executor is done,
    so ``max_workers`` caps the work in flight there. All state is guarded by one lock
    (``work`` and ``quiet`` are conditions on it); the pool shares it for its own books.
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

    def owns(self, thread: threading.Thread) -> bool:
        """True for the pool's own threads (workers, timer, loop)."""
        return thread in self.threads or self.loop.owns(thread) or self.timers.owns(thread)

    def paused(self) -> bool:
        """True while the cooldown holds starts back (lock held by the caller)."""
        return not self.shutdown and self.cooldown.paused(self.clock())

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

    def join(self) -> None:
        """Wait until no job is left, then for every thread of the pool to exit."""
        me = threading.current_thread()
        with self.lock:
            while self.ready or self.delayed or self.limited or self.running or self.held:
                self.quiet.wait()
            threads = list(self.threads)
        for thread in threads:
            if thread is not me:
                thread.join()
        self.timers.close(wait=True)
        self.loop.close(wait=True)

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

    def kick_locked(self, new: int = 0) -> None:
        """Make sure enough workers are awake (or started) for the jobs that may start.

        ``new``: only that many jobs just arrived, so wake only that many workers (one
        wake-up per job, never the whole pool per job).
        """
        if not self.ready or (not self.shutdown and self.cooldown.paused(self.clock())):
            return
        startable = min(self.ready, self.max - self.active)
        if startable <= 0:
            return
        missing = min(startable - self.waiting, self.max - self.nthreads)
        if missing > 0:
            self.threads = [t for t in self.threads if t.is_alive()]
            for _ in range(missing):
                thread = threading.Thread(
                    target=self.worker, name=f"{self.name}-{len(self.threads)}", daemon=True
                )
                self.nthreads += 1
                self.threads.append(thread)
                thread.start()
        self.work.notify(min(new, startable) if new else startable)

    def take_locked(self) -> Job | None:
        if not self.ready or self.active >= self.max:
            return None
        if not self.shutdown and self.cooldown.paused(self.clock()):
            return None
        job = self.queue.pop()
        if job is None:  # pragma: no cover - the counters and the heap disagree
            self.ready = 0
            return None
        job.where = _STARTED
        self.ready -= 1
        self.active += 1
        self.running += 1
        job.op.running += 1
        self.started_jobs.add(job)
        return job

    def worker(self) -> None:
        cv = self.work
        try:
            while True:
                with cv:
                    job = self.take_locked()
                    while job is None:
                        if self.shutdown and not self.ready:
                            return
                        self.waiting += 1
                        try:
                            woken = cv.wait(min(self.idle_timeout, thread_wait_max()))
                        finally:
                            self.waiting -= 1
                        job = self.take_locked()
                        if job is None and not woken:
                            return  # idle for idle_timeout: let the thread go
                self.run(job)
                # Its task, and what only the task still names (its result, its exception's
                # frames), may be the app's: in fire-and-forget use this thread is their last
                # holder, and a window the app closed must not be freed here (see _release).
                box: list[Job] = [job]
                via = job.task._bound
                del job
                hand_over(box, via)
        finally:
            with cv:
                self.nthreads -= 1

    def run(self, job: Job) -> None:
        """Start one attempt (worker thread, a slot held)."""
        task = job.task
        token = job.token
        if not task._start():
            if token is not None:
                job.token = None
                job.limiter._release(token)
            self.finish(job, False, None, None, slot=True)
            return
        if token is not None:
            job.token = None
            job.limiter._started(token)
        job.attempt += 1
        n = job.attempt
        if n == 1 and job.timeout is not None:
            job.timeout_handle = self.timers.schedule(
                job.timeout, functools.partial(self.timed_out, job)
            )
        t0 = time.perf_counter()
        if self.executor is not None:
            self.start_foreign(job, t0, n)
        elif job.kind is Kind.COROUTINE or job.kind is Kind.ASYNCGEN:
            self.start_coroutine(job, t0, n)
        else:
            if job.attempt_timeout is not None:
                job.stop = StopFlag()
                self.arm_attempt(job, n)
            ok, value = run_in_thread(job, self.loop)
            self.finish(job, ok, value, time.perf_counter() - t0, slot=True, n=n)
            # A failure's traceback keeps this frame (the failing frames keep their callers):
            # naming the job, its task or the failure here would be a cycle through the task.
            del job, task, value

    def start_coroutine(self, job: Job, t0: float, n: int) -> None:
        try:
            future = self.loop.submit(run_coroutine(job))
        except BaseException as exc:
            self.finish(job, False, exc, None, slot=True, n=n)
            return
        with self.work:
            self.active -= 1  # the loop runs it: the worker and its slot are free again
        job.task._add_stop_hook(future.cancel)
        if job.attempt_timeout is not None:
            job.attempt_cancel = future.cancel  # really cancelled at its deadline
            self.arm_attempt(job, n)
        future.add_done_callback(lambda f: self.future_done(job, f, t0, slot=False, n=n))

    def start_foreign(self, job: Job, t0: float, n: int) -> None:
        assert self.executor is not None
        fn, args = remote_call(job)
        try:
            future = self.executor.submit(fn, *args)
        except BaseException as exc:
            self.finish(job, False, exc, None, slot=True, n=n)
            return
        job.task._add_stop_hook(future.cancel)
        if job.attempt_timeout is not None:
            job.attempt_cancel = future.cancel
            self.arm_attempt(job, n)
        # The slot stays taken until the executor is done: max_workers caps work in flight.
        future.add_done_callback(lambda f: self.future_done(job, f, t0, slot=True, n=n))

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

    def future_done(
        self,
        job: Job,
        future: concurrent.futures.Future[Any],
        t0: float,
        *,
        slot: bool,
        n: int | None = None,
    ) -> None:
        elapsed = time.perf_counter() - t0
        value: Any
        if future.cancelled():
            ok, value = False, TaskCancelled(f"{job.task._label()}: its future was cancelled")
        else:
            exc = future.exception()
            ok, value = (True, future.result()) if exc is None else (False, exc)
        self.finish(job, ok, value, elapsed, slot=slot, kick=True, n=n)
        # This thread (the pool's event loop, or an executor's thread) may be the last holder
        # of a forgotten task, its result, its failure's frames and the future (see
        # _release): they go to the main thread. On the loop, from its next turn, once the
        # loop has let go of the asyncio task that also holds the failure.
        box: list[object] = [job, future, value]
        via = job.task._bound
        try:
            asyncio.get_running_loop().call_soon(hand_over, box, via)
        except RuntimeError:  # not on a loop (an executor's thread), or it closed meanwhile
            hand_over(box, via)

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
            and not _task.exiting
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
