"""Streaming items: ud.emit / generator yields with on_item=, batched, ordered, bounded."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

import uidispatch as ud

WAIT = 5.0


@pytest.fixture
def pool(virtual_dispatcher: ud.Dispatcher) -> Iterator[ud.Pool]:
    p = ud.Pool(max_workers=2, dispatcher=virtual_dispatcher)
    yield p
    p.shutdown(wait=True, cancel_pending=True)


def test_every_item_arrives_in_order_before_on_done(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    events: list[Any] = []

    def produce() -> str:
        for i in range(1000):
            ud.emit(i)
        return "end"

    task = pool.submit(produce, on_item=events.append, on_done=lambda r: events.append(r))
    task.result(WAIT)
    assert virtual_dispatcher.run_until(lambda: events and events[-1] == "end", WAIT)
    assert events == [*range(1000), "end"]


def test_items_travel_in_batches_of_one_post_per_turn(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    items: list[int] = []
    before = virtual_dispatcher.stats().posted
    task = pool.submit(lambda: [ud.emit(i) for i in range(500)] and None, on_item=items.append)
    task.result(WAIT)  # all 500 emitted while the main thread was not pumping
    assert virtual_dispatcher.run_until(lambda: len(items) == 500, WAIT)
    assert items == list(range(500))
    assert virtual_dispatcher.stats().posted - before <= 3  # one batch (plus the settle)


def test_a_generator_with_on_item_streams_its_yields(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    items: list[str] = []
    progress: list[Any] = []

    def lines() -> Iterator[str]:
        yield "a"
        yield "b"
        return None

    task = pool.submit(lines, on_item=items.append, on_progress=lambda v, m: progress.append(v))
    task.result(WAIT)
    assert virtual_dispatcher.run_until(lambda: len(items) == 2, WAIT)
    assert items == ["a", "b"]
    assert progress == []


def test_max_buffered_makes_the_producer_wait_for_the_ui(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    emitted: list[int] = []
    items: list[int] = []
    at_bound = threading.Event()

    def produce() -> None:
        for i in range(10):
            if i == 3:
                at_bound.set()
            ud.emit(i)
            emitted.append(i)

    task = pool.submit(produce, on_item=items.append, max_buffered=3)
    # The UI does not turn: the producer waits in emit(3) with 3 items buffered.
    assert at_bound.wait(WAIT)
    assert not task.wait_stopped(0.1)
    assert emitted == [0, 1, 2]
    assert virtual_dispatcher.run_until(lambda: len(items) == 10, WAIT)
    task.result(WAIT)
    assert items == list(range(10))


def test_a_producer_waiting_for_room_stops_when_cancelled(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    reached = threading.Event()
    stopped_by: list[BaseException] = []
    items: list[int] = []

    def produce() -> None:
        try:
            for i in range(10):
                if i == 2:
                    reached.set()
                ud.emit(i)
        except ud.TaskCancelled as exc:
            stopped_by.append(exc)
            raise

    task = pool.submit(produce, on_item=items.append, max_buffered=2)
    assert reached.wait(WAIT)
    stream = task._stream
    task.cancel()
    assert task.wait_stopped(WAIT)
    assert len(stopped_by) == 1
    virtual_dispatcher.run_until(lambda: False, 0.05)
    assert items == []  # a cancelled task's undelivered items are stale: discarded
    assert stream.discarded == 2


def test_a_joining_caller_gets_the_items_too(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    gate = threading.Event()
    first: list[int] = []
    second: list[int] = []

    def produce() -> None:
        gate.wait(WAIT)
        ud.emit(1)

    task = pool.submit(produce, key="k", on_item=first.append)
    assert pool.submit(produce, key="k", on_item=second.append) is task
    gate.set()
    task.result(WAIT)
    assert virtual_dispatcher.run_until(lambda: first and second, WAIT)
    assert (first, second) == ([1], [1])


def test_an_on_item_error_reaches_the_handler_and_the_batch_goes_on(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    items: list[int] = []

    def take(item: int) -> None:
        if item == 1:
            raise ValueError("bad item")
        items.append(item)

    pool.submit(lambda: [ud.emit(i) for i in range(3)] and None, on_item=take).result(WAIT)
    assert virtual_dispatcher.run_until(lambda: len(items) == 2, WAIT)
    assert items == [0, 2]
    errors = virtual_dispatcher.error_handler.take()  # type: ignore[attr-defined]
    assert [str(e) for e in errors] == ["bad item"]


def test_emit_outside_a_task_or_without_on_item_is_an_error(pool: ud.Pool) -> None:
    with pytest.raises(RuntimeError, match=r"emit\(\) called outside a pool task"):
        ud.emit(1)
    task = pool.submit(ud.emit, 1)
    with pytest.raises(RuntimeError, match=r"which has no on_item callback: submit it with"):
        task.result(WAIT)


def test_bad_stream_options_fail_at_the_call_site(pool: ud.Pool) -> None:
    with pytest.raises(TypeError, match=r"on_item must be callable, got 1"):
        pool.submit(print, on_item=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"max_buffered=2 needs on_item="):
        pool.submit(print, max_buffered=2)
    with pytest.raises(ValueError, match=r"max_buffered must be an int >= 1 or None, got 0"):
        pool.submit(print, on_item=print, max_buffered=0)


def test_a_coroutine_emits_without_blocking_the_shared_loop(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    items: list[int] = []

    async def produce() -> str:
        for i in range(20):
            ud.emit(i)  # beyond max_buffered: a coroutine never waits for room
        return "ok"

    task = pool.submit(produce, on_item=items.append, max_buffered=2)
    assert task.result(WAIT) == "ok"
    assert virtual_dispatcher.run_until(lambda: len(items) == 20, WAIT)
    assert items == list(range(20))


def test_on_item_is_refused_on_a_pool_with_a_foreign_executor(
    virtual_dispatcher: ud.Dispatcher,
) -> None:
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as ex:
        remote = ud.Pool(dispatcher=virtual_dispatcher, executor=ex)
        with pytest.raises(ValueError, match=r"on_item= needs progress reports"):
            remote.submit(print, on_item=print)
        remote.shutdown()


def test_a_producer_waiting_for_room_is_released_when_the_ui_closes(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    at_bound = threading.Event()
    items: list[int] = []

    def produce() -> str:
        for i in range(10):
            if i == 2:
                at_bound.set()
            ud.emit(i)
        return "done"

    task = pool.submit(produce, on_item=items.append, max_buffered=2)
    stream = task._stream
    assert at_bound.wait(WAIT)
    virtual_dispatcher.close()  # the window closes: the batch on its way is dropped
    assert task.result(WAIT) == "done"  # the producer was not left waiting forever
    assert items == []
    assert stream.discarded == 10
