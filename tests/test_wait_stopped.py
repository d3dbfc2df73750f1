"""Task.wait_stopped: cancel resolves at once; wait_stopped waits until the work has stopped."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

import uidispatch as ud

WAIT = 5.0


@pytest.fixture
def pool(virtual_dispatcher: ud.Dispatcher) -> Iterator[ud.Pool]:
    p = ud.Pool(max_workers=2, dispatcher=virtual_dispatcher)
    yield p
    p.shutdown(wait=True, cancel_pending=True)


def test_result_returns_at_cancel_but_wait_stopped_waits_for_the_finally(pool: ud.Pool) -> None:
    started = threading.Event()
    release_cleanup = threading.Event()
    cleaned = threading.Event()

    def write_file() -> None:
        started.set()
        try:
            while True:
                ud.check_cancelled()
                threading.Event().wait(0.005)
        finally:
            release_cleanup.wait(WAIT)  # a slow cleanup (closing the file)
            cleaned.set()

    task = pool.submit(write_file)
    assert started.wait(WAIT)
    task.cancel()
    with pytest.raises(ud.TaskCancelled):
        task.result(0)  # at once, before the work's finally ran
    assert not cleaned.is_set()
    assert not task.wait_stopped(0.05)
    release_cleanup.set()
    assert task.wait_stopped(WAIT)
    assert cleaned.is_set()


def test_a_generator_is_stopped_once_its_finally_ran(pool: ud.Pool) -> None:
    cleaned = threading.Event()
    first = threading.Event()

    def steps() -> Iterator[int]:
        try:
            while True:
                first.set()
                yield 1
        finally:
            cleaned.set()

    task = pool.submit(steps)
    assert first.wait(WAIT)
    task.cancel()
    assert task.wait_stopped(WAIT)
    assert cleaned.is_set()


def test_a_coroutine_is_stopped_once_it_was_cancelled(pool: ud.Pool) -> None:
    cleaned = threading.Event()
    started = threading.Event()

    async def serve() -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        finally:
            cleaned.set()

    task = pool.submit(serve)
    assert started.wait(WAIT)
    task.cancel()
    assert task.wait_stopped(WAIT)
    assert cleaned.is_set()


def test_a_task_that_never_started_has_stopped_once_cancelled(pool: ud.Pool) -> None:
    gates = [threading.Event() for _ in range(2)]
    running = [pool.submit(g.wait, WAIT) for g in gates]
    queued = pool.submit(lambda: 1)
    queued.cancel()
    assert queued.wait_stopped(0)
    for g in gates:
        g.set()
    for t in running:
        t.result(WAIT)
        assert t.wait_stopped(WAIT)


def test_a_finished_task_has_stopped(pool: ud.Pool) -> None:
    task = pool.submit(lambda: 1)
    task.result(WAIT)
    assert task.wait_stopped(WAIT)
    assert ud.Task().wait_stopped(0) is False  # a bare Task that was never resolved
