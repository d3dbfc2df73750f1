"""Pool policies: retries with backoff, timeouts, single-flight keys, ttl reuse, error cooldown."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator

import pytest

import uidispatch as ud
from uidispatch._work._runner import MAX_BACKOFF, backoff_delay

WAIT = 5.0


@pytest.fixture
def pool(virtual_dispatcher: ud.Dispatcher) -> Iterator[ud.Pool]:
    p = ud.Pool(max_workers=4, dispatcher=virtual_dispatcher)
    yield p
    p.shutdown(wait=True, cancel_pending=True)


def flaky(failures: int, exc: type[Exception] = OSError) -> tuple[Callable[[], str], list[float]]:
    """A function that fails ``failures`` times, then returns "ok"; records attempt times."""
    attempts: list[float] = []

    def fn() -> str:
        attempts.append(time.monotonic())
        if len(attempts) <= failures:
            raise exc(f"attempt {len(attempts)} failed")
        return "ok"

    return fn, attempts


# ---------------------------------------------------------------------- retries


def test_retries_until_success_and_counts_them(pool: ud.Pool) -> None:
    fn, attempts = flaky(2)
    task = pool.submit(fn, retries=2, backoff=0)
    assert task.result(WAIT) == "ok"
    assert len(attempts) == 3
    assert pool.stats().retried == 2
    assert pool.stats().completed == 1
    assert pool.stats().failed == 0


def test_exhausted_retries_fail_with_the_last_error_once(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    fn, attempts = flaky(10)
    errors: list[BaseException] = []
    task = pool.submit(fn, retries=2, backoff=0, on_error=errors.append)
    with pytest.raises(OSError, match="attempt 3 failed"):
        task.result(WAIT)
    assert virtual_dispatcher.run_until(lambda: errors, WAIT)
    virtual_dispatcher.run_until(lambda: False, 0.05)
    assert len(attempts) == 3
    assert len(errors) == 1
    assert task.state is ud.TaskState.FAILED


def test_retry_on_narrows_what_is_retried(pool: ud.Pool) -> None:
    fn, attempts = flaky(1, ValueError)
    task = pool.submit(fn, retries=3, backoff=0, retry_on=(OSError,))
    with pytest.raises(ValueError, match="attempt 1"):
        task.result(WAIT)
    assert len(attempts) == 1
    fn2, attempts2 = flaky(1, ConnectionError)
    assert pool.submit(fn2, retries=3, backoff=0, retry_on=OSError).result(WAIT) == "ok"
    assert len(attempts2) == 2


def test_cancellation_raised_inside_is_never_retried(pool: ud.Pool) -> None:
    attempts: list[int] = []

    def fn() -> None:
        attempts.append(1)
        raise ud.TaskCancelled("gave up")

    task = pool.submit(fn, retries=3, backoff=0)
    with pytest.raises(ud.TaskCancelled):
        task.result(WAIT)
    assert task.cancelled()
    assert attempts == [1]


def test_backoff_is_exponential_with_jitter_and_capped() -> None:
    assert [backoff_delay(n, 0.1, 1.0) for n in (1, 2, 3, 4)] == pytest.approx([0.1, 0.2, 0.4, 0.8])
    assert [backoff_delay(n, 0.1, 0.0) for n in (1, 2, 3)] == pytest.approx([0.05, 0.1, 0.2])
    assert 0.1 <= backoff_delay(2, 0.1, 0.5) <= 0.2
    assert backoff_delay(200, 1.0, 1.0) == MAX_BACKOFF
    assert backoff_delay(3, 0.0, 0.7) == 0.0


def test_retries_wait_out_the_backoff_between_attempts(pool: ud.Pool) -> None:
    pool._sched.random = lambda: 0.0  # the shortest delays jitter allows: 0.02, then 0.04
    fn, attempts = flaky(2)
    assert pool.submit(fn, retries=2, backoff=0.04).result(WAIT) == "ok"
    gaps = [b - a for a, b in itertools.pairwise(attempts)]
    assert gaps[0] >= 0.02
    assert gaps[1] >= 0.04


def test_a_task_backing_off_is_pending_and_cancellable(pool: ud.Pool) -> None:
    fn, attempts = flaky(5)
    task = pool.submit(fn, retries=5, backoff=30)
    deadline = time.monotonic() + WAIT
    while pool.stats().retried == 0:
        assert time.monotonic() < deadline
        time.sleep(0.002)
    assert task.state is ud.TaskState.PENDING
    assert pool.stats().queued == 1
    assert task.cancel()
    assert pool.stats().queued == 0
    assert len(attempts) == 1


# ---------------------------------------------------------------------- timeouts


def test_timeout_fails_the_task_and_tells_the_work_to_stop(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    saw_stop = threading.Event()
    errors: list[BaseException] = []

    def work() -> str:
        while not ud.cancelled():
            saw_stop.wait(0.005)
        saw_stop.set()
        return "late"

    task = pool.submit(work, timeout=0.05, on_error=errors.append, on_done=errors.append)
    with pytest.raises(ud.TaskTimeout, match=r"ran past its timeout=0\.05 s") as info:
        task.result(WAIT)
    assert isinstance(info.value, TimeoutError)
    assert isinstance(info.value, ud.UIDispatchError)
    assert task.state is ud.TaskState.FAILED
    assert not task.cancelled()
    assert saw_stop.wait(WAIT)
    assert virtual_dispatcher.run_until(lambda: errors, WAIT)
    virtual_dispatcher.run_until(lambda: False, 0.05)
    assert len(errors) == 1
    assert isinstance(errors[0], ud.TaskTimeout)
    assert pool.stats().failed == 1


def test_timeout_counts_from_the_start_not_from_the_queue(
    virtual_dispatcher: ud.Dispatcher,
) -> None:
    pool = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher)
    blocker = pool.submit(time.sleep, 0.15)
    quick = pool.submit(abs, -1, timeout=0.1)  # queued longer than its timeout
    assert quick.result(WAIT) == 1
    blocker.result(WAIT)
    pool.shutdown()


def test_a_timeout_is_never_retried(pool: ud.Pool) -> None:
    attempts: list[int] = []

    def slow() -> None:
        attempts.append(1)
        time.sleep(0.2)

    task = pool.submit(slow, timeout=0.02, retries=3, backoff=0)
    with pytest.raises(ud.TaskTimeout):
        task.result(WAIT)
    pool.shutdown(wait=True)
    assert attempts == [1]


# ---------------------------------------------------------------------- single flight and ttl


def test_same_key_while_running_returns_the_same_task_with_both_callbacks(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    started, release = threading.Event(), threading.Event()
    runs: list[int] = []
    got: list[tuple[str, object]] = []

    def fetch() -> str:
        runs.append(1)
        started.set()
        release.wait(WAIT)
        return "data"

    first = pool.submit(fetch, key="fetch", on_done=lambda r: got.append(("first", r)))
    assert started.wait(WAIT)
    second = pool.submit(fetch, key="fetch", on_done=lambda r: got.append(("second", r)))
    assert second is first
    release.set()
    assert first.result(WAIT) == "data"
    assert virtual_dispatcher.run_until(lambda: len(got) == 2, WAIT)
    assert sorted(got) == [("first", "data"), ("second", "data")]
    assert runs == [1]
    stats = pool.stats()
    assert (stats.submitted, stats.reused) == (1, 1)
    third = pool.submit(fetch, key="fetch")  # finished without ttl: runs again
    assert third is not first
    assert third.result(WAIT) == "data"
    assert runs == [1, 1]


def test_same_key_while_pending_returns_the_same_task(virtual_dispatcher: ud.Dispatcher) -> None:
    pool = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher)
    release = threading.Event()
    pool.submit(release.wait, WAIT)
    a = pool.submit(abs, -1, key=("job", 1))
    b = pool.submit(abs, -2, key=("job", 1))
    assert a is b
    assert a.state is ud.TaskState.PENDING
    release.set()
    assert a.result(WAIT) == 1
    pool.shutdown()


def test_ttl_reuses_a_finished_result_for_that_long(pool: ud.Pool) -> None:
    now = [100.0]
    pool._sched.clock = lambda: now[0]
    runs: list[int] = []

    def status() -> int:
        runs.append(1)
        return len(runs)

    first = pool.submit(status, key="git-status", ttl=2.0)
    assert first.result(WAIT) == 1
    now[0] += 1.5
    assert pool.submit(status, key="git-status", ttl=2.0) is first
    now[0] += 1.0  # 2.5 s after it finished: stale
    again = pool.submit(status, key="git-status", ttl=2.0)
    assert again is not first
    assert again.result(WAIT) == 2


def test_ttl_never_caches_a_failure(pool: ud.Pool) -> None:
    fn, _ = flaky(1)
    first = pool.submit(fn, key="k", ttl=60)
    with pytest.raises(OSError, match="attempt 1 failed"):
        first.result(WAIT)
    second = pool.submit(fn, key="k", ttl=60)
    assert second is not first
    assert second.result(WAIT) == "ok"


def test_callbacks_added_through_a_cached_hit_run_once(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    got: list[object] = []
    pool.submit(pow, 2, 2, key="p", ttl=60).result(WAIT)
    pool.submit(pow, 2, 2, key="p", ttl=60, on_done=got.append)
    assert virtual_dispatcher.run_until(lambda: got, WAIT)
    virtual_dispatcher.run_until(lambda: False, 0.05)
    assert got == [4]


# ---------------------------------------------------------------------- error cooldown


def _fail() -> None:
    raise OSError("service down")


def test_error_cooldown_pauses_new_starts_until_resume(
    virtual_dispatcher: ud.Dispatcher, caplog: pytest.LogCaptureFixture
) -> None:
    pool = ud.Pool(max_workers=2, dispatcher=virtual_dispatcher, max_errors=3)
    with caplog.at_level(logging.WARNING, logger="uidispatch"):
        for _ in range(3):
            with pytest.raises(OSError, match="service down"):
                pool.submit(_fail).result(WAIT)
    assert pool.paused
    assert pool.stats().paused
    assert any("paused: 3 task failures within 60.0 s" in r.getMessage() for r in caplog.records)
    held = pool.submit(abs, -7)
    with pytest.raises(TimeoutError):
        held.result(timeout=0.1)  # not started while paused
    assert held.state is ud.TaskState.PENDING
    assert pool.stats().queued == 1
    pool.resume()
    assert held.result(WAIT) == 7
    assert not pool.paused
    pool.shutdown()


def test_error_cooldown_ends_by_itself_when_the_window_passes(
    virtual_dispatcher: ud.Dispatcher,
) -> None:
    pool = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher, max_errors=2, error_window=0.2)
    for _ in range(2):
        with pytest.raises(OSError, match="service down"):
            pool.submit(_fail).result(WAIT)
    assert pool.paused
    held = pool.submit(abs, -3)
    assert held.result(WAIT) == 3  # started once the 0.2 s cooldown ended
    assert not pool.paused
    pool.shutdown()


def test_failures_spread_beyond_the_window_never_pause(virtual_dispatcher: ud.Dispatcher) -> None:
    pool = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher, max_errors=2, error_window=10)
    now = [0.0]
    pool._sched.clock = lambda: now[0]
    for _ in range(3):
        with pytest.raises(OSError, match="service down"):
            pool.submit(_fail).result(WAIT)
        now[0] += 11
    assert not pool.paused
    pool.shutdown()


def test_cooldown_can_be_disabled(virtual_dispatcher: ud.Dispatcher) -> None:
    pool = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher, max_errors=None)
    for _ in range(10):
        with pytest.raises(OSError, match="service down"):
            pool.submit(_fail).result(WAIT)
    assert not pool.paused
    assert pool.stats().failed == 10
    pool.shutdown()


def test_shutdown_ends_a_cooldown_so_queued_work_can_finish(
    virtual_dispatcher: ud.Dispatcher,
) -> None:
    pool = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher, max_errors=1)
    with pytest.raises(OSError, match="service down"):
        pool.submit(_fail).result(WAIT)
    held = pool.submit(abs, -9)
    pool.shutdown(wait=True)
    assert held.result(0) == 9
