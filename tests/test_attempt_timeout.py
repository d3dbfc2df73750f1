"""attempt_timeout: a slow attempt is a failed attempt, retried; timeout bounds the task."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

import uidispatch as ud

if TYPE_CHECKING:
    from conftest import ManualTimers

WAIT = 5.0


@pytest.fixture
def pool(virtual_dispatcher: ud.Dispatcher, manual_time: ManualTimers) -> Iterator[ud.Pool]:
    p = ud.Pool(max_workers=4, dispatcher=virtual_dispatcher)
    manual_time.use_for(p)
    yield p
    p.shutdown(wait=True, cancel_pending=True, cancel_running=True)


def test_a_coroutine_attempt_past_its_deadline_is_cancelled_and_retried(
    pool: ud.Pool, manual_time: ManualTimers
) -> None:
    attempts: list[str] = []

    async def fetch() -> str:
        attempts.append("start")
        if len(attempts) == 1:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                attempts.append("cancelled")
                raise
        return "ok"

    task = pool.submit(fetch, retries=1, backoff=0, attempt_timeout=2.0)
    manual_time.wait_for_timer(at=2.0)
    manual_time.advance(2.0)
    assert task.result(WAIT) == "ok"
    # The retry may start on the pool's loop before the cancelled attempt has unwound:
    # both happen, in either order, after the first start.
    assert attempts[0] == "start"
    assert sorted(attempts[1:]) == ["cancelled", "start"]
    op = pool.stats().operations[task.name]
    assert (op.retried, op.succeeded, op.failed, op.timed_out) == (1, 1, 0, 0)


def test_a_thread_attempt_is_asked_to_stop_and_its_late_outcome_dropped(
    pool: ud.Pool, manual_time: ManualTimers
) -> None:
    first_started = threading.Event()
    release = threading.Event()
    seen: list[object] = []

    def work() -> str:
        if not first_started.is_set():
            first_started.set()
            release.wait(WAIT)
            seen.append(ud.cancelled())  # the cooperative stop request
            ud.check_cancelled()  # raises: this attempt should stop
            seen.append("not reached")
            return "late"
        seen.append(ud.cancelled())  # the retry is not asked to stop
        return "retry"

    task = pool.submit(work, retries=1, backoff=0, attempt_timeout=1.0)
    assert first_started.wait(WAIT)
    manual_time.wait_for_timer(at=1.0)
    manual_time.advance(1.0)
    assert task.result(WAIT) == "retry"  # while the first attempt still hangs
    release.set()
    assert pool.shutdown(wait=True, timeout=WAIT)
    assert seen == [False, True]
    assert task.result(0) == "retry"
    op = pool.stats().operations[task.name]
    assert (op.retried, op.succeeded, op.running) == (1, 1, 0)


def test_a_generator_attempt_stops_at_its_next_yield(
    pool: ud.Pool, manual_time: ManualTimers
) -> None:
    release = threading.Event()
    steps: list[int] = []

    def gen() -> Iterator[int]:
        steps.append(len(steps))
        if len(steps) == 1:
            release.wait(WAIT)
            yield 1
            steps.append(-1)  # never: the yield was the stop point
        return

    task = pool.submit(gen, retries=1, backoff=0, attempt_timeout=1.0)
    manual_time.wait_for_timer(at=1.0)
    manual_time.advance(1.0)
    assert task.result(WAIT) is None
    release.set()
    assert pool.shutdown(wait=True, timeout=WAIT)
    assert -1 not in steps


def test_every_attempt_too_slow_fails_with_task_timeout_naming_attempt_timeout(
    pool: ud.Pool, manual_time: ManualTimers
) -> None:
    async def hang() -> None:
        await asyncio.sleep(3600)

    task = pool.submit(hang, retries=2, backoff=0, attempt_timeout=1.0, retry_on=OSError)
    for step in (1.0, 2.0, 3.0):
        manual_time.wait_for_timer(at=step)
        manual_time.advance(1.0)
    with pytest.raises(ud.TaskTimeout, match=r"attempt 3 ran past its attempt_timeout=1.0 s"):
        task.result(WAIT)
    op = pool.stats().operations[task.name]
    assert (op.retried, op.failed, op.timed_out, op.last_error is not None) == (2, 1, 1, True)


def test_timeout_still_bounds_the_whole_task(pool: ud.Pool, manual_time: ManualTimers) -> None:
    async def hang() -> None:
        await asyncio.sleep(3600)

    task = pool.submit(hang, retries=10, backoff=0, attempt_timeout=2.0, timeout=5.0)
    for step in (2.0, 4.0):
        manual_time.wait_for_timer(at=step)
        manual_time.advance(2.0)
    manual_time.wait_for_timer(at=5.0)
    manual_time.advance(1.0)
    with pytest.raises(ud.TaskTimeout, match=r"ran past its timeout=5.0 s"):
        task.result(WAIT)
    assert pool.stats().operations[task.name].retried == 2


def test_an_attempt_in_time_cancels_its_deadline(pool: ud.Pool, manual_time: ManualTimers) -> None:
    assert pool.submit(abs, -3, attempt_timeout=1.0).result(WAIT) == 3
    assert manual_time.due_times() == []


@pytest.mark.parametrize(
    ("value", "exc", "match"),
    [
        (0, ValueError, r"attempt_timeout must be a finite number of seconds > 0, got 0"),
        (-1, ValueError, r"attempt_timeout must be a finite number of seconds > 0, got -1"),
        ("2", TypeError, r"attempt_timeout must be a number of seconds, got '2'"),
    ],
)
def test_bad_attempt_timeout_fails_at_the_call_site(
    pool: ud.Pool, value: object, exc: type[Exception], match: str
) -> None:
    with pytest.raises(exc, match=match):
        pool.submit(abs, 1, attempt_timeout=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("cancel_during", ["backoff", "retry"])
def test_wait_stopped_waits_for_an_abandoned_attempt_still_in_the_work(
    pool: ud.Pool, manual_time: ManualTimers, cancel_during: str
) -> None:
    # "cancel, wait until stopped, then delete the file": the first attempt, abandoned at
    # its attempt_timeout, is still inside the work, whatever the task does meanwhile.
    inside: list[int] = []  # the attempts inside the work now
    entered = [threading.Event(), threading.Event()]
    release = [threading.Event(), threading.Event()]

    def hang() -> None:
        n = 1 if entered[0].is_set() else 0
        inside.append(n)
        entered[n].set()
        try:
            release[n].wait(WAIT)
        finally:
            inside.remove(n)

    task = pool.submit(hang, retries=3, backoff=10.0, attempt_timeout=0.1)
    assert entered[0].wait(WAIT)
    manual_time.wait_for_timer(at=0.1)
    manual_time.advance(0.1)  # attempt 1 abandoned: its thread is still in hang()
    if cancel_during == "retry":
        manual_time.wait_for_timer()
        manual_time.advance(10.0)  # the backoff ends: attempt 2 starts beside attempt 1
        assert entered[1].wait(WAIT)
    task.cancel()
    if cancel_during == "retry":
        release[1].set()  # the retry ends first; the abandoned attempt still runs
        deadline = time.monotonic() + WAIT
        while 1 in inside and time.monotonic() < deadline:
            time.sleep(0.001)
        assert inside == [0]
    assert not task.wait_stopped(0.2)  # attempt 1 is blocked inside: not stopped
    release[0].set()
    assert task.wait_stopped(WAIT)
    assert inside == []
