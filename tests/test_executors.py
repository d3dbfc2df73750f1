"""executor=: work leaves the process (process pool, loky, Dask); callbacks land on the UI thread.

The functions sent out are builtins and stdlib functions, so every start method and
serializer can find them in the worker process.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import operator
import threading
from collections.abc import Iterator

import pytest

import uidispatch as ud

WAIT = 30.0  # process start-up on a loaded 2-core machine


@pytest.fixture(scope="module")
def process_executor() -> Iterator[concurrent.futures.Executor]:
    with concurrent.futures.ProcessPoolExecutor(max_workers=2) as ex:
        yield ex


@pytest.fixture(scope="module")
def loky_executor() -> Iterator[concurrent.futures.Executor]:
    loky = pytest.importorskip("loky")
    ex = loky.get_reusable_executor(max_workers=2)
    yield ex
    ex.shutdown(wait=True)


@pytest.fixture(scope="module")
def dask_executor() -> Iterator[concurrent.futures.Executor]:
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
    )
    client = distributed.Client(cluster)
    try:
        yield client.get_executor()
    finally:
        client.close()
        cluster.close()


@pytest.fixture(params=["process", "loky", "dask"])
def executor(request: pytest.FixtureRequest) -> concurrent.futures.Executor:
    return request.getfixturevalue(f"{request.param}_executor")  # type: ignore[no-any-return]


def test_results_and_errors_come_back_and_callbacks_run_on_the_main_thread(
    executor: concurrent.futures.Executor, virtual_dispatcher: ud.Dispatcher
) -> None:
    pool = ud.Pool(dispatcher=virtual_dispatcher, executor=executor, max_workers=2)
    main = threading.current_thread()
    got: list[tuple[str, object, bool]] = []
    ok = pool.submit(
        operator.mul,
        6,
        7,
        on_done=lambda r: got.append(("done", r, threading.current_thread() is main)),
    )
    bad = pool.submit(
        int,
        "x",
        on_error=lambda e: got.append(("error", type(e), threading.current_thread() is main)),
    )
    assert ok.result(WAIT) == 42
    with pytest.raises(ValueError, match="invalid literal"):
        bad.result(WAIT)
    assert virtual_dispatcher.run_until(lambda: len(got) == 2, WAIT)
    assert sorted(got, key=str) == [("done", 42, True), ("error", ValueError, True)]
    assert pool.stats().completed == 1
    assert pool.stats().failed == 1
    pool.shutdown(wait=True)


def test_coroutine_functions_run_with_asyncio_in_the_worker(
    executor: concurrent.futures.Executor, virtual_dispatcher: ud.Dispatcher
) -> None:
    pool = ud.Pool(dispatcher=virtual_dispatcher, executor=executor, max_workers=2)
    assert pool.submit(asyncio.sleep, 0, "slept").result(WAIT) == "slept"
    pool.shutdown()


def test_retries_and_map_work_through_the_executor(
    executor: concurrent.futures.Executor, virtual_dispatcher: ud.Dispatcher
) -> None:
    pool = ud.Pool(dispatcher=virtual_dispatcher, executor=executor, max_workers=2)
    task = pool.submit(int, "nope", retries=1, backoff=0)
    with pytest.raises(ValueError, match="invalid literal"):
        task.result(WAIT)
    assert pool.stats().retried == 1
    assert list(pool.map(pow, [2, 3], [3, 2], timeout=WAIT)) == [8, 9]
    pool.shutdown()


def test_max_workers_caps_work_in_flight_and_queued_work_can_be_cancelled(
    process_executor: concurrent.futures.Executor, virtual_dispatcher: ud.Dispatcher
) -> None:
    import time

    pool = ud.Pool(dispatcher=virtual_dispatcher, executor=process_executor, max_workers=1)
    slow = pool.submit(time.sleep, 0.3)
    deadline = time.monotonic() + WAIT
    while pool.stats().running == 0:  # the pool's worker hands it to the executor
        assert time.monotonic() < deadline
        time.sleep(0.002)
    queued = pool.submit(operator.add, 1, 2)
    assert pool.stats().queued == 1  # held in the pool, not handed to the executor
    assert queued.cancel()
    after = pool.submit(operator.add, 2, 2, priority=ud.Priority.HIGH)
    slow.result(WAIT)
    assert after.result(WAIT) == 4
    assert queued.cancelled()
    pool.shutdown()


def test_default_in_flight_cap_is_the_executors_own_size(
    process_executor: concurrent.futures.Executor,
) -> None:
    assert ud.Pool(executor=process_executor).max_workers == 2


def test_progress_is_refused_with_a_clear_error(
    process_executor: concurrent.futures.Executor, virtual_dispatcher: ud.Dispatcher
) -> None:
    pool = ud.Pool(dispatcher=virtual_dispatcher, executor=process_executor)

    def gen() -> Iterator[int]:
        yield 1

    with pytest.raises(TypeError, match=r"a generator function .* ProcessPoolExecutor"):
        pool.submit(gen)
    with pytest.raises(
        ValueError, match=r"on_progress= needs progress reports.*ProcessPoolExecutor"
    ):
        pool.submit(abs, 1, on_progress=lambda v, m: None)
    task = pool.submit(abs, -1)
    with pytest.raises(ValueError, match=r"progress and cooperative cancellation .* unavailable"):
        task.on_progress(lambda v, m: None)
    assert task.result(WAIT) == 1
    pool.shutdown()
