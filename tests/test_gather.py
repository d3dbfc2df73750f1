"""Fan-in with ud.gather: results in order, progress, errors, cancellation, any futures."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Iterator
from typing import Any

import pytest

import uidispatch as ud

WAIT = 5.0


@pytest.fixture
def pool(virtual_dispatcher: ud.Dispatcher) -> Iterator[ud.Pool]:
    p = ud.Pool(max_workers=4, dispatcher=virtual_dispatcher)
    yield p
    p.shutdown(wait=True, cancel_pending=True)


def pump(d: ud.Dispatcher) -> None:
    d.run_until(lambda: False, 0.05)


def wait_for_cancel() -> None:
    while True:
        ud.check_cancelled()
        threading.Event().wait(0.01)


def test_results_in_submission_order_with_progress_then_on_done_once(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    gates = [threading.Event() for _ in range(3)]
    tasks = [pool.submit(lambda i=i: (gates[i].wait(WAIT), i)[1]) for i in range(3)]
    events: list[Any] = []
    group = ud.gather(
        *tasks,
        on_done=lambda r: events.append(("done", r)),
        on_error=events.append,
        on_progress=lambda done, total: events.append((done, total)),
    )
    for i in (2, 0, 1):  # finish out of order
        gates[i].set()
        tasks[i].result(WAIT)
        pump(virtual_dispatcher)
    assert group.result(WAIT) == [0, 1, 2]
    pump(virtual_dispatcher)
    assert events == [(1, 3), (2, 3), (3, 3), ("done", [0, 1, 2])]
    assert group.state is ud.TaskState.DONE


def test_gather_of_nothing_is_an_empty_list(virtual_dispatcher: ud.Dispatcher) -> None:
    assert ud.gather().result(0) == []


def test_first_failure_cancels_the_others_and_fails_the_group(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    def boom() -> None:
        raise OSError("disk full")

    slow = pool.submit(wait_for_cancel)
    errors: list[BaseException] = []
    done: list[Any] = []
    group = ud.gather(slow, pool.submit(boom), on_done=done.append, on_error=errors.append)
    with pytest.raises(OSError, match="disk full"):
        group.result(WAIT)
    assert slow.cancelled()
    assert slow.wait_stopped(WAIT)
    assert group.wait_stopped(WAIT)
    pump(virtual_dispatcher)
    assert [str(e) for e in errors] == ["disk full"]
    assert done == []


def test_without_cancel_on_error_the_group_waits_for_all_and_fails_with_the_first(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    gate = threading.Event()

    def boom() -> None:
        raise ValueError("bad row")

    slow = pool.submit(lambda: (gate.wait(WAIT), "late")[1])
    failing = pool.submit(boom)
    group = ud.gather(slow, failing, cancel_on_error=False)
    failing.exception(WAIT)
    assert not group.done()
    gate.set()
    with pytest.raises(ValueError, match="bad row"):
        group.result(WAIT)
    assert slow.result(0) == "late"


def test_cancelling_the_group_cancels_its_members(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    members = [pool.submit(wait_for_cancel) for _ in range(2)]
    group = ud.gather(*members)
    assert group.cancel()
    assert all(m.cancelled() for m in members)
    assert group.wait_stopped(WAIT)
    with pytest.raises(ud.TaskCancelled):
        group.result(0)
    assert pool.stats().cancelled == 2


def test_works_across_pools_and_foreign_executors(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    other = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher)
    with concurrent.futures.ThreadPoolExecutor(1) as ex:
        group = ud.gather(pool.submit(lambda: 1), other.submit(lambda: 2), ex.submit(lambda: 3))
        assert group.result(WAIT) == [1, 2, 3]
    other.shutdown()


def test_the_group_is_awaitable(pool: ud.Pool) -> None:
    async def main() -> list[Any]:
        return await ud.gather(pool.submit(lambda: "a"), pool.submit(lambda: "b"))

    assert asyncio.run(main()) == ["a", "b"]


def test_bad_arguments_fail_at_the_call_site(pool: ud.Pool) -> None:
    with pytest.raises(TypeError, match=r"argument 1 is 3"):
        ud.gather(pool.submit(lambda: 1), 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"on_progress must be callable, got 'x'"):
        ud.gather(on_progress="x")  # type: ignore[arg-type]


# ------------------------------------------------------------- return_exceptions=True


@pytest.mark.parametrize("cancel_on_error", [True, False])
def test_return_exceptions_puts_each_failure_in_its_place_and_the_group_succeeds(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher, cancel_on_error: bool
) -> None:
    def boom() -> None:
        raise OSError("disk full")

    gate = threading.Event()
    slow = pool.submit(lambda: (gate.wait(WAIT), "slow")[1])
    failing = pool.submit(boom)
    doomed = pool.submit(wait_for_cancel)
    executor_future: concurrent.futures.Future[int] = concurrent.futures.Future()
    done: list[list[Any]] = []
    errors: list[BaseException] = []
    group = ud.gather(
        slow,
        failing,
        doomed,
        executor_future,
        on_done=done.append,
        on_error=errors.append,
        cancel_on_error=cancel_on_error,
        return_exceptions=True,
    )
    with pytest.raises(OSError, match="disk full"):
        failing.result(WAIT)
    doomed.cancel()
    assert not group.done()  # a failure fails nothing: the group waits for every member
    assert not slow.cancelled()
    executor_future.set_exception(ValueError("bad value"))
    gate.set()
    results = group.result(WAIT)
    assert results[0] == "slow"
    assert isinstance(results[1], OSError)
    assert str(results[1]) == "disk full"
    assert isinstance(results[2], ud.TaskCancelled)
    assert isinstance(results[3], ValueError)
    assert group.state is ud.TaskState.DONE
    assert virtual_dispatcher.run_until(lambda: bool(done), WAIT)
    assert done == [results]
    assert errors == []


def test_return_exceptions_still_lets_the_group_be_cancelled(pool: ud.Pool) -> None:
    member = pool.submit(wait_for_cancel)
    group = ud.gather(member, return_exceptions=True)
    assert group.cancel()
    assert member.wait_stopped(WAIT)
    assert member.cancelled()


def test_return_exceptions_must_be_a_bool(pool: ud.Pool) -> None:
    with pytest.raises(TypeError, match=r"return_exceptions must be True or False, got 'yes'"):
        ud.gather(pool.submit(abs, 1), return_exceptions="yes")  # type: ignore[arg-type]
