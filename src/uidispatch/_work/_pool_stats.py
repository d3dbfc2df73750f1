"""PoolStats: the snapshot of a pool's counters that :meth:`Pool.stats` returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .._services._opstats import OperationStats

if TYPE_CHECKING:
    from ._pool import Pool

__all__ = ["PoolStats", "snapshot"]


@dataclass(frozen=True)
class PoolStats:
    """A snapshot of a :class:`Pool`'s counters; cheap to take and safe to share across threads."""

    submitted: int
    """Tasks created by ``submit`` (a ``key=`` hit returning an existing task is not one)."""
    queued: int
    """Tasks waiting to start now, including those waiting out a retry backoff."""
    running: int
    """Attempts running now (a cancelled attempt counts until its thread lets go)."""
    completed: int
    """Tasks that finished ``DONE``."""
    failed: int
    """Tasks that finished ``FAILED`` (timeouts included)."""
    cancelled: int
    """Tasks that finished ``CANCELLED``."""
    retried: int
    """Retries started after a failed attempt."""
    max_queued: int
    """The most tasks seen queued at once."""
    mean_run_ms: float
    """Mean wall time of the attempts that ran, in milliseconds."""
    max_run_ms: float
    """The longest attempt, in milliseconds."""
    workers: int = 0
    """Worker threads alive now (they start on demand and exit when idle)."""
    paused: bool = False
    """True while the error cooldown holds new starts back (see :meth:`Pool.resume`)."""
    reused: int = 0
    """Submits answered by an existing task: same ``key`` pending or running, or within ``ttl``."""
    dropped_callbacks: int = 0
    """Task callbacks (``on_done``, ``on_error``, ``on_progress``) never handed to the main
    thread because the task's app was gone (its dispatcher closed, no other app found) or
    the callback's owner was collected. Dropped quietly: an app that closes its window
    while tasks still report is no error."""
    dropped: int = 0
    """Submits turned away by ``if_running="drop"`` (the running task was returned)."""
    operations: Mapping[str, OperationStats] = field(default_factory=dict)
    """Per-operation health by task name: see :class:`~uidispatch.OperationStats`."""


def snapshot(pool: Pool) -> PoolStats:
    """Take ``pool``'s counters at one moment, under its lock."""
    sched = pool._sched
    with pool._lock:
        queued = sched.ready + sched.delayed + sched.held + sched.limited
        return PoolStats(
            submitted=pool._submitted,
            queued=queued,
            running=sched.running,
            completed=pool._completed,
            failed=pool._failed,
            cancelled=pool._cancelled,
            retried=sched.retried,
            max_queued=max(sched.max_queued, queued),
            mean_run_ms=sched.run_total / sched.runs * 1000.0 if sched.runs else 0.0,
            max_run_ms=sched.run_max * 1000.0,
            workers=sched.nthreads,
            paused=sched.paused(),
            reused=pool._reused,
            dropped_callbacks=pool._dropped_callbacks,
            dropped=pool._dropped,
            operations=sched.ops.snapshot(),
        )
