"""The pool's scheduler: its worker threads, which take jobs in order and start attempts.

Built on ``_sched_outcomes`` (how an attempt ends: retries, backoff, timeouts, cooldown),
itself built on ``_sched_books`` (the state: where each job is, the counters, admission).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import threading
import time
from typing import Any

from .._core._errors import TaskCancelled
from .._core._options import thread_wait_max
from .._core._release import hand_over
from ._context import StopFlag
from ._runner import Job, Kind, Where, remote_call, run_coroutine, run_in_thread
from ._sched_outcomes import SchedulerOutcomes

__all__ = ["Scheduler"]

_STARTED = Where.STARTED


class Scheduler(SchedulerOutcomes):
    """Starts a pool's jobs in order on on-demand threads and books every attempt.

    A job takes one of ``max_workers`` slots to start. A plain or generator function
    holds its slot (and its thread) while it runs; a coroutine gives it back once started
    on the loop; work sent to a foreign executor holds it until the executor is done,
    so ``max_workers`` caps the work in flight there. All state is guarded by one lock
    (``work`` and ``quiet`` are conditions on it); the pool shares it for its own books.
    """

    def owns(self, thread: threading.Thread) -> bool:
        """True for the pool's own threads (workers, timer, loop)."""
        return thread in self.threads or self.loop.owns(thread) or self.timers.owns(thread)

    def paused(self) -> bool:
        """True while the cooldown holds starts back (lock held by the caller)."""
        return not self.shutdown and self.cooldown.paused(self.clock())

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
        with task._lock:
            task._live_attempts += 1  # until finish() books this attempt's end
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
