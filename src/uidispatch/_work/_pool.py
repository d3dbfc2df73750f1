"""Pool: the priority worker pool whose results, progress and errors land on the UI thread."""

from __future__ import annotations

import concurrent.futures
import warnings
from collections.abc import Callable, Coroutine, Generator, Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, overload

from .._core._dispatcher import Dispatcher
from .._core._options import (
    check_count,
    check_max_workers,
    check_seconds,
    default_workers,
    workers_from_env,
)
from .._core._priority import Priority
from .._services._breaker import CircuitBreaker
from .._services._ratelimit import RateLimiter
from . import _busy
from ._busy import BusyState, PoolBusy
from ._cooldown import Cooldown
from ._operation import PoolOperations
from ._pool_books import settle
from ._pool_dispatcher import PoolDispatcher
from ._pool_process import track
from ._pool_stats import PoolStats, snapshot
from ._report import render
from ._scheduler import Scheduler
from ._shutdown import shutdown_pool
from ._singleflight import SingleFlight
from ._submit import submit_task
from ._submit_options import check_options
from ._task import Task

if TYPE_CHECKING:
    from ._subprocess import CommandResult

__all__ = ["Pool", "PoolStats"]

T = TypeVar("T")

_NORMAL = Priority.NORMAL


class Pool(PoolDispatcher, PoolBusy, PoolOperations, concurrent.futures.Executor):
    """A worker pool whose task callbacks, progress and errors run on the main (UI) thread.

    ``max_workers`` defaults to ``(CPU count x 4) + 1`` with a floor of 12 (pool work is
    mostly I/O: commands, files, network), or ``UIDISPATCH_WORKERS`` when set. Threads
    start on demand and exit after ``idle_timeout`` seconds without work; they are
    daemon threads and interpreter exit cancels what is queued, so exit never hangs on a
    pool. Queued work starts in :class:`~uidispatch.Priority` order (FIFO within a
    priority) with ageing: a task gains one level per ``aging`` seconds of waiting.

    ``dispatcher`` (a :class:`~uidispatch.Dispatcher` or a backend name) delivers the
    callbacks; by default ``uidispatch.get_dispatcher()``, resolved when a callback is
    first needed, not here. ``executor`` sends the work to any
    :class:`concurrent.futures.Executor` (a process pool, loky, a Dask client's
    ``get_executor()``) while callbacks still land on the UI thread; there progress
    reports and cooperative cancellation of running work are unavailable, so generator
    functions and ``on_progress`` are refused, and ``max_workers`` caps the tasks in
    flight (default: the executor's own size when it has one).

    Error cooldown (off by default): with ``max_errors=N``, N failed tasks within
    ``error_window`` seconds pause new starts for ``error_window`` seconds, shown by
    :attr:`paused` and ``stats().paused`` and logged; :meth:`resume` ends it early. A
    task counts once, on its final failure (its retries do not count). For a service
    that goes down, prefer a :class:`~uidispatch.CircuitBreaker` per service: it stops
    only the calls to that service.

    ``@pool.operation(...)`` fixes a function's policies once, for calls from any event
    (:meth:`operation`). ``Pool`` is a :class:`concurrent.futures.Executor`: ``map``, the
    context manager and ``loop.run_in_executor(pool, fn)`` work. All methods may be
    called from any thread.

    Durations (``idle_timeout``, ``aging``, ``error_window``) above 1e9 seconds mean
    "practically never" and are clamped to it; NaN, infinite or non-positive ones are
    refused.

    Raises:
        ValueError: a bad ``max_workers`` or ``UIDISPATCH_WORKERS``, or a duration that is
            NaN, infinite or not positive (named, with the value).
        TypeError: ``dispatcher`` or ``executor`` of the wrong type.

    """

    def __init__(
        self,
        max_workers: int | None = None,
        dispatcher: Dispatcher | str | None = None,
        executor: concurrent.futures.Executor | None = None,
        *,
        max_errors: int | None = None,
        error_window: float = 60.0,
        aging: float = 1.0,
        idle_timeout: float = 10.0,
        name: str = "uidispatch-pool",
    ) -> None:
        env_workers = workers_from_env()  # validated even when max_workers wins
        if dispatcher is not None and not isinstance(dispatcher, (Dispatcher, str)):
            raise TypeError(
                f"dispatcher must be a Dispatcher, a backend name or None, got {dispatcher!r}"
            )
        if executor is not None and not isinstance(executor, concurrent.futures.Executor):
            raise TypeError(f"executor must be a concurrent.futures.Executor, got {executor!r}")
        if max_workers is not None:
            size = check_max_workers(max_workers)
        elif executor is not None:
            own = getattr(executor, "_max_workers", None)
            size = own if isinstance(own, int) and own >= 1 else default_workers()
        else:
            size = env_workers or default_workers()
        if max_errors is not None:
            check_count("max_errors", max_errors, 1)
        self._max = self._max_workers = size  # the second: ThreadPoolExecutor's name
        self._bind_dispatcher(dispatcher)
        self._executor = executor
        self._name = name
        self._sched = sched = Scheduler(
            max_workers=size,
            executor=executor,
            cooldown=Cooldown(
                max_errors, check_seconds("error_window", error_window, zero_ok=False)
            ),
            aging=check_seconds("aging", aging, zero_ok=False),
            idle_timeout=check_seconds("idle_timeout", idle_timeout, zero_ok=False),
            name=name,
        )
        self._lock = sched.lock
        self._keyed = SingleFlight()
        self._submitted = self._reused = self._dropped_callbacks = 0
        self._completed = self._failed = self._cancelled = 0
        self._live: dict[int, Task[Any]] = {}  # pending and running, by id: oldest first
        self._busy = BusyState(_busy.PROCESS)  # the process is busy while any pool is
        self._dropped = 0
        track(self)

    # ------------------------------------------------------------------ properties

    @property
    def max_workers(self) -> int:
        """The most tasks that run at once (threads, or tasks in flight on ``executor``)."""
        return self._max

    @property
    def executor(self) -> concurrent.futures.Executor | None:
        """The foreign executor work goes to, or ``None`` for the pool's own threads."""
        return self._executor

    @property
    def paused(self) -> bool:
        """True while the error cooldown holds new starts back. Any thread."""
        with self._lock:
            return self._sched.paused()

    def __repr__(self) -> str:
        state = "shut down" if self._sched.shutdown else ("paused" if self.paused else "open")
        where = f" executor={type(self._executor).__name__}" if self._executor else ""
        return f"<uidispatch.Pool {self._name!r} max_workers={self._max}{where} {state}>"

    # ------------------------------------------------------------------ submitting

    @overload
    def submit(
        self, fn: Callable[..., Coroutine[Any, Any, T]], /, *args: Any, **options: Any
    ) -> Task[T]: ...
    @overload
    def submit(
        self, fn: Callable[..., Generator[Any, Any, T]], /, *args: Any, **options: Any
    ) -> Task[T]: ...
    @overload
    def submit(self, fn: Callable[..., T], /, *args: Any, **options: Any) -> Task[T]: ...

    def submit(  # keywords are options, never forwarded
        self,
        fn: Callable[..., Any],
        /,
        *args: Any,
        priority: Priority = _NORMAL,
        timeout: float | None = None,
        retries: int = 0,
        backoff: float = 0.1,
        retry_on: type[BaseException] | tuple[type[BaseException], ...] = Exception,
        key: Hashable | None = None,
        ttl: float | None = None,
        on_done: Callable[[Any], object] | None = None,
        on_error: Callable[[BaseException], object] | None = None,
        on_progress: Callable[[Any, str | None], object] | None = None,
        owner: object | None = None,
        if_running: str = "join",
        name: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        on_item: Callable[[Any], object] | None = None,
        max_buffered: int | None = None,
        rate_limiter: RateLimiter | None = None,
        breaker: CircuitBreaker | None = None,
        attempt_timeout: float | None = None,
        on_start: Callable[[], object] | None = None,
        on_finish: Callable[[Task[Any]], object] | None = None,
        on_warning: Callable[[warnings.WarningMessage], object] | None = None,
    ) -> Task[Any]:
        """Run ``fn(*args)`` on the pool; return its :class:`~uidispatch.Task` at once. Any thread.

        Positional arguments are forwarded; keyword arguments are options, never
        forwarded (use ``functools.partial`` for the function's own keywords). A
        generator function reports each ``yield`` as progress ``(value, None)`` and its
        return value is the result; a coroutine function runs on the pool's background
        asyncio loop.

        Args:
            priority: start order among queued tasks; also the lane of its callbacks.
            timeout: seconds from the first start (retries and backoff included) after
                which the task fails with :class:`~uidispatch.TaskTimeout` and is told
                to stop; never retried.
            retries: extra attempts after a failure with an ``Exception`` other than
                cancellation and timeout, waiting ``backoff * 2 ** (n - 1)`` seconds
                (capped at 60, with jitter) before attempt ``n + 1``.
            retry_on: retry only these exception classes.
            key: per-key concurrency: what happens while a task with this key is
                pending or running is ``if_running``'s choice.
            ttl: with ``key`` and ``if_running="join"`` or ``"drop"``: a task that
                succeeded is returned for this many seconds after it finished instead
                of running again (by ``join`` with this call's callbacks added, by
                ``drop`` without them, counted in ``stats().dropped``).
            on_done / on_error / on_progress: main-thread callbacks; see
                :meth:`Task.on_done`, :meth:`Task.on_error`, :meth:`Task.on_progress`.
            on_start / on_finish / on_warning: main-thread callbacks: ``on_start()``
                when the first attempt starts, ``on_finish(task)`` after any outcome
                (after ``on_done`` / ``on_error``; with ``if_running="drop"`` a dropped
                call keeps this one callback), ``on_warning(message)`` for each warning
                the work shows; see :meth:`Task.on_start`, :meth:`Task.on_finish`,
                :meth:`Task.on_warning`.
            owner: a widget, held weakly: callbacks are skipped once it is gone.
            if_running: with ``key``, while a task with that key is under way:
                ``"join"`` returns it with this call's callbacks added (single
                flight); ``"drop"`` returns it without them (``on_finish`` aside) and
                counts ``stats().dropped``; ``"restart"`` cancels it and starts this one;
                ``"enqueue"`` starts this one after the earlier ones, in order;
                ``"keep_latest"`` keeps one task waiting, replacing (cancelling) the
                one waiting before.
            name: :attr:`Task.name`; by default the function's qualified name (a
                lambda's is ``<lambda> at BASENAME.py:LINE``).
            metadata: :attr:`Task.metadata`, kept as a read-only copy.
            on_item: ``on_item(item)`` on the main thread for every item the task
                emits (:func:`~uidispatch.emit`), in order, in batches of one post per
                UI turn; a generator function's yields become items instead of
                progress. A cancelled task's undelivered items are discarded.
            max_buffered: with ``on_item``: the most items waiting for the main
                thread; a producer thread that gets ahead waits (and stops there
                with :class:`~uidispatch.TaskCancelled` when cancelled).
            rate_limiter: a :class:`~uidispatch.RateLimiter`: each attempt waits
                (``PENDING``, in priority order) for one of its calls.
            breaker: a :class:`~uidispatch.CircuitBreaker`: while it is open the task
                is returned already ``FAILED`` with :class:`~uidispatch.CircuitOpen`,
                without running; its final outcome is counted by the breaker.
            attempt_timeout: seconds each attempt may run; one that runs longer is a
                failed attempt (:class:`~uidispatch.TaskTimeout`), retried while
                ``retries`` remain, whatever ``retry_on`` says. A coroutine attempt is
                cancelled; a thread attempt is asked to stop (:func:`check_cancelled`
                raises in it) and its late outcome is dropped, while the retry runs
                on another worker.

        ``timeout``, ``backoff`` and ``ttl`` above 1e9 seconds mean "practically never"
        and are clamped to it: the pool's timer thread waits in steps it can hold.

        Raises:
            TypeError: ``fn`` or a callback is not callable, a callback is a coroutine,
                generator or async generator function (it would never run; ``fn`` may
                be one), ``owner`` cannot be weakly
                referenced, ``key`` is unhashable, a generator function is given to
                a pool with ``executor=``, ``name`` is not a string or ``metadata`` not
                a mapping.
            ValueError: a bad option value, ``ttl`` without ``key``, an ``if_running``
                other than ``"join"`` without ``key``, ``ttl`` with an ``if_running``
                other than ``"join"`` or ``"drop"``, ``max_buffered`` without
                ``on_item``, or ``on_progress`` / ``on_item`` / ``on_warning`` on a pool
                with ``executor=``.
            RuntimeError: after :meth:`shutdown`.

        """
        options = check_options(
            fn, priority, timeout, retries, backoff, retry_on, key, ttl, on_done, on_error,
            on_progress, owner, if_running, name, metadata, on_item, max_buffered,
            rate_limiter, breaker, attempt_timeout, on_start, on_finish, on_warning,
        )  # fmt: skip
        return submit_task(self, fn, args, options)

    def run_command(self, argv: Sequence[str], /, **options: Any) -> Task[CommandResult]:
        """Run a command on this pool, streaming its output lines; see ``run_command``."""
        # Imported on use, the one such import left in the layer: run_command sits above
        # Pool (its default pool, in ``_default``, is a Pool), so ``_subprocess`` imports
        # this module and this shortcut to it can only import it back when called.
        from ._subprocess import run_command

        return run_command(argv, pool=self, **options)

    # ------------------------------------------------------------------ control

    def resume(self) -> None:
        """End an error cooldown now and forget the failures counted so far. Any thread."""
        with self._lock:
            self._sched.cooldown.resume()
            self._sched.kick_locked()

    def tasks(self) -> list[Task[Any]]:
        """The tasks pending or running now, oldest first (a snapshot). Any thread."""
        with self._lock:
            return list(self._live.values())

    def get(self, task_id: int) -> Task[Any] | None:
        """The pending or running task with this :attr:`Task.id`, or ``None``. Any thread."""
        with self._lock:
            return self._live.get(task_id)

    def stats(self) -> PoolStats:
        """Take a snapshot of the counters. Any thread."""
        return snapshot(self)

    def report(self) -> str:
        """A readable health table of this pool: one row per operation, slowest first.

        Then the pool's own figures and its dispatcher's (when one is bound). Meant for
        logs, a debug console or a "health" window. Any thread; cheap (a snapshot).
        """
        return render(self._name, self.stats(), self._dispatcher, self._closed_stats)

    # Returns a bool where Executor's returns None: callers of the base ignore it.
    def shutdown(  # type: ignore[override]
        self,
        wait: bool = True,
        *,
        cancel_pending: bool = False,
        cancel_running: bool = False,
        timeout: float | None = None,
        cancel_futures: bool = False,
    ) -> bool:
        """Stop accepting work; let queued work finish (or cancel it) and stop the threads.

        ``cancel_pending=True`` (or the standard ``cancel_futures=True``) cancels the
        tasks not started yet (retries waiting out a backoff, tasks held behind a key
        and tasks waiting for a rate limiter included); ``cancel_running=True`` cancels
        the running ones too (cooperatively: a thread stops at its next
        :func:`~uidispatch.check_cancelled` or ``yield``, a coroutine is cancelled).
        With ``wait=True`` it returns once every task has finished and every thread of
        the pool (workers, timer, asyncio loop) has exited, or once ``timeout`` seconds
        have passed. A cooldown ends at shutdown. Any thread but the pool's own with
        ``wait=True``; idempotent.

        Returns ``True`` when every worker stopped in time (always with
        ``wait=False``: nothing was waited for, and the threads exit by themselves).

        Raises:
            RuntimeError: ``wait=True`` from one of this pool's own threads (it would
                wait for itself), or, without ``timeout``, on the main thread while a
                task of this pool waits in ``Dispatcher.call()`` for that main thread
                (both would wait forever; the message names the thread).
            ValueError: ``timeout`` not a number of seconds >= 0.

        """
        if timeout is not None:
            timeout = check_seconds("timeout", timeout, zero_ok=True)
        return shutdown_pool(
            self,
            wait=wait,
            cancel_pending=cancel_pending or cancel_futures,
            cancel_running=cancel_running,
            timeout=timeout,
        )

    # ------------------------------------------------------------------ task host

    _supports_progress = property(lambda self: self._executor is None)

    def _no_progress_message(self, what: str) -> str:
        return (
            f"{what} needs progress reports, which only the pool's own threads give; this "
            f"pool runs work on {type(self._executor).__name__}, where progress and "
            "cooperative cancellation of running work are unavailable"
        )

    def _no_warnings_message(self) -> str:
        return (
            f"on_warning= watches the work's own thread, and this pool runs work on "
            f"{type(self._executor).__name__}, whose threads (or processes) it cannot see"
        )

    def _callback_dropped(self) -> None:
        """Count a task callback that could not be delivered. Any thread."""
        with self._lock:
            self._dropped_callbacks += 1

    def _task_resolved(self, task: Task[Any], exc: BaseException | None = None) -> None:
        """Called by a task as it resolves, before its waiters wake."""
        settle(self, task, exc)
