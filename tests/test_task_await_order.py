"""``await task`` on the UI loop resumes after the task's callbacks ran."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

import uidispatch as ud
from uidispatch._core import _plugins


@pytest.fixture(autouse=True)
def builtins_only() -> None:
    """Detection among the built-ins alone: an imported toolkit ranks above asyncio."""
    _plugins.reset_registry(_plugins.load_registry([]))


def _work(n: int) -> int:
    for i in range(n):
        ud.report_progress(i)
    return n


def test_await_resumes_after_on_progress_and_on_done_on_the_asyncio_backend() -> None:
    async def main() -> list[Any]:
        pool = ud.Pool(max_workers=2, max_errors=None)
        bad: list[Any] = []
        try:
            for _ in range(200):
                seen: list[tuple[str, int]] = []
                task = pool.submit(
                    _work,
                    3,
                    on_progress=lambda v, m, seen=seen: seen.append(("progress", v)),
                    on_done=lambda r, seen=seen: seen.append(("done", r)),
                )
                assert await task == 3
                if seen[-2:] != [("progress", 2), ("done", 3)]:
                    bad.append(seen)
        finally:
            pool.shutdown(wait=True)
        return bad

    assert asyncio.run(main()) == []


def test_await_resumes_after_on_error_on_the_asyncio_backend() -> None:
    # Before the fix about 1 round in 7 resumed before on_error ran.
    async def main() -> list[Any]:
        pool = ud.Pool(max_workers=2, max_errors=None)
        bad: list[Any] = []
        try:
            for _ in range(200):
                failed: list[str] = []
                task = pool.submit(
                    int, "x", on_error=lambda e, failed=failed: failed.append(type(e).__name__)
                )
                with pytest.raises(ValueError, match="invalid literal"):
                    await task
                if failed != ["ValueError"]:
                    bad.append(failed)
        finally:
            pool.shutdown(wait=True)
        return bad

    assert asyncio.run(main()) == []


def test_await_does_not_hang_when_the_dispatcher_closes_before_the_callbacks_run() -> None:
    # The resumption waits in the dispatcher's queue behind the callbacks: when the
    # dispatcher drops it, the coroutine still resumes with the task's outcome.
    async def main() -> tuple[int, list[int]]:
        d = ud.get_dispatcher()
        pool = ud.Pool(max_workers=1, dispatcher=d)
        gate = threading.Event()
        ran: list[int] = []
        try:
            task = pool.submit(gate.wait, 10, on_done=lambda r: ran.append(1))

            async def close_then_release() -> None:
                await asyncio.sleep(0.01)
                d.close()
                gate.set()

            closer = asyncio.ensure_future(close_then_release())
            result = await asyncio.wait_for(task, 10)
            await closer
        finally:
            pool.shutdown(wait=True)
        return int(result), ran

    result, ran = asyncio.run(main())
    assert result == 1
    assert ran == []  # dropped with the closed dispatcher, counted there


def test_await_off_the_ui_thread_does_not_wait_for_the_ui_thread() -> None:
    # A loop on another thread resumes straight from the worker: it must not depend on
    # the (here blocked) UI thread's queue.
    ui_loop = asyncio.new_event_loop()
    d = ud.get_dispatcher("asyncio", app=ui_loop)
    pool = ud.Pool(max_workers=1, dispatcher=d)
    ran: list[int] = []
    try:
        task = pool.submit(sum, [1, 2], on_done=ran.append)

        async def other() -> int:
            return await task

        out: list[int] = []
        t = threading.Thread(target=lambda: out.append(asyncio.run(other())))
        t.start()
        t.join(10)
        assert out == [3]
        assert ran == []  # the UI loop never ran: its callback still waits there
    finally:
        pool.shutdown(wait=True)
        d.close()
        ui_loop.close()


def test_await_on_a_loop_that_does_not_drain_the_dispatcher_resumes_at_once(
    virtual_dispatcher: ud.Dispatcher,
) -> None:
    # Same thread as the dispatcher, but this asyncio loop never runs its drains: the
    # coroutine must not wait for them (it would wait forever).
    pool = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher)
    ran: list[int] = []
    try:

        async def main() -> int:
            return await pool.submit(sum, [2, 3], on_done=ran.append)

        assert asyncio.run(main()) == 5
        assert ran == []  # still queued on the virtual dispatcher
        assert virtual_dispatcher.run_until(lambda: ran, 5)
        assert ran == [5]
    finally:
        pool.shutdown(wait=True)
