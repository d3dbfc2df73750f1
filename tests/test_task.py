"""Task: a Future whose callbacks, progress and errors land on the main thread exactly once."""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import logging
import os
import subprocess
import sys
import textwrap
import threading
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

import uidispatch as ud

WAIT = 5.0


class Widget:
    """Stands in for a widget: weakly referenceable."""


@pytest.fixture
def pool(virtual_dispatcher: ud.Dispatcher) -> Iterator[ud.Pool]:
    p = ud.Pool(max_workers=4, dispatcher=virtual_dispatcher)
    yield p
    p.shutdown(wait=True, cancel_pending=True)


def pump(d: ud.Dispatcher, predicate: Any) -> None:
    assert d.run_until(predicate, WAIT), "timed out pumping the main loop"


# ---------------------------------------------------------------------- it is a Future


def test_task_is_a_future_and_pool_an_executor(pool: ud.Pool) -> None:
    task = pool.submit(pow, 2, 10)
    assert isinstance(task, concurrent.futures.Future)
    assert isinstance(pool, concurrent.futures.Executor)
    assert task.result(WAIT) == 1024
    assert task.state is ud.TaskState.DONE
    assert task.done()
    assert not task.cancelled()
    assert not task.running()
    assert task.exception() is None


def test_task_ids_are_unique_and_increasing(pool: ud.Pool) -> None:
    tasks = [pool.submit(abs, -i) for i in range(5)]
    ids = [t.id for t in tasks]
    assert ids == sorted(ids)
    assert len(set(ids)) == 5
    assert f"#{tasks[0].id}" in repr(tasks[0])


def test_states_run_pending_running_done(pool: ud.Pool) -> None:
    started, release = threading.Event(), threading.Event()

    def work() -> str:
        started.set()
        release.wait(WAIT)
        return "ok"

    task = pool.submit(work)
    assert started.wait(WAIT)
    assert task.state is ud.TaskState.RUNNING
    assert task.running()
    release.set()
    assert task.result(WAIT) == "ok"
    assert task.state is ud.TaskState.DONE


def test_result_wait_timeout_raises_timeout_error_and_task_keeps_running(pool: ud.Pool) -> None:
    release = threading.Event()
    task = pool.submit(release.wait, WAIT)
    with pytest.raises(TimeoutError, match=r"did not finish within timeout=0\.01"):
        task.result(timeout=0.01)
    with pytest.raises(concurrent.futures.TimeoutError):
        task.exception(timeout=0.01)
    release.set()
    assert task.result(WAIT) is True


def test_failed_task_reraises_and_reports_state(pool: ud.Pool) -> None:
    task = pool.submit(int, "x")
    with pytest.raises(ValueError, match="invalid literal"):
        task.result(WAIT)
    assert task.state is ud.TaskState.FAILED
    assert isinstance(task.exception(), ValueError)


def test_add_done_callback_keeps_its_standard_meaning(pool: ud.Pool) -> None:
    seen: list[tuple[object, str]] = []
    done = threading.Event()

    def cb(fut: concurrent.futures.Future[Any]) -> None:
        seen.append((fut, threading.current_thread().name))
        done.set()

    release = threading.Event()
    task = pool.submit(release.wait, WAIT)
    task.add_done_callback(cb)
    release.set()
    assert done.wait(WAIT)
    assert seen[0][0] is task
    assert seen[0][1] != threading.current_thread().name  # the finishing worker's thread


# ---------------------------------------------------------------------- main-thread callbacks


def test_on_done_runs_once_on_the_main_thread(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    calls: list[tuple[object, threading.Thread]] = []
    task = pool.submit(pow, 3, 3, on_done=lambda r: calls.append((r, threading.current_thread())))
    task.result(WAIT)
    pump(virtual_dispatcher, lambda: calls)
    virtual_dispatcher.run_until(lambda: False, 0.05)
    assert calls == [(27, threading.current_thread())]


def test_callbacks_added_after_completion_still_run_exactly_once(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    done: list[object] = []
    errors: list[BaseException] = []
    ok = pool.submit(pow, 2, 5)
    bad = pool.submit(int, "x")
    ok.result(WAIT)
    with pytest.raises(ValueError, match="invalid literal"):
        bad.result(WAIT)
    assert ok.on_done(done.append) is ok  # chaining
    ok.on_error(errors.append)  # never: it succeeded
    bad.on_error(errors.append)
    bad.on_done(done.append)  # never: it failed
    pump(virtual_dispatcher, lambda: done and errors)
    virtual_dispatcher.run_until(lambda: False, 0.05)
    assert done == [32]
    assert len(errors) == 1
    assert isinstance(errors[0], ValueError)


def test_on_error_gets_the_exception_on_the_main_thread(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    got: list[tuple[BaseException, bool]] = []

    def boom() -> None:
        raise KeyError("missing")

    pool.submit(boom, on_error=lambda e: got.append((e, threading.current_thread() is main)))
    main = threading.current_thread()
    pump(virtual_dispatcher, lambda: got)
    assert isinstance(got[0][0], KeyError)
    assert got[0][1]


def test_callback_errors_go_to_the_dispatcher_error_handler(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    def bad_callback(result: object) -> None:
        raise RuntimeError(f"callback saw {result}")

    pool.submit(pow, 2, 2, on_done=bad_callback)
    collector = virtual_dispatcher.error_handler
    pump(virtual_dispatcher, lambda: collector.errors)  # type: ignore[attr-defined]
    [exc] = collector.take()  # type: ignore[attr-defined]
    assert isinstance(exc, RuntimeError)
    assert "callback saw 4" in str(exc)


def test_callbacks_of_a_dead_owner_are_skipped(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    alive, gone, killed = Widget(), Widget(), Widget()
    calls: list[str] = []
    release = threading.Event()
    pool.submit(release.wait, WAIT, on_done=lambda _: calls.append("alive"), owner=alive)
    pool.submit(release.wait, WAIT, on_done=lambda _: calls.append("gone"), owner=gone)
    t = pool.submit(release.wait, WAIT, owner=killed)
    t.on_done(lambda _: calls.append("killed"))
    t.on_done(lambda _: calls.append("own owner"), owner=alive)
    del gone
    gc.collect()
    virtual_dispatcher.backend.kill(killed)  # type: ignore[attr-defined]
    release.set()
    pump(virtual_dispatcher, lambda: len(calls) >= 2)
    virtual_dispatcher.run_until(lambda: False, 0.05)
    assert sorted(calls) == ["alive", "own owner"]


def test_owner_must_be_weakly_referenceable(pool: ud.Pool) -> None:
    with pytest.raises(TypeError, match="owner must support weak references, got int 5"):
        pool.submit(abs, 1, owner=5)


def test_non_callable_callbacks_fail_at_the_call_site(pool: ud.Pool) -> None:
    with pytest.raises(TypeError, match="on_done must be callable, got 3"):
        pool.submit(abs, 1, on_done=3)  # type: ignore[arg-type]
    task = pool.submit(abs, 1)
    with pytest.raises(TypeError, match="on_error must be callable, got 'x'"):
        task.on_error("x")  # type: ignore[arg-type]


# ---------------------------------------------------------------------- progress


def test_progress_is_coalesced_latest_wins_and_lands_before_on_done(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    events: list[tuple[str, object]] = []

    def work() -> str:
        for i in range(1, 2001):
            ud.report_progress(i, f"step {i}")
        return "finished"

    task = pool.submit(
        work,
        on_progress=lambda v, m: events.append(("progress", (v, m))),
        on_done=lambda r: events.append(("done", r)),
    )
    task.result(WAIT)  # the main loop did not run meanwhile: reports piled up
    pump(virtual_dispatcher, lambda: any(kind == "done" for kind, _ in events))
    progress = [v for kind, v in events if kind == "progress"]
    assert len(progress) < 10  # never one main-thread call per report
    assert progress[-1] == (2000, "step 2000")
    assert events[-1] == ("done", "finished")
    assert task.progress == (2000, "step 2000")


def test_report_progress_outside_a_task_raises_and_cancel_checks_are_inert() -> None:
    with pytest.raises(RuntimeError, match="report_progress\\(\\) called outside a pool task"):
        ud.report_progress(1)
    assert ud.cancelled() is False
    ud.check_cancelled()  # no-op outside a task
    assert ud.Task.current() is None


def test_task_current_is_the_running_task(pool: ud.Pool) -> None:
    task = pool.submit(ud.Task.current)
    assert task.result(WAIT) is task


def test_progress_from_a_helper_thread_through_task_current(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    got: list[object] = []

    def work() -> None:
        task = ud.Task.current()
        assert task is not None
        helper = threading.Thread(target=task.report_progress, args=("from helper",))
        helper.start()
        helper.join()

    pool.submit(work, on_progress=lambda v, m: got.append(v)).result(WAIT)
    pump(virtual_dispatcher, lambda: got)
    assert got == ["from helper"]


def test_generator_yields_are_progress_and_return_is_result(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    got: list[tuple[object, object]] = []

    def gen(n: int) -> Iterator[int]:
        yield from range(n)
        return "total"  # type: ignore[misc]

    release = threading.Event()
    task = pool.submit(gen, 3, on_progress=lambda v, m: got.append((v, m)))
    assert task.result(WAIT) == "total"
    release.set()
    pump(virtual_dispatcher, lambda: got)
    assert got[-1] == (2, None)


# ---------------------------------------------------------------------- cancellation


def test_cancelling_a_queued_task_means_it_never_runs(
    virtual_dispatcher: ud.Dispatcher,
) -> None:
    pool = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher)
    release = threading.Event()
    ran: list[int] = []
    errors: list[BaseException] = []
    blocker = pool.submit(release.wait, WAIT)
    queued = pool.submit(ran.append, 1, on_error=errors.append)
    assert queued.state is ud.TaskState.PENDING
    assert queued.cancel() is True
    assert queued.cancel() is True  # already cancelled: True, as Future.cancel() says
    assert queued.cancelled()
    assert queued.done()
    assert queued.state is ud.TaskState.CANCELLED
    with pytest.raises(ud.TaskCancelled, match="was cancelled"):
        queued.result()
    with pytest.raises(concurrent.futures.CancelledError):
        queued.exception()
    release.set()
    blocker.result(WAIT)
    pool.shutdown(wait=True)
    pump(virtual_dispatcher, lambda: errors)
    assert ran == []
    assert len(errors) == 1
    assert isinstance(errors[0], ud.TaskCancelled)
    assert pool.stats().cancelled == 1


def test_cancelling_running_work_resolves_at_once_and_discards_the_late_result(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    started, stop_seen, resume = threading.Event(), threading.Event(), threading.Event()
    done: list[object] = []
    errors: list[BaseException] = []

    def work() -> str:
        started.set()
        resume.wait(WAIT)  # the task resolves while we are still here
        stop_seen.set() if ud.cancelled() else None
        return "late"

    task = pool.submit(work, on_done=done.append, on_error=errors.append)
    assert started.wait(WAIT)
    assert task.cancel() is True
    assert task.state is ud.TaskState.CANCELLED
    with pytest.raises(ud.TaskCancelled):
        task.result(0)  # resolved at once, though the thread still runs
    resume.set()
    assert stop_seen.wait(WAIT)
    pump(virtual_dispatcher, lambda: errors)
    virtual_dispatcher.run_until(lambda: False, 0.05)
    assert done == []
    assert len(errors) == 1


def test_check_cancelled_stops_the_worker(pool: ud.Pool) -> None:
    started, stopped = threading.Event(), threading.Event()

    def work() -> None:
        started.set()
        try:
            while True:
                ud.check_cancelled()
                stopped.wait(0.001)
        except ud.TaskCancelled:
            stopped.set()
            raise

    task = pool.submit(work)
    assert started.wait(WAIT)
    task.cancel()
    assert stopped.wait(WAIT)


def test_cancel_stops_a_generator_at_its_next_yield_and_runs_its_cleanup(
    pool: ud.Pool,
) -> None:
    yielded, resume, cleaned = threading.Event(), threading.Event(), threading.Event()
    steps: list[int] = []

    def gen() -> Iterator[int]:
        try:
            for i in range(100):
                steps.append(i)
                yielded.set()
                resume.wait(WAIT)
                yield i
        finally:
            cleaned.set()

    task = pool.submit(gen)
    assert yielded.wait(WAIT)
    task.cancel()
    resume.set()
    assert cleaned.wait(WAIT)
    assert steps == [0]


# ---------------------------------------------------------------------- standard tools


def test_concurrent_futures_wait_and_as_completed_include_cancelled_tasks(
    virtual_dispatcher: ud.Dispatcher,
) -> None:
    pool = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher)
    release = threading.Event()
    blocker = pool.submit(release.wait, WAIT)
    queued = pool.submit(abs, -1)
    queued.cancel()
    failing = pool.submit(int, "x")
    release.set()
    done, not_done = concurrent.futures.wait([blocker, queued, failing], timeout=WAIT)
    assert done == {blocker, queued, failing}
    assert not not_done
    finished = list(concurrent.futures.as_completed([blocker, queued, failing], timeout=WAIT))
    assert set(finished) == {blocker, queued, failing}
    pool.shutdown()


def test_waiting_with_first_completed_wakes_on_a_cancel_from_another_thread(
    pool: ud.Pool,
) -> None:
    release = threading.Event()
    task = pool.submit(release.wait, WAIT)
    threading.Timer(0.01, task.cancel).start()
    done, _ = concurrent.futures.wait(
        [task], timeout=WAIT, return_when=concurrent.futures.FIRST_COMPLETED
    )
    release.set()
    assert done == {task}
    assert task.cancelled()


def test_asyncio_wrap_future_carries_results_errors_and_cancellation(pool: ud.Pool) -> None:
    release = threading.Event()
    cancelled_task = pool.submit(release.wait, WAIT)

    async def main() -> tuple[object, object, bool]:
        ok = await asyncio.wrap_future(pool.submit(pow, 2, 4))
        try:
            await asyncio.wrap_future(pool.submit(int, "x"))
        except ValueError as exc:
            err: object = exc
        wrapped = asyncio.wrap_future(cancelled_task)
        cancelled_task.cancel()
        try:
            await wrapped
        except asyncio.CancelledError:
            return ok, err, wrapped.cancelled()
        return ok, err, False

    ok, err, was_cancelled = asyncio.run(main())
    release.set()
    assert ok == 16
    assert isinstance(err, ValueError)
    assert was_cancelled


def test_await_task_in_asyncio_returns_raises_and_cancels(pool: ud.Pool) -> None:
    release = threading.Event()

    async def main() -> tuple[object, object, object, bool]:
        value = await pool.submit(pow, 3, 2)
        try:
            await pool.submit(int, "x")
        except ValueError as exc:
            error: object = exc
        doomed = pool.submit(release.wait, WAIT)
        asyncio.get_running_loop().call_later(0.01, doomed.cancel)
        try:
            await doomed
        except ud.TaskCancelled as exc:
            cancelled: object = exc
        abandoned = pool.submit(release.wait, WAIT)
        waiter = asyncio.ensure_future(_await(abandoned))
        await asyncio.sleep(0.01)
        waiter.cancel()  # cancelling the awaiting coroutine cancels the task
        with pytest.raises(asyncio.CancelledError):
            await waiter
        return value, error, cancelled, abandoned.cancelled()

    value, error, cancelled, abandoned = asyncio.run(main())
    release.set()
    assert value == 9
    assert isinstance(error, ValueError)
    assert isinstance(cancelled, ud.TaskCancelled)
    assert abandoned


async def _await(task: ud.Task[Any]) -> object:
    return await task


def test_run_in_executor_and_map_use_the_pool(pool: ud.Pool) -> None:
    async def main() -> object:
        return await asyncio.get_running_loop().run_in_executor(pool, pow, 2, 8)

    assert asyncio.run(main()) == 256
    assert list(pool.map(pow, [1, 2, 3], [2, 2, 2], timeout=WAIT)) == [1, 4, 9]


def test_await_task_in_qasync() -> None:
    pytest.importorskip("qasync")
    pytest.importorskip("PySide6.QtWidgets")
    # In a child process: a QApplication here would change backend detection for the
    # tests that run after this one.
    code = textwrap.dedent(
        """
        import qasync
        from PySide6.QtWidgets import QApplication
        import uidispatch as ud

        app = QApplication([])
        pool = ud.Pool(max_workers=2)

        async def main():
            return await pool.submit(pow, 5, 2)

        loop = qasync.QEventLoop(app)
        try:
            print(loop.run_until_complete(main()))
        finally:
            loop.close()
            pool.shutdown()
        """
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "25"


# ---------------------------------------------------------------------- unretrieved failures


def test_a_failure_nobody_looked_at_is_logged(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher, caplog: pytest.LogCaptureFixture
) -> None:
    task = pool.submit(int, "not a number")
    concurrent.futures.wait([task], timeout=WAIT)
    with caplog.at_level(logging.ERROR, logger="uidispatch"):
        del task
        gc.collect()
        # The worker handed its last reference over to the main thread: the task goes,
        # and its failure is logged, at the main loop's next turn.
        pump(
            virtual_dispatcher,
            lambda: any("nobody retrieved the exception" in r.getMessage() for r in caplog.records),
        )


def test_a_retrieved_failure_is_not_logged(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher, caplog: pytest.LogCaptureFixture
) -> None:
    task = pool.submit(int, "not a number")
    assert isinstance(task.exception(WAIT), ValueError)
    gone = weakref.ref(task)
    with caplog.at_level(logging.ERROR, logger="uidispatch"):
        del task
        gc.collect()
        pump(virtual_dispatcher, lambda: gone() is None)  # freed: its __del__ has run
    assert not any("nobody retrieved" in r.getMessage() for r in caplog.records)


def test_set_result_twice_is_an_invalid_state() -> None:
    task: ud.Task[int] = ud.Task()
    task.set_result(1)
    with pytest.raises(concurrent.futures.InvalidStateError):
        task.set_result(2)
    assert task.result() == 1


def test_cancel_twice_returns_true_like_a_future(virtual_dispatcher: ud.Dispatcher) -> None:
    pool = ud.Pool(1, dispatcher=virtual_dispatcher)
    gate = threading.Event()
    try:
        task = pool.submit(gate.wait, 5)
        assert task.cancel() is True
        assert task.cancel() is True
        assert task.cancelled()
        done = pool.submit(int, "3")
        assert done.result(5) == 3
        assert done.cancel() is False
    finally:
        gate.set()
        pool.shutdown(wait=True)
