"""Every live pool, at the process's fork and at its exit.

In a forked child every pool works: fresh locks, threads started afresh on demand, and
the parent's tasks failed there (they run in the parent, not twice). Interpreter exit
never waits for a pool: what is queued is cancelled, and its daemon workers are left.
"""

from __future__ import annotations

import atexit
import weakref
from typing import TYPE_CHECKING

from .._core._fork import fork_error, in_child
from . import _busy, _task_callbacks
from ._singleflight import SingleFlight

if TYPE_CHECKING:
    from ._pool import Pool

__all__ = ["track"]

_live_pools: weakref.WeakSet[Pool] = weakref.WeakSet()


def track(pool: Pool) -> None:
    """Hold ``pool`` (weakly) for the fork and exit hooks below."""
    _live_pools.add(pool)


def _reset_in_child(pool: Pool) -> None:
    """Forked child: fresh locks and threads; the parent's tasks fail here, not run twice."""
    sched = pool._sched
    sched.after_fork_in_child()
    pool._lock = sched.lock
    inherited = list(pool._live.values())
    pool._live.clear()
    pool._keyed = SingleFlight()
    # The parent's tasks and watchers: none of them live here.
    pool._busy = _busy.BusyState(_busy.PROCESS)
    for task in inherited:
        task._host = None  # its books are the parent's: nothing to settle here
        task._fail_after_fork(fork_error(task))


def _after_fork_in_child() -> None:
    """Make every pool usable in a forked child; see ``_fork``."""
    for pool in list(_live_pools):
        _reset_in_child(pool)


in_child(_after_fork_in_child)


@atexit.register
def _at_exit() -> None:
    # Daemon workers never block exit and nothing here waits: what is queued is
    # cancelled; running commands are stopped by the subprocess helper's own exit hook.
    _task_callbacks.exiting = True
    for pool in list(_live_pools):
        try:
            sched = pool._sched
            with sched.lock:
                sched.shutdown = True
                jobs = sched.withdraw_all_locked()
                held = pool._keyed.withdraw_waiting()
                sched.held = 0
                sched.work.notify_all()
            for job in jobs:
                job.task.cancel()
            for task in held:
                task.cancel()
        except Exception:  # pragma: no cover - best effort at exit
            pass
