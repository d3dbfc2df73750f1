"""RateLimiter: tokens on virtual time, priority order, cancel while waiting, shared, no polling."""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

import uidispatch as ud

if TYPE_CHECKING:
    from conftest import ManualTimers

WAIT = 5.0


@pytest.fixture
def pool(virtual_dispatcher: ud.Dispatcher) -> Iterator[ud.Pool]:
    p = ud.Pool(max_workers=4, dispatcher=virtual_dispatcher)
    yield p
    p.shutdown(wait=True, cancel_pending=True)


def _stamper(clock: ManualTimers, log: list[tuple[str, float]]) -> Callable[[str], str]:
    def work(name: str) -> str:
        log.append((name, clock.now()))
        return name

    return work


def test_calls_over_the_limit_wait_for_a_token_then_start_on_time(
    pool: ud.Pool, manual_time: ManualTimers
) -> None:
    lim = ud.RateLimiter(2, 1.0)
    manual_time.use_for(lim)
    log: list[tuple[str, float]] = []
    work = _stamper(manual_time, log)
    tasks = [pool.submit(work, f"t{i}", rate_limiter=lim) for i in range(5)]
    assert [t.result(WAIT) for t in tasks[:2]] == ["t0", "t1"]
    assert [t.state for t in tasks[2:]] == [ud.TaskState.PENDING] * 3
    assert lim.waiting == 3
    assert pool.stats().queued == 3  # waiting for a token is queued, never dropped
    manual_time.wait_for_timer(at=1.0)  # the oldest call leaves the window at t=1
    manual_time.advance(0.999)
    assert [t.state for t in tasks[2:]] == [ud.TaskState.PENDING] * 3
    manual_time.advance(0.001)
    assert [t.result(WAIT) for t in tasks[2:4]] == ["t2", "t3"]
    manual_time.wait_for_timer(at=2.0)
    manual_time.advance(1.0)
    assert tasks[4].result(WAIT) == "t4"
    assert sorted(log) == [("t0", 0.0), ("t1", 0.0), ("t2", 1.0), ("t3", 1.0), ("t4", 2.0)]
    assert lim.granted == 5
    assert lim.waiting == 0


def test_waiting_uses_one_timer_at_the_right_time_and_no_polling(
    pool: ud.Pool, manual_time: ManualTimers
) -> None:
    lim = ud.RateLimiter(1, 10.0)
    manual_time.use_for(lim)
    pool.submit(abs, -1, rate_limiter=lim).result(WAIT)
    waiting = [pool.submit(abs, -i, rate_limiter=lim) for i in range(2, 6)]
    manual_time.wait_for_timer(at=10.0)
    assert manual_time.due_times() == [10.0]  # one wake-up, when the call frees; nothing else
    manual_time.advance(10.0)
    assert waiting[0].result(WAIT) == 2
    manual_time.wait_for_timer(at=20.0)
    assert manual_time.due_times() == [20.0]


def test_waiting_tasks_start_in_priority_order(
    virtual_dispatcher: ud.Dispatcher, manual_time: ManualTimers
) -> None:
    pool = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher)
    lim = ud.RateLimiter(1, 1.0)
    manual_time.use_for(lim)
    log: list[tuple[str, float]] = []
    work = _stamper(manual_time, log)
    first = pool.submit(work, "first", rate_limiter=lim)
    first.result(WAIT)
    plan = [("low", ud.Priority.LOW), ("normal", ud.Priority.NORMAL), ("high", ud.Priority.HIGH)]
    tasks = [pool.submit(work, name, priority=p, rate_limiter=lim) for name, p in plan]
    for step in range(1, 4):
        manual_time.wait_for_timer(at=float(step))
        manual_time.advance(1.0)
    for t in tasks:
        t.result(WAIT)
    assert [name for name, _ in log] == ["first", "high", "normal", "low"]
    pool.shutdown()


def test_cancel_while_waiting_frees_the_place_and_wastes_no_token(
    pool: ud.Pool, manual_time: ManualTimers
) -> None:
    lim = ud.RateLimiter(1, 1.0)
    manual_time.use_for(lim)
    pool.submit(abs, -1, rate_limiter=lim).result(WAIT)
    doomed = pool.submit(abs, -2, rate_limiter=lim)
    kept = pool.submit(abs, -3, rate_limiter=lim)
    assert lim.waiting == 2
    assert doomed.cancel()
    assert doomed.state is ud.TaskState.CANCELLED
    assert lim.waiting == 1
    assert pool.stats().queued == 1
    manual_time.wait_for_timer(at=1.0)
    manual_time.advance(1.0)
    assert kept.result(WAIT) == 3  # the next waiter got the call the cancelled one gave up
    assert lim.granted == 2


def test_one_limiter_shared_by_two_pools_caps_their_starts_together(
    virtual_dispatcher: ud.Dispatcher, manual_time: ManualTimers
) -> None:
    a = ud.Pool(max_workers=2, dispatcher=virtual_dispatcher)
    b = ud.Pool(max_workers=2, dispatcher=virtual_dispatcher)
    lim = ud.RateLimiter(2, 1.0)
    manual_time.use_for(lim)
    log: list[tuple[str, float]] = []
    work = _stamper(manual_time, log)
    tasks = [
        p.submit(work, f"{n}{i}", rate_limiter=lim)
        for i in range(3)
        for p, n in ((a, "a"), (b, "b"))
    ]
    for step in range(3):
        if step:
            manual_time.wait_for_timer(at=float(step))
            manual_time.advance(1.0)
        # Both granted calls start before time moves on (a call counts from its start).
        tasks[2 * step].result(WAIT)
        tasks[2 * step + 1].result(WAIT)
    per_second: dict[float, int] = {}
    for _, when in log:
        per_second[when] = per_second.get(when, 0) + 1
    assert per_second == {0.0: 2, 1.0: 2, 2.0: 2}
    a.shutdown()
    b.shutdown()


def test_submits_from_many_threads_never_exceed_the_limit(
    pool: ud.Pool, manual_time: ManualTimers
) -> None:
    lim = ud.RateLimiter(5, 1.0)
    manual_time.use_for(lim)
    log: list[tuple[str, float]] = []
    work = _stamper(manual_time, log)
    tasks: list[ud.Task[str]] = []
    lock = threading.Lock()

    def producer(k: int) -> None:
        for i in range(5):
            t = pool.submit(work, f"{k}-{i}", rate_limiter=lim)
            with lock:
                tasks.append(t)

    threads = [threading.Thread(target=producer, args=(k,)) for k in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for second in range(8):  # 40 calls at 5 a second: the last five start at t=7
        if second:
            manual_time.wait_for_timer(at=float(second))
            manual_time.advance(1.0)
        _wait_done(tasks, 5 * (second + 1))
    for t in tasks:
        t.result(WAIT)
    starts: dict[float, int] = {}
    for _, when in log:
        starts[when] = starts.get(when, 0) + 1
    assert len(log) == 40
    assert max(starts.values()) <= 5
    assert lim.granted == 40


def _wait_done(tasks: list[ud.Task[str]], n: int) -> None:
    """Wait (real time) until ``n`` of ``tasks`` finished."""
    pending = [t for t in tasks if not t.done()]
    while len(tasks) - len(pending) < n:
        done, _ = concurrent.futures.wait(pending, WAIT, concurrent.futures.FIRST_COMPLETED)
        assert done, f"only {len(tasks) - len(pending)} of {n} tasks finished"
        pending = [t for t in pending if not t.done()]


def test_each_retry_waits_for_a_call_too(pool: ud.Pool, manual_time: ManualTimers) -> None:
    lim = ud.RateLimiter(1, 1.0)
    manual_time.use_for(pool, lim)
    log: list[float] = []

    def flaky() -> str:
        log.append(manual_time.now())
        if len(log) < 3:
            raise OSError("busy")
        return "ok"

    task = pool.submit(flaky, retries=2, backoff=0, rate_limiter=lim)
    for step in (1.0, 2.0):
        manual_time.wait_for_timer(at=step)
        manual_time.advance(1.0)
    assert task.result(WAIT) == "ok"
    assert log == [0.0, 1.0, 2.0]


def test_shutdown_with_cancel_pending_cancels_tasks_waiting_for_a_token(
    virtual_dispatcher: ud.Dispatcher, manual_time: ManualTimers
) -> None:
    pool = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher)
    lim = ud.RateLimiter(1, 60.0)
    manual_time.use_for(lim)
    pool.submit(abs, -1, rate_limiter=lim).result(WAIT)
    waiting = pool.submit(abs, -2, rate_limiter=lim)
    assert pool.shutdown(wait=True, cancel_pending=True, timeout=WAIT)
    assert waiting.state is ud.TaskState.CANCELLED
    assert lim.waiting == 0


def test_a_real_limiter_lets_the_first_calls_through_at_once(pool: ud.Pool) -> None:
    lim = ud.RateLimiter(3, 60.0)
    assert [pool.submit(abs, -i, rate_limiter=lim).result(WAIT) for i in range(3)] == [0, 1, 2]
    late = pool.submit(abs, -9, rate_limiter=lim)
    assert late.state is ud.TaskState.PENDING
    assert late.cancel()


@pytest.mark.parametrize(
    ("args", "exc", "match"),
    [
        ((0, 1.0), ValueError, r"max_calls must be an int >= 1, got 0"),
        ((1.5, 1.0), ValueError, r"max_calls must be an int >= 1, got 1.5"),
        ((1, 0), ValueError, r"period must be a finite number of seconds > 0, got 0"),
        ((1, float("inf")), ValueError, r"period must be a finite number of seconds > 0, got inf"),
        ((1, "1"), TypeError, r"period must be a number of seconds, got '1'"),
    ],
)
def test_bad_limiter_arguments_fail_naming_them(
    args: tuple[object, object], exc: type[Exception], match: str
) -> None:
    with pytest.raises(exc, match=match):
        ud.RateLimiter(*args)  # type: ignore[arg-type]


def test_submit_refuses_a_rate_limiter_of_the_wrong_type(pool: ud.Pool) -> None:
    with pytest.raises(TypeError, match=r"rate_limiter must be a uidispatch.RateLimiter, got 5"):
        pool.submit(abs, 1, rate_limiter=5)  # type: ignore[arg-type]
    assert pool.stats().submitted == 0
