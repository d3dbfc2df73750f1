"""The service options of ``Pool.submit``: ``rate_limiter=``, ``breaker=``, ``attempt_timeout=``."""

from __future__ import annotations

from dataclasses import dataclass
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

__all__ = ["Services", "check_services", "refuse"]


# Not frozen: a frozen dataclass sets each field through object.__setattr__, several
# times slower, and submit is a hot path. Nothing assigns to it once made, so the one
# without services is shared.
@dataclass(slots=True)
class Services:
    """What one task's attempts go through: ``submit``'s service options, checked."""

    rate_limiter: RateLimiter | None
    """Each attempt waits for one of its calls."""
    breaker: CircuitBreaker | None
    """Admits the task (or has it refused) and counts its final outcome."""
    attempt_timeout: float | None
    """Seconds each attempt may run before it counts as a failed attempt."""


_NO_SERVICES = Services(None, None, None)


def check_services(rate_limiter: Any, breaker: Any, attempt_timeout: Any) -> Services:
    """Validate the service options at the call site; ``attempt_timeout`` becomes a float.

    Raises:
        TypeError: ``rate_limiter`` or ``breaker`` of the wrong type, or a non-number
            ``attempt_timeout``.
        ValueError: ``attempt_timeout`` not a finite number of seconds > 0.

    """
    if rate_limiter is None and breaker is None and attempt_timeout is None:
        return _NO_SERVICES
    if rate_limiter is not None and not isinstance(rate_limiter, RateLimiter):
        raise TypeError(f"rate_limiter must be a uidispatch.RateLimiter, got {rate_limiter!r}")
    if breaker is not None and not isinstance(breaker, CircuitBreaker):
        raise TypeError(f"breaker must be a uidispatch.CircuitBreaker, got {breaker!r}")
    if attempt_timeout is not None:
        attempt_timeout = check_seconds("attempt_timeout", attempt_timeout, zero_ok=False)
    return Services(rate_limiter, breaker, attempt_timeout)


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
        # Busy until its on_error has run, as every task is: its settling leaves the count.
        changed = pool._busy.enter(task.key)
        if task._scope is not None:
            changed = changed + task._scope.entered(task)
    if changed:
        pool._busy.notify(pool._dispatcher, changed)
    task._resolve(TaskState.FAILED, exc=circuit_open(task._label(), breaker))
    return task
