"""The process-wide default pool, and the public functions that use it.

``submit``, ``operation``, ``shutdown`` and ``on_busy``. It is made on first use, and again on the
first use after a shutdown. ``run_command`` runs on it too when given no pool.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, ParamSpec, TypeVar, overload

from .._core._fork import in_child
from .._core._options import check_seconds
from .._core._priority import Priority
from .._services._breaker import CircuitBreaker
from .._services._ratelimit import RateLimiter
from ._operation import Operation, operation_decorator
from ._pool import Pool
from ._shutdown import shutdown_pools
from ._task import Task

__all__ = ["default_pool", "operation", "shutdown", "submit"]

P = ParamSpec("P")
T = TypeVar("T")

_default: Pool | None = None
_default_lock = threading.Lock()


def default_pool() -> Pool:
    """The process-wide pool behind :func:`uidispatch.submit`, created on first use."""
    global _default
    with _default_lock:
        if _default is None or _default._sched.shutdown:
            _default = Pool(name="uidispatch-default")
        return _default


def submit(fn: Callable[..., Any], /, *args: Any, **options: Any) -> Task[Any]:
    """:meth:`Pool.submit` on the process-wide default pool, created on first use. Any thread.

    The default pool is sized as ``Pool()`` is (``UIDISPATCH_WORKERS`` applies) and
    delivers callbacks through ``uidispatch.get_dispatcher()``.
    """
    return default_pool().submit(fn, *args, **options)


def operation(
    *,
    if_running: str | None = None,
    key: Callable[..., Hashable] | None = None,
    ttl: float | None = None,
    retries: int = 0,
    backoff: float = 0.1,
    retry_on: type[BaseException] | tuple[type[BaseException], ...] = Exception,
    timeout: float | None = None,
    attempt_timeout: float | None = None,
    rate_limiter: RateLimiter | None = None,
    breaker: CircuitBreaker | None = None,
    priority: Priority = Priority.NORMAL,
    name: str | None = None,
) -> Callable[[Callable[P, T]], Operation[Callable[P, T]]]:
    """:meth:`Pool.operation` on the process-wide default pool (the one behind :func:`submit`).

    ``@ud.operation(if_running="restart")`` defines the policies once;
    ``search.submit(text, on_done=show)`` runs a call, from any event. The default pool
    is looked up at each ``submit``, so an operation keeps working after
    :func:`shutdown` (on the fresh default pool). Any thread.

    Raises:
        TypeError: as :meth:`Pool.operation` raises.
        ValueError: as :meth:`Pool.operation` raises.

    """
    return operation_decorator(
        default_pool, name, if_running=if_running, key=key, ttl=ttl, retries=retries,
        backoff=backoff, retry_on=retry_on, timeout=timeout, attempt_timeout=attempt_timeout,
        rate_limiter=rate_limiter, breaker=breaker, priority=priority,
    )  # fmt: skip


@overload
def shutdown(
    timeout: float | None = None, /, *, cancel_pending: bool = False, cancel_running: bool = False
) -> bool: ...
@overload
def shutdown(
    *pools: Pool,
    timeout: float | None = None,
    cancel_pending: bool = False,
    cancel_running: bool = False,
) -> bool: ...


def shutdown(
    *pools: Pool | float | None,
    timeout: float | None = None,
    cancel_pending: bool = False,
    cancel_running: bool = False,
) -> bool:
    """Shut ``pools`` down (none given: the default pool); for an "on close" handler.

    Every pool stops accepting work at once (``cancel_pending`` / ``cancel_running``
    as :meth:`~uidispatch.Pool.shutdown` takes them), then all are waited for within one
    shared deadline: at most ``timeout`` seconds in all (``None``: until done) for their
    tasks and threads. Returns whether every worker of every pool stopped in time
    (``True`` when no pool is given and no default pool was made). A later
    :func:`~uidispatch.submit` starts a fresh default pool. A lone number given by
    position is the ``timeout`` (``ud.shutdown(5)``, as before pools could be given).
    Any thread but the pools' own.

    Raises:
        TypeError: an argument is neither a :class:`~uidispatch.Pool` nor (alone) a
            timeout, or ``timeout`` is given twice.
        ValueError: ``timeout`` not a number of seconds >= 0.
        RuntimeError: called from a thread of one of the pools (nothing is shut down),
            or as :meth:`~uidispatch.Pool.shutdown` raises.

    """
    if len(pools) == 1 and not isinstance(pools[0], Pool):
        given = pools[0]
        if given is not None and not isinstance(given, (int, float, str)):
            raise TypeError(f"shutdown() takes Pools (and timeout=), got {given!r}")
        if timeout is not None:
            raise TypeError(
                f"shutdown() got timeout twice: {given!r} by position and timeout={timeout!r}"
            )
        timeout, pools = given, ()
    chosen: list[Pool] = []
    for index, pool in enumerate(pools):
        if not isinstance(pool, Pool):
            raise TypeError(f"shutdown() takes Pools (and timeout=); argument {index} is {pool!r}")
        chosen.append(pool)
    if timeout is not None:
        timeout = check_seconds("timeout", timeout, zero_ok=True)
    if not chosen:
        with _default_lock:
            if _default is None:
                return True
            chosen.append(_default)
    return shutdown_pools(
        chosen, cancel_pending=cancel_pending, cancel_running=cancel_running, timeout=timeout
    )


def _after_fork_in_child() -> None:
    # The lock may have been held by a thread that did not come along; the pool itself is
    # made usable by the pools' own reset (``_pool``).
    global _default_lock
    _default_lock = threading.Lock()


in_child(_after_fork_in_child)
