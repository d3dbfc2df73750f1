"""Submitting to a pool: a new task queued (or held behind its key), or the one under way.

What ``Pool.submit`` does once its options are checked (``_submit_options``). A new task
is made with its callbacks, admitted by its breaker, then entered in the pool's books
under the pool's lock: its live tasks and counters, the single-flight table and the busy
state. A submit whose key already has a task under way (``join``, ``drop``) gets that
task instead, found before a new one is made or, when another thread won the race, as
the new one is entered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._services._breaker import PROBE, REFUSED
from . import _task
from ._names import task_name
from ._pool_books import check_open, enter
from ._runner import Job, Kind, kind_of
from ._services import refuse
from ._stream import add_on_item
from ._task import Task

if TYPE_CHECKING:
    from ._pool import Pool
    from ._submit_options import Callbacks, KeyPolicy, SubmitOptions

__all__ = ["submit_task"]


def submit_task(
    pool: Pool, fn: Callable[..., Any], args: tuple[Any, ...], options: SubmitOptions
) -> Task[Any]:
    """Run ``fn(*args)`` on ``pool`` with checked ``options``: what ``Pool.submit`` does."""
    kind = kind_of(fn)
    if pool._executor is not None:
        _check_executor_fits(pool, fn, kind, options)
    if options.callbacks.any() or options.items.on_item:
        pool._try_dispatcher()
    check_open(pool)
    existing = _under_way(pool, options.keyed)
    if existing is None:
        task = _new_task(pool, fn, options)
        breaker = options.services.breaker
        admitted = breaker._admit() if breaker is not None else 0
        if admitted == REFUSED and breaker is not None:
            return refuse(pool, task, breaker)
        job = _new_job(pool, task, fn, args, kind, options, admitted)
        existing = enter(pool, task, job, options.keyed)
        if existing is None:
            return task
        if breaker is not None and admitted == PROBE:
            breaker._record(admitted, "cancelled")  # the probe's place goes back
    return _join(pool, existing, options)


def _check_executor_fits(
    pool: Pool, fn: Callable[..., Any], kind: Kind, options: SubmitOptions
) -> None:
    """Refuse what needs progress reports on a pool that runs work on a foreign executor."""
    if kind in (Kind.GENERATOR, Kind.ASYNCGEN):
        raise TypeError(pool._no_progress_message(f"a {kind.value} ({fn!r})"))
    on_progress, on_item = options.callbacks.on_progress, options.items.on_item
    if on_progress is not None or on_item is not None:
        what = "on_progress=" if on_progress is not None else "on_item="
        raise ValueError(pool._no_progress_message(what))
    if options.callbacks.on_warning is not None:
        raise ValueError(pool._no_warnings_message())


def _under_way(pool: Pool, keyed: KeyPolicy) -> Task[Any] | None:
    """The task ``join`` or ``drop`` hands out for the key now, or ``None``: make one."""
    key = keyed.key
    if key is None or (keyed.if_running != "join" and keyed.if_running != "drop"):
        return None
    with pool._lock:
        if keyed.if_running == "join":
            return pool._keyed.find(key, pool._sched.clock())
        return pool._keyed.running(key, None if keyed.ttl is None else pool._sched.clock())


def _new_task(pool: Pool, fn: Callable[..., Any], options: SubmitOptions) -> Task[Any]:
    """The task, with this submit's callbacks and item stream."""
    name, callbacks = options.name, options.callbacks
    task: Task[Any] = Task(
        name=task_name(fn) if name is None else name,
        priority=options.priority,
        key=options.keyed.key,
        owner=callbacks.owner,
        host=pool,
        metadata=options.metadata,
    )
    task._scope = options.scope
    _attach(task, callbacks)
    items = options.items
    if items.on_item is not None:
        add_on_item(task, items.on_item, task._owner, items.max_buffered)
    return task


def _new_job(
    pool: Pool,
    task: Task[Any],
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kind: Kind,
    options: SubmitOptions,
    admitted: int,
) -> Job:
    """The pool's record of ``task``: what to run and how, with the services it goes through."""
    retry, services = options.retry, options.services
    job = Job(
        task,
        fn,
        args,
        kind,
        retries=retry.retries,
        backoff=retry.backoff,
        retry_on=retry.retry_on,
        timeout=retry.timeout,
        ttl=options.keyed.ttl,
        stamp=pool._sched.clock(),
    )
    task._job = job
    job.limiter, job.breaker, job.admitted = services.rate_limiter, services.breaker, admitted
    job.attempt_timeout = services.attempt_timeout
    return job


def _join(pool: Pool, existing: Task[Any], options: SubmitOptions) -> Task[Any]:
    """Hand out the task under way for the key: ``drop`` as it is, ``join`` with callbacks."""
    owner = options.callbacks.owner
    if owner is not None:
        _task._weak(owner)  # same TypeError as a new task would raise
    if options.keyed.if_running == "drop":  # "already running": no callbacks are added
        with pool._lock:
            pool._dropped += 1
        # ...but on_finish, which follows every outcome, this call's included: it runs
        # once the task this call was handed has ended.
        on_finish = options.callbacks.on_finish
        if on_finish is not None:
            existing.on_finish(on_finish, owner=owner)
        return existing
    # Single flight: the caller gets the task already under way, with its callbacks.
    with pool._lock:
        pool._reused += 1
    _attach(existing, options.callbacks, owner=owner)
    on_item = options.items.on_item
    if on_item is not None:
        add_on_item(existing, on_item, existing._owner if owner is None else _task._weak(owner))
    return existing


def _attach(task: Task[Any], callbacks: Callbacks, **owner: Any) -> None:
    """Add the callbacks to ``task`` (``owner=``: theirs, when not the task's own)."""
    if not callbacks.any():
        return
    if callbacks.on_start is not None:
        task.on_start(callbacks.on_start, **owner)
    if callbacks.on_warning is not None:
        task.on_warning(callbacks.on_warning, **owner)
    if callbacks.on_progress is not None:
        task.on_progress(callbacks.on_progress, **owner)
    if callbacks.on_done is not None:
        task.on_done(callbacks.on_done, **owner)
    if callbacks.on_error is not None:
        task.on_error(callbacks.on_error, **owner)
    if callbacks.on_finish is not None:
        task.on_finish(callbacks.on_finish, **owner)
