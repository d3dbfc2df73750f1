"""The process-wide default pool, and the public functions that use it: submit and shutdown.

It is made on first use, and again on the first use after a shutdown. ``run_command``
runs on it too when given no pool.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from .._core._fork import in_child
from .._core._options import check_seconds
from ._pool import Pool
from ._task import Task

__all__ = ["default_pool", "shutdown", "submit"]

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


def shutdown(
    timeout: float | None = None, *, cancel_pending: bool = False, cancel_running: bool = False
) -> bool:
    """Shut down the default pool behind :func:`~uidispatch.submit`; for an "on close" handler.

    Waits at most ``timeout`` seconds (``None``: until done) for its tasks and threads,
    as :meth:`~uidispatch.Pool.shutdown` does, and returns whether every worker stopped in time
    (``True`` when no default pool was made). A later :func:`~uidispatch.submit` starts a fresh
    default pool. Any thread but the pool's own.

    Raises:
        ValueError: ``timeout`` not a number of seconds >= 0.
        RuntimeError: as :meth:`~uidispatch.Pool.shutdown` raises.

    """
    if timeout is not None:
        check_seconds("timeout", timeout, zero_ok=True)
    with _default_lock:
        pool = _default
    if pool is None:
        return True
    return pool.shutdown(
        True, cancel_pending=cancel_pending, cancel_running=cancel_running, timeout=timeout
    )


def _after_fork_in_child() -> None:
    # The lock may have been held by a thread that did not come along; the pool itself is
    # made usable by the pools' own reset (``_pool``).
    global _default_lock
    _default_lock = threading.Lock()


in_child(_after_fork_in_child)
