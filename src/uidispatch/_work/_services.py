"""The service options of ``Pool.submit``: ``rate_limiter=``, ``breaker=``, ``attempt_timeout=``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._core._errors import CircuitOpen
from .._core._options import check_seconds
from .._services._breaker import CircuitBreaker
from .._services._opstats import op_name
from .._services._ratelimit import RateLimiter
from ._runner import Job, Kind
from ._task import Task, TaskState

if TYPE_CHECKING:
    from ._pool import Pool

__all__ = ["check_services", "refuse"]


def check_services(rate_limiter: Any, breaker: Any, attempt_timeout: Any) -> float | None:
    """Validate the service options at the call site; return ``attempt_timeout`` as a float.

    Raises:
        TypeError: ``rate_limiter`` or ``breaker`` of the wrong type, or a non-number
            ``attempt_timeout``.
        ValueError: ``attempt_timeout`` not a finite number of seconds > 0.

    """
    if rate_limiter is not None and not isinstance(rate_limiter, RateLimiter):
        raise TypeError(f"rate_limiter must be a uidispatch.RateLimiter, got {rate_limiter!r}")
    if breaker is not None and not isinstance(breaker, CircuitBreaker):
        raise TypeError(f"breaker must be a uidispatch.CircuitBreaker, got {breaker!r}")
    if attempt_timeout is None:
        return None
    return check_seconds("attempt_timeout", attempt_timeout, zero_ok=False)


def circuit_open(label: str, breaker: CircuitBreaker) -> CircuitOpen:
    """The error of a submission refused by an open breaker."""
    return CircuitOpen(
        f"{label} was not run: {breaker!r} is {breaker._state} after repeated failures; "
        f"it lets one probe through {breaker.reset_after} s after it opened"
    )


def refuse(pool: Pool, task: Task[Any], breaker: CircuitBreaker) -> Task[Any]:
    """Return ``task`` already failed with CircuitOpen, booked as submitted and failed."""
    job = task._job = Job(
        task, abs, (), Kind.SYNC, retries=0, backoff=0.0, retry_on=(), timeout=None,
        ttl=None, stamp=0.0,
    )  # fmt: skip
    with pool._lock:
        pool._submitted += 1
        job.op = op = pool._sched.ops.get(op_name(task.name))
        op.submitted += 1
    task._resolve(TaskState.FAILED, exc=circuit_open(task._label(), breaker))
    return task
