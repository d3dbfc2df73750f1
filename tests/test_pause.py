"""task.pause() / task.resume(): the work stops at its next pause point; cancel still wins."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

import uidispatch as ud

if TYPE_CHECKING:
    from conftest import ManualTimers

WAIT = 5.0


@pytest.fixture
def pool(virtual_dispatcher: ud.Dispatcher, manual_time: ManualTimers) -> Iterator[ud.Pool]:
    p = ud.Pool(max_workers=2, dispatcher=virtual_dispatcher)
    manual_time.use_for(p)
    yield p
    p.shutdown(wait=True, cancel_pending=True, cancel_running=True)


def _until(predicate: Callable[[], bool]) -> bool:
    """Wait (real time, polling) until ``predicate()`` holds; False after WAIT seconds."""
    tick = threading.Event()
    for _ in range(int(WAIT / 0.005)):
        if predicate():
            return True
        tick.wait(0.005)
    return predicate()


def held(task: ud.Task[Any]) -> bool:
    """True while a thread of ``task``'s work waits in its pause point (or a coroutine does)."""
    if task._pause_wakers:  # a paused coroutine's wake-up
        return True
    code = ud.Task._pause_point.__code__
    for frame in sys._current_frames().values():
        f: Any = frame
        while f is not None:
            if f.f_code is code and f.f_locals.get("self") is task:
                return True
            f = f.f_back
    return False


class Steps:
    """Work that records each step, in each kind of pause point."""

    def __init__(self) -> None:
        self.done: list[str] = []
        self.started = threading.Event()
        self.gate = threading.Event()

    def generator(self) -> Generator[int, None, str]:
        try:
            self.done.append("one")
            self.started.set()
            assert self.gate.wait(WAIT)
            yield 1
            self.done.append("two")
            yield 2
            return "end"
        finally:
            self.done.append("finally")

    def _plain(self, point: Callable[[], object]) -> str:
        try:
            self.done.append("one")
            self.started.set()
            assert self.gate.wait(WAIT)
            point()
            self.done.append("two")
            return "end"
        finally:
            self.done.append("finally")

    def check_cancelled(self) -> str:
        return self._plain(ud.check_cancelled)

    def report_progress(self) -> str:
        return self._plain(lambda: ud.report_progress(1))

    def emit(self) -> str:
        return self._plain(lambda: ud.emit(1))


POINTS = ["generator", "check_cancelled", "report_progress", "emit"]


def _submit(pool: ud.Pool, steps: Steps, point: str, **options: Any) -> ud.Task[Any]:
    if point == "emit":
        options.setdefault("on_item", lambda item: None)
    return pool.submit(getattr(steps, point), **options)


@pytest.mark.parametrize("point", POINTS)
def test_paused_work_stops_at_its_next_pause_point_until_resumed(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher, point: str
) -> None:
    steps = Steps()
    task = _submit(pool, steps, point)
    assert steps.started.wait(WAIT)
    assert task.pause() is True
    assert task.paused
    steps.gate.set()
    assert _until(lambda: held(task))
    assert steps.done == ["one"]
    assert task.state is ud.TaskState.RUNNING
    task.resume()
    assert not task.paused
    assert task.result(WAIT) == "end"
    assert steps.done == ["one", "two", "finally"]


@pytest.mark.parametrize("point", POINTS)
def test_a_cancel_while_paused_wakes_the_work_and_it_ends_cancelled(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher, point: str
) -> None:
    steps = Steps()
    errors: list[BaseException] = []
    task = _submit(pool, steps, point, on_error=errors.append)
    assert steps.started.wait(WAIT)
    task.pause()
    steps.gate.set()
    assert _until(lambda: held(task))
    assert task.cancel()
    assert task.wait_stopped(WAIT)
    assert task.cancelled()
    assert not task.paused
    if point == "report_progress":  # it returns, as after any cancel: the work runs on
        assert steps.done == ["one", "two", "finally"]  # to its next check
    else:
        assert steps.done == ["one", "finally"]  # it never went past the pause point
    assert virtual_dispatcher.run_until(lambda: bool(errors), WAIT)
    assert isinstance(errors[0], ud.TaskCancelled)


def test_the_progress_reported_where_it_paused_is_shown(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    steps = Steps()
    seen: list[object] = []
    task = pool.submit(steps.generator, on_progress=lambda value, _: seen.append(value))
    assert steps.started.wait(WAIT)
    task.pause()
    steps.gate.set()
    assert _until(lambda: held(task))
    assert virtual_dispatcher.run_until(lambda: seen == [1], WAIT)
    task.resume()
    task.result(WAIT)
    assert virtual_dispatcher.run_until(lambda: seen == [1, 2], WAIT)


def test_a_timeout_while_paused_ends_the_task(pool: ud.Pool, manual_time: ManualTimers) -> None:
    steps = Steps()
    task = pool.submit(steps.check_cancelled, timeout=10.0)
    assert steps.started.wait(WAIT)
    task.pause()
    steps.gate.set()
    assert _until(lambda: held(task))
    manual_time.wait_for_timer(at=10.0)
    manual_time.advance(10.0)  # time runs on while paused
    with pytest.raises(ud.TaskTimeout):
        task.result(WAIT)
    assert task.wait_stopped(WAIT)
    assert steps.done == ["one", "finally"]


def test_a_task_paused_before_it_starts_stops_at_its_first_pause_point(
    pool: ud.Pool,
) -> None:
    steps = Steps()
    steps.gate.set()
    blockers = threading.Event()
    hold = [pool.submit(blockers.wait, WAIT) for _ in range(pool.max_workers)]
    task = _submit(pool, steps, "generator")
    assert task.state is ud.TaskState.PENDING
    task.pause()
    blockers.set()
    assert _until(lambda: held(task))
    assert steps.done == ["one"]
    task.resume()
    assert task.result(WAIT) == "end"
    for other in hold:
        other.result(WAIT)


def test_an_async_generator_pauses_at_its_yield_without_holding_the_loop(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    done: list[int] = []
    gate = threading.Event()

    async def numbers() -> Any:
        for i in range(3):
            if i == 1:
                while not gate.is_set():  # the test pauses the task meanwhile
                    await _sleep()
            done.append(i)
            yield i

    async def other() -> str:
        return "the loop runs on"

    task = pool.submit(numbers)
    assert _until(lambda: done == [0])
    task.pause()
    gate.set()
    assert _until(lambda: held(task))
    assert done == [0, 1]
    assert pool.submit(other).result(WAIT) == "the loop runs on"  # same loop, not stalled
    assert done == [0, 1]
    task.resume()
    assert task.result(WAIT) is None
    assert done == [0, 1, 2]


async def _sleep() -> None:
    import asyncio

    await asyncio.sleep(0.005)


def test_pausing_a_finished_task_does_nothing(pool: ud.Pool) -> None:
    task = pool.submit(abs, -1)
    assert task.result(WAIT) == 1
    assert task.pause() is False
    assert not task.paused
    task.resume()  # idempotent, never raises
    assert task.state is ud.TaskState.DONE


def test_pause_and_resume_outside_the_work_never_block_the_caller(pool: ud.Pool) -> None:
    steps = Steps()
    task = pool.submit(steps.check_cancelled)
    assert steps.started.wait(WAIT)
    task.pause()
    task.pause()  # twice: still one pause
    task.report_progress("from the main thread")  # not the task's own thread: no wait
    assert task.progress == ("from the main thread", None)
    task.resume()
    task.resume()
    steps.gate.set()
    assert task.result(WAIT) == "end"
