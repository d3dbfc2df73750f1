"""Shutting a pool down: cancel what was asked, wait with a deadline, never deadlock."""

from __future__ import annotations

import logging
import sys
import threading
import time
from typing import TYPE_CHECKING

from .._core._dispatcher import Dispatcher

if TYPE_CHECKING:
    from ._pool import Pool
    from ._scheduler import Scheduler

__all__ = ["blocked_call", "shutdown_pool", "shutdown_pools"]

logger = logging.getLogger("uidispatch")

# How often a shutdown waiting on the main thread looks for a worker stuck in call().
_LOOK_EVERY = 0.05
_CALL_CODE = Dispatcher.call.__code__


def shutdown_pool(
    pool: Pool,
    *,
    wait: bool,
    cancel_pending: bool,
    cancel_running: bool,
    timeout: float | None,
) -> bool:
    """What :meth:`Pool.shutdown` does; see there."""
    sched = pool._sched
    if wait and sched.owns(threading.current_thread()):
        raise RuntimeError("shutdown(wait=True) from the pool's own thread would wait forever")
    deadline = None if timeout is None else time.monotonic() + timeout
    with sched.lock:
        sched.shutdown = True
        sched.cooldown.resume()
        jobs = sched.withdraw_all_locked() if cancel_pending else []
        held = pool._keyed.withdraw_waiting() if cancel_pending else []
        sched.held = pool._keyed.waiting
        running = [job.task for job in sched.started_jobs] if cancel_running else []
        sched.work.notify_all()
    for job in jobs:
        job.task.cancel()
    for task in held:
        task.cancel()
    for task in running:
        task.cancel()
    with sched.lock:
        sched.kick_locked()
        sched.finish_if_quiet_locked()
    if not wait:
        return True
    if not _wait_quiet(sched, deadline):
        return False
    return _join_threads(sched, deadline)


def shutdown_pools(
    pools: list[Pool], *, cancel_pending: bool, cancel_running: bool, timeout: float | None
) -> bool:
    """Shut ``pools`` down together within one deadline; True when all stopped in time.

    Each stops accepting work (and cancels what was asked) before any is waited for, so
    they wind down side by side and the deadline is shared, not granted to each in turn.
    """
    me = threading.current_thread()
    for pool in pools:  # before any is touched: a refusal leaves every pool as it was
        if pool._sched.owns(me):
            raise RuntimeError(
                f"shutdown() from the pool's own thread would wait forever ({pool!r}); "
                "shut down from another thread"
            )
    deadline = None if timeout is None else time.monotonic() + timeout
    for pool in pools:
        shutdown_pool(
            pool,
            wait=False,
            cancel_pending=cancel_pending,
            cancel_running=cancel_running,
            timeout=None,
        )
    stopped = True
    for pool in pools:
        # Every pool is waited for, even past a failed one: each gets what is left.
        sched = pool._sched
        if not (_wait_quiet(sched, deadline) and _join_threads(sched, deadline)):
            stopped = False
    return stopped


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def _wait_quiet(sched: Scheduler, deadline: float | None) -> bool:
    """Wait until no job is left; False at the deadline."""
    # Sliced, on any thread: a pool that never bound a dispatcher can still have a task
    # in some dispatcher's call() waiting for this thread.
    warned = False
    with sched.lock:
        while sched.ready or sched.delayed or sched.limited or sched.running or sched.held:
            remaining = _remaining(deadline)
            if remaining is not None and remaining <= 0:
                return False
            sched.quiet.wait(_LOOK_EVERY if remaining is None else min(remaining, _LOOK_EVERY))
            if not (sched.ready or sched.delayed or sched.limited or sched.running or sched.held):
                break
            blocked = blocked_call(sched)
            if blocked is None:
                continue
            message = (
                f"pool {sched.name!r}: shutdown(wait=True) on the main thread cannot finish: "
                f"its thread {blocked!r} is blocked in Dispatcher.call(), waiting for this "
                "main thread, which is waiting for it. Call shutdown(wait=False) (or give "
                "timeout=) from the main thread, or shut down from another thread"
            )
            if deadline is None:
                raise RuntimeError(message)
            if not warned:
                warned = True
                logger.warning("%s; waiting until the timeout", message)
    return True


def blocked_call(sched: Scheduler) -> str | None:
    """The name of a pool thread waiting in ``Dispatcher.call()`` for this main thread."""
    threads = [*sched.threads, *sched.loop._threads]
    frames = sys._current_frames()
    for thread in threads:
        frame = frames.get(thread.ident) if thread.ident is not None else None
        while frame is not None:
            if frame.f_code is _CALL_CODE:
                target = frame.f_locals.get("self")
                if isinstance(target, Dispatcher) and target.is_main_thread():
                    return thread.name
                break
            frame = frame.f_back
    return None


def _join_threads(sched: Scheduler, deadline: float | None) -> bool:
    """Wait for every thread of the pool to exit; False when one outlives the deadline."""
    me = threading.current_thread()
    with sched.lock:
        threads = list(sched.threads)
    sched.timers.close(wait=False)
    sched.loop.close(wait=False)
    threads += [*sched.timers._threads, *sched.loop._threads]
    for thread in threads:
        if thread is not me:
            thread.join(_remaining(deadline))
    return not any(t.is_alive() for t in threads if t is not me)
