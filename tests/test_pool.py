"""Pool: sizing, validation, start order, coroutines, stats, shutdown and the default pool."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import uidispatch as ud
from uidispatch._work import _default
from uidispatch._work._workqueue import WorkQueue

WAIT = 5.0


@pytest.fixture
def pool(virtual_dispatcher: ud.Dispatcher) -> Iterator[ud.Pool]:
    p = ud.Pool(max_workers=4, dispatcher=virtual_dispatcher)
    yield p
    p.shutdown(wait=True, cancel_pending=True)


@pytest.fixture
def no_new_threads() -> Iterator[None]:
    """Fail when the test leaves a thread running that was not there before it."""
    before = set(threading.enumerate())
    yield
    left = [t.name for t in threading.enumerate() if t not in before]
    assert left == [], f"threads left running: {left}"


def wait_for(predicate: Callable[[], object], timeout: float = WAIT) -> None:
    """Wait on a condition another thread makes true (the pool's own real waits)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.002)


# ---------------------------------------------------------------------- sizing


def test_default_size_is_four_per_cpu_plus_one_with_a_floor_of_12(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert ud.Pool().max_workers == 12
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert ud.Pool().max_workers == 33
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert ud.Pool().max_workers == 12


def test_uidispatch_workers_overrides_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UIDISPATCH_WORKERS", " 7 ")
    assert ud.Pool().max_workers == 7
    assert ud.Pool(max_workers=3).max_workers == 3  # explicit wins


@pytest.mark.parametrize("value", ["abc", "0", "-3", "2.5"])
def test_bad_uidispatch_workers_fails_at_construction(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("UIDISPATCH_WORKERS", value)
    with pytest.raises(ValueError, match=rf"UIDISPATCH_WORKERS must be .* got '{value}'"):
        ud.Pool()
    with pytest.raises(ValueError, match="UIDISPATCH_WORKERS"):
        ud.Pool(max_workers=2)  # validated even when it would not be used


@pytest.mark.parametrize("value", [0, -1, 1.5, "4", True])
def test_bad_max_workers_is_named(value: object) -> None:
    with pytest.raises(ValueError, match=f"max_workers must be an int >= 1 or None, got {value!r}"):
        ud.Pool(max_workers=value)  # type: ignore[arg-type]


def test_bad_constructor_arguments_are_named() -> None:
    with pytest.raises(TypeError, match="dispatcher must be a Dispatcher"):
        ud.Pool(dispatcher=42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"executor must be a concurrent\.futures\.Executor"):
        ud.Pool(executor="threads")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_errors must be an int >= 1, got 0"):
        ud.Pool(max_errors=0)
    with pytest.raises(ValueError, match="error_window must be a finite number"):
        ud.Pool(error_window=-1)
    with pytest.raises(ValueError, match="aging must be a finite number of seconds > 0"):
        ud.Pool(aging=0)


def test_dispatcher_is_resolved_when_a_callback_is_first_needed(
    virtual_dispatcher: ud.Dispatcher,
) -> None:
    pool = ud.Pool(max_workers=1)  # no backend to detect yet: no error
    try:
        assert pool.submit(abs, -2).result(WAIT) == 2  # no callbacks: no dispatcher needed
        ud.use(virtual_dispatcher)
        got: list[int] = []
        pool.submit(abs, -3, on_done=got.append)
        assert virtual_dispatcher.run_until(lambda: got, WAIT)
        assert got == [3]
    finally:
        pool.shutdown()


def test_a_backend_name_is_resolved_lazily_too(virtual_dispatcher: ud.Dispatcher) -> None:
    pool = ud.Pool(max_workers=1, dispatcher="virtual")
    got: list[int] = []
    pool.submit(abs, -4, on_done=got.append)
    d = ud.get_dispatcher("virtual")
    assert d.run_until(lambda: got, WAIT)
    assert got == [4]
    pool.shutdown()


# ---------------------------------------------------------------------- submit options


def test_keyword_arguments_are_options_never_forwarded(pool: ud.Pool) -> None:
    def f(*args: object, **kwargs: object) -> tuple[object, object]:
        return args, kwargs

    task = pool.submit(f, 1, 2, key="k", priority=ud.Priority.HIGH)
    assert task.result(WAIT) == ((1, 2), {})
    assert task.key == "k"
    assert task.priority is ud.Priority.HIGH


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        (
            {"priority": "urgent"},
            ValueError,
            "priority must be a uidispatch.Priority .* got 'urgent'",
        ),
        ({"priority": 9}, ValueError, "priority must be a uidispatch.Priority"),
        ({"timeout": -1}, ValueError, "timeout must be a finite number of seconds > 0, got -1"),
        ({"timeout": "5"}, TypeError, "timeout must be a number of seconds, got '5'"),
        ({"retries": -1}, ValueError, "retries must be an int >= 0, got -1"),
        ({"retries": 1, "backoff": -0.5}, ValueError, "backoff must be a finite number"),
        ({"retries": 1, "retry_on": "OSError"}, TypeError, "retry_on must be an exception class"),
        ({"key": ["a"]}, TypeError, "key must be hashable, got \\['a'\\]"),
        ({"ttl": 2.0}, ValueError, "ttl=2.0 needs key="),
        ({"key": "k", "ttl": 0}, ValueError, "ttl must be a finite number of seconds > 0"),
    ],
)
def test_bad_submit_options_fail_at_the_call_site(
    pool: ud.Pool, options: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        pool.submit(abs, 1, **options)
    assert pool.stats().submitted == 0


def test_non_callable_fn_is_named(pool: ud.Pool) -> None:
    with pytest.raises(TypeError, match="fn must be callable, got 42"):
        pool.submit(42)  # type: ignore[call-overload]


# ---------------------------------------------------------------------- start order


def _ordered_pool(virtual_dispatcher: ud.Dispatcher) -> tuple[ud.Pool, threading.Event]:
    pool = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher)
    release, started = threading.Event(), threading.Event()

    def blocker() -> None:
        started.set()
        release.wait(WAIT)

    pool.submit(blocker)
    assert started.wait(WAIT)
    return pool, release


def test_critical_first_and_fifo_within_a_priority(virtual_dispatcher: ud.Dispatcher) -> None:
    pool, release = _ordered_pool(virtual_dispatcher)
    order: list[str] = []
    plan = [
        ("low", ud.Priority.LOW),
        ("normal-1", ud.Priority.NORMAL),
        ("critical", ud.Priority.CRITICAL),
        ("normal-2", ud.Priority.NORMAL),
        ("high", ud.Priority.HIGH),
        ("idle", ud.Priority.IDLE),
        ("normal-3", ud.Priority.NORMAL),
    ]
    tasks = [pool.submit(order.append, name, priority=p) for name, p in plan]
    release.set()
    for t in tasks:
        t.result(WAIT)
    assert order == ["critical", "high", "normal-1", "normal-2", "normal-3", "low", "idle"]
    pool.shutdown()


def test_ageing_lets_long_waiting_low_work_run_before_new_critical_work(
    virtual_dispatcher: ud.Dispatcher,
) -> None:
    pool, release = _ordered_pool(virtual_dispatcher)
    now = [1000.0]
    pool._sched.clock = lambda: now[0]
    order: list[str] = []
    low = pool.submit(order.append, "low", priority=ud.Priority.LOW)
    now[0] += 3.5  # LOW has waited more than 3 levels' worth of ageing (aging=1.0)
    critical = pool.submit(order.append, "critical", priority=ud.Priority.CRITICAL)
    release.set()
    low.result(WAIT)
    critical.result(WAIT)
    assert order == ["low", "critical"]
    pool.shutdown()


def test_work_queue_orders_by_priority_then_age() -> None:
    q: WorkQueue[str] = WorkQueue(aging=1.0, is_live=lambda job: job != "withdrawn")
    q.push("normal@0", 2, 0.0)
    q.push("critical@0.5", 0, 0.5)
    q.push("withdrawn", 0, 0.0)
    q.push("low@0", 3, 0.0)
    q.push("critical@2.5", 0, 2.5)  # LOW queued at 0 has aged three levels by 3.0
    assert list(q.drain()) == ["critical@0.5", "normal@0", "critical@2.5", "low@0"]


# ---------------------------------------------------------------------- coroutines


def test_coroutine_functions_share_one_background_loop_thread(pool: ud.Pool) -> None:
    async def where(delay: float) -> tuple[str, int]:
        await asyncio.sleep(delay)
        return threading.current_thread().name, id(asyncio.get_running_loop())

    tasks = [pool.submit(where, 0.01 * i) for i in range(4)]
    results = {t.result(WAIT) for t in tasks}
    assert len(results) == 1
    [(thread_name, _)] = results
    assert thread_name.endswith("-loop")


def test_coroutines_run_concurrently_beyond_max_workers(virtual_dispatcher: ud.Dispatcher) -> None:
    pool = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher)
    gate = asyncio.Event()
    arrived: list[int] = []

    async def meet(i: int) -> int:
        arrived.append(i)
        if len(arrived) == 3:
            gate.set()
        await gate.wait()
        return i

    tasks = [pool.submit(meet, i) for i in range(3)]
    assert [t.result(WAIT) for t in tasks] == [0, 1, 2]
    pool.shutdown()


def test_coroutine_progress_and_cancellation(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    cancelled_inside = threading.Event()
    got: list[object] = []

    async def work() -> None:
        ud.report_progress("started")
        try:
            await asyncio.sleep(WAIT * 2)
        except asyncio.CancelledError:
            cancelled_inside.set()
            raise

    task = pool.submit(work, on_progress=lambda v, m: got.append(v))
    assert virtual_dispatcher.run_until(lambda: got, WAIT)
    task.cancel()
    assert cancelled_inside.wait(WAIT)
    with pytest.raises(ud.TaskCancelled):
        task.result()
    assert got == ["started"]


def test_async_generator_yields_are_progress(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    got: list[object] = []

    async def agen() -> Any:
        for i in range(3):
            await asyncio.sleep(0)
            yield i

    task = pool.submit(agen, on_progress=lambda v, m: got.append(v))
    assert task.result(WAIT) is None
    assert virtual_dispatcher.run_until(lambda: got, WAIT)
    assert got[-1] == 2


def test_a_plain_function_returning_a_coroutine_is_awaited(pool: ud.Pool) -> None:
    async def double(x: int) -> int:
        return x * 2

    assert pool.submit(lambda: double(21)).result(WAIT) == 42


# ---------------------------------------------------------------------- stats


def test_stats_names_and_frozen(pool: ud.Pool) -> None:
    names = [f.name for f in dataclasses.fields(ud.PoolStats)]
    assert names[:10] == [
        "submitted",
        "queued",
        "running",
        "completed",
        "failed",
        "cancelled",
        "retried",
        "max_queued",
        "mean_run_ms",
        "max_run_ms",
    ]
    stats = pool.stats()
    with pytest.raises(dataclasses.FrozenInstanceError):
        stats.submitted = 5  # type: ignore[misc]


def test_stats_count_what_happened(virtual_dispatcher: ud.Dispatcher) -> None:
    pool = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher)
    release, started = threading.Event(), threading.Event()

    def blocker() -> None:
        started.set()
        release.wait(WAIT)

    first = pool.submit(blocker)
    assert started.wait(WAIT)
    queued = [pool.submit(abs, -i) for i in range(3)]
    failing = pool.submit(int, "x")
    queued[0].cancel()
    mid = pool.stats()
    assert (mid.submitted, mid.queued, mid.running, mid.max_queued) == (5, 3, 1, 4)
    release.set()
    first.result(WAIT)
    queued[2].result(WAIT)
    with pytest.raises(ValueError, match="invalid literal"):
        failing.result(WAIT)
    end = pool.stats()
    assert (end.completed, end.failed, end.cancelled, end.queued, end.running) == (3, 1, 1, 0, 0)
    assert end.max_run_ms >= end.mean_run_ms > 0
    assert end.workers == 1
    pool.shutdown()


# ---------------------------------------------------------------------- threads and shutdown


def test_workers_start_on_demand_and_exit_when_idle(virtual_dispatcher: ud.Dispatcher) -> None:
    pool = ud.Pool(max_workers=8, dispatcher=virtual_dispatcher, idle_timeout=0.05)
    assert pool.stats().workers == 0
    pool.submit(abs, 1).result(WAIT)
    assert pool.stats().workers == 1
    wait_for(lambda: pool.stats().workers == 0)
    assert pool.submit(abs, -5).result(WAIT) == 5  # a new worker starts for new work
    pool.shutdown()


def test_shutdown_leaves_no_thread_running(
    virtual_dispatcher: ud.Dispatcher, no_new_threads: None
) -> None:
    pool = ud.Pool(max_workers=3, dispatcher=virtual_dispatcher)

    async def coro() -> int:
        return 1

    tasks = [pool.submit(abs, -i, timeout=5) for i in range(6)]
    tasks.append(pool.submit(coro))
    tasks.append(pool.submit(int, "x", retries=1, backoff=0.001))
    concurrent_wait(tasks)
    pool.shutdown(wait=True)
    assert pool.stats().workers == 0


def concurrent_wait(tasks: list[ud.Task[Any]]) -> None:
    import concurrent.futures

    _, not_done = concurrent.futures.wait(tasks, timeout=WAIT)
    assert not not_done


def test_shutdown_waits_for_running_and_queued_work(virtual_dispatcher: ud.Dispatcher) -> None:
    pool = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher)
    started = threading.Event()

    def slow() -> str:
        started.set()
        time.sleep(0.05)
        return "slow"

    first = pool.submit(slow)
    second = pool.submit(abs, -1)
    assert started.wait(WAIT)
    pool.shutdown(wait=True)
    assert first.done()
    assert second.done()
    assert second.result() == 1
    with pytest.raises(RuntimeError, match="it was shut down"):
        pool.submit(abs, 1)
    pool.shutdown()  # idempotent


def test_shutdown_cancel_pending_cancels_queued_and_backing_off_tasks(
    virtual_dispatcher: ud.Dispatcher, no_new_threads: None
) -> None:
    pool = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher)
    started, release = threading.Event(), threading.Event()
    attempts: list[int] = []

    def flaky() -> None:
        attempts.append(1)
        raise OSError("down")

    def blocker() -> None:
        started.set()
        release.wait(WAIT)

    backing_off = pool.submit(flaky, retries=5, backoff=30)
    wait_for(lambda: pool.stats().retried == 1)
    running = pool.submit(blocker)
    assert started.wait(WAIT)
    queued = pool.submit(abs, 1)
    timer = threading.Timer(0.02, release.set)  # releases the running task mid-shutdown
    timer.start()
    pool.shutdown(wait=True, cancel_pending=True)
    timer.join()
    assert queued.cancelled()
    assert backing_off.cancelled()
    assert running.result() is None
    assert attempts == [1]


def test_shutdown_from_a_pool_thread_with_wait_is_refused(pool: ud.Pool) -> None:
    task = pool.submit(lambda: pool.shutdown(wait=True))
    with pytest.raises(RuntimeError, match="from the pool's own thread would wait forever"):
        task.result(WAIT)


def test_shutdown_without_wait_lets_threads_finish_by_themselves(
    virtual_dispatcher: ud.Dispatcher,
) -> None:
    pool = ud.Pool(max_workers=2, dispatcher=virtual_dispatcher)
    tasks = [pool.submit(time.sleep, 0.01) for _ in range(4)]
    pool.shutdown(wait=False)
    concurrent_wait(tasks)
    threads = list(pool._sched.threads)
    for t in threads:
        t.join(WAIT)
    assert not any(t.is_alive() for t in threads)


def test_pool_as_context_manager_shuts_down(
    virtual_dispatcher: ud.Dispatcher, no_new_threads: None
) -> None:
    with ud.Pool(max_workers=2, dispatcher=virtual_dispatcher) as pool:
        task = pool.submit(pow, 2, 3)
    assert task.result() == 8
    with pytest.raises(RuntimeError):
        pool.submit(abs, 1)


def test_repr_names_the_pool_and_its_state(pool: ud.Pool) -> None:
    assert "max_workers=4" in repr(pool)
    assert "open" in repr(pool)
    pool.shutdown()
    assert "shut down" in repr(pool)


# ---------------------------------------------------------------------- default pool


def test_ud_submit_uses_a_lazily_created_default_pool(virtual_dispatcher: ud.Dispatcher) -> None:
    ud.use(virtual_dispatcher)
    got: list[int] = []
    task = ud.submit(pow, 2, 6, on_done=got.append)
    assert task.result(WAIT) == 64
    assert virtual_dispatcher.run_until(lambda: got, WAIT)
    assert got == [64]
    default = _default.default_pool()
    assert default is _default.default_pool()
    default.shutdown()
    assert _default.default_pool() is not default  # a fresh one after shutdown
    assert ud.submit(abs, -1).result(WAIT) == 1


# ---------------------------------------------------------------------- interpreter exit


def test_interpreter_exit_never_hangs_on_a_pool() -> None:
    script = textwrap.dedent(
        """
        import threading, time
        import uidispatch as ud
        pool = ud.Pool(max_workers=1)
        started = threading.Event()
        def stuck():
            started.set()
            time.sleep(600)  # never checks for cancellation
        pool.submit(stuck)
        for i in range(100):
            pool.submit(time.sleep, 600)
        ud.submit(time.sleep, 600)
        started.wait(10)
        print("exiting", flush=True)
        """
    )
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "exiting" in proc.stdout
    assert time.monotonic() - t0 < 20
