"""uidispatch.aio on the built-in backends: asyncio and trio as guests of the UI thread.

Most tests run on the ``virtual`` backend (its main thread is the test's; ``run_until``
pumps it); the loop's own waits are real time, so tests wait on conditions, never sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

import uidispatch as ud
from uidispatch import aio

LIBS = [
    "asyncio",
    pytest.param(
        "trio",
        marks=pytest.mark.skipif(
            not __import__("importlib").util.find_spec("trio"), reason="trio not installed"
        ),
    ),
]


def _finish(d: ud.Dispatcher, run: aio.Run, timeout: float = 10.0) -> None:
    assert d.run_until(lambda: run.done, timeout), run


def _sleep(lib: str) -> Callable[[float], Any]:
    if lib == "trio":
        import trio

        return trio.sleep
    return asyncio.sleep


# ------------------------------------------------------------------ every way a run ends

ENDINGS = ["return", "raise", "cancel_here", "cancel_from_thread", "keyboard_interrupt"]


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("ending", ENDINGS)
def test_a_run_ends_with_mains_outcome(
    virtual_dispatcher: ud.Dispatcher, lib: str, ending: str
) -> None:
    d = virtual_dispatcher
    sleep = _sleep(lib)
    started = threading.Event()
    cleaned: list[str] = []

    async def main(x: int) -> int:
        started.set()
        try:
            if ending == "raise":
                raise ValueError("boom")
            if ending == "keyboard_interrupt":
                raise KeyboardInterrupt
            if ending.startswith("cancel"):
                await sleep(3600)
            await sleep(0)
            return x * 2
        finally:
            cleaned.append("finally")

    run = aio.start(main, 21, lib=lib, dispatcher=d)
    seen: list[aio.Run] = []
    run.on_done(seen.append)
    assert not run.done
    assert d.run_until(started.is_set, 5)
    if ending == "cancel_here":
        run.cancel()
    elif ending == "cancel_from_thread":
        t = threading.Thread(target=run.cancel)
        t.start()
        t.join()
    _finish(d, run)
    assert d.run_until(lambda: bool(seen), 5)
    assert seen == [run]
    assert cleaned == ["finally"]
    if ending == "return":
        assert run.result() == 42
        assert not run.cancelled
    elif ending == "raise":
        with pytest.raises(ValueError, match="boom"):
            run.result()
    elif ending == "keyboard_interrupt":
        with pytest.raises(KeyboardInterrupt):
            run.result()
    else:
        assert run.cancelled
        with pytest.raises(ud.TaskCancelled):
            run.result()
    if lib == "asyncio":
        assert run.loop.is_closed()  # type: ignore[attr-defined]


def test_result_before_the_end_says_how_to_wait(virtual_dispatcher: ud.Dispatcher) -> None:
    run = aio.start(asyncio.sleep, 0, dispatcher=virtual_dispatcher)
    with pytest.raises(RuntimeError, match=r"has not finished.*on_done"):
        run.result()
    _finish(virtual_dispatcher, run)


# ------------------------------------------------------------------ asyncio semantics


def test_coroutines_see_a_running_loop_and_plain_callbacks_do_not(
    virtual_dispatcher: ud.Dispatcher,
) -> None:
    d = virtual_dispatcher
    outside: list[object] = []

    def plain() -> None:
        outside.append(asyncio.events._get_running_loop())

    async def main() -> tuple[Any, bool, int]:
        loop = asyncio.get_running_loop()
        d.call_soon(plain)
        await asyncio.sleep(0.01)
        return loop, loop.is_running(), threading.get_ident()

    run = aio.start(main, dispatcher=d)
    _finish(d, run)
    loop, running, ident = run.result()
    assert loop is run.loop  # type: ignore[attr-defined]
    assert running
    assert ident == threading.get_ident()  # the UI thread
    assert outside == [None]
    assert asyncio.events._get_running_loop() is None


def test_wait_for_times_out_and_timers_fire(virtual_dispatcher: ud.Dispatcher) -> None:
    async def main() -> list[str]:
        order: list[str] = []
        loop = asyncio.get_running_loop()
        loop.call_later(0.02, order.append, "late")
        loop.call_later(0.01, order.append, "early")
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.sleep(10), 0.03)
        return order

    run = aio.start(main, dispatcher=virtual_dispatcher)
    _finish(virtual_dispatcher, run)
    assert run.result() == ["early", "late"]


@pytest.mark.skipif(sys.version_info < (3, 11), reason="TaskGroup is 3.11+")
def test_task_groups(virtual_dispatcher: ud.Dispatcher) -> None:
    async def child(n: int) -> int:
        await asyncio.sleep(0.001 * n)
        return n

    async def main() -> list[int]:
        async with asyncio.TaskGroup() as tg:  # type: ignore[attr-defined]
            tasks = [tg.create_task(child(n)) for n in range(5)]
        return [t.result() for t in tasks]

    run = aio.start(main, dispatcher=virtual_dispatcher)
    _finish(virtual_dispatcher, run)
    assert run.result() == [0, 1, 2, 3, 4]


def test_sockets_and_streams(virtual_dispatcher: ud.Dispatcher) -> None:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(await reader.readline())
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    async def main() -> list[bytes]:
        server = await asyncio.start_server(echo, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        replies = []
        async with server:
            for i in range(3):
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(b"hello %d\n" % i)
                replies.append(await reader.readline())
                writer.close()
                await writer.wait_closed()
        return replies

    run = aio.start(main, dispatcher=virtual_dispatcher)
    _finish(virtual_dispatcher, run)
    assert run.result() == [b"hello 0\n", b"hello 1\n", b"hello 2\n"]


def test_run_in_executor_defaults_to_a_uidispatch_pool(virtual_dispatcher: ud.Dispatcher) -> None:
    async def main() -> tuple[str, bool]:
        loop = asyncio.get_running_loop()
        name = await loop.run_in_executor(None, lambda: threading.current_thread().name)
        return name, threading.current_thread() is threading.main_thread()

    run = aio.start(main, dispatcher=virtual_dispatcher)
    _finish(virtual_dispatcher, run)
    name, on_main = run.result()
    assert name.startswith("uidispatch-default")
    assert on_main


def test_await_task_resumes_on_the_ui_thread_after_its_callbacks(
    virtual_dispatcher: ud.Dispatcher,
) -> None:
    d = virtual_dispatcher
    pool = ud.Pool(max_workers=2, dispatcher=d)
    order: list[str] = []

    async def main() -> int:
        total = 0
        for i in range(20):
            task = pool.submit(lambda i=i: i, on_done=lambda v: order.append(f"done {v}"))
            total += await task
            order.append(f"resumed {i}")
            assert threading.current_thread() is threading.main_thread()
        return total

    run = aio.start(main, dispatcher=d)
    _finish(d, run)
    pool.shutdown()
    assert run.result() == sum(range(20))
    assert order == [s for i in range(20) for s in (f"done {i}", f"resumed {i}")]


def test_async_generators_are_finalised_by_the_loop(virtual_dispatcher: ud.Dispatcher) -> None:
    closed: list[str] = []

    async def numbers(name: str) -> AsyncIterator[int]:
        try:
            for i in range(10):
                yield i
                await asyncio.sleep(0)
        finally:
            closed.append(name)

    async def main() -> None:
        dropped = numbers("dropped")
        async for i in dropped:
            if i == 2:
                break
        del dropped
        gc.collect()  # the finalizer hook schedules aclose() on the loop
        for _ in range(5):
            await asyncio.sleep(0)
        assert closed == ["dropped"]
        kept = numbers("kept at the end")
        await kept.__anext__()
        main.kept = kept  # type: ignore[attr-defined]  # alive until the run's shutdown

    run = aio.start(main, dispatcher=virtual_dispatcher)
    _finish(virtual_dispatcher, run)
    run.result()
    assert closed == ["dropped", "kept at the end"]
    del main.kept  # type: ignore[attr-defined]


def test_a_nested_ui_loop_inside_a_coroutine_keeps_the_others_running(
    virtual_dispatcher: ud.Dispatcher,
) -> None:
    d = virtual_dispatcher
    ticks: list[int] = []

    async def ticker() -> None:
        for i in range(5):
            ticks.append(i)
            await asyncio.sleep(0)

    async def main() -> bool:
        task = asyncio.ensure_future(ticker())
        # A modal dialog's nested loop, opened from inside a coroutine's step.
        nested_ok = d.run_until(lambda: len(ticks) == 5, 5)
        await task
        return nested_ok

    run = aio.start(main, dispatcher=d)
    _finish(d, run)
    assert run.result() is True


@pytest.mark.parametrize("lib", LIBS)
def test_modal_runs_outside_the_step_and_others_keep_running(
    virtual_dispatcher: ud.Dispatcher, lib: str
) -> None:
    d = virtual_dispatcher
    sleep = _sleep(lib)
    ticks: list[int] = []

    def dialog() -> str:  # a blocking modal: its nested loop runs the dispatcher
        assert d.run_until(lambda: len(ticks) >= 3, 5)
        return "ok"

    async def ticker() -> None:
        for i in range(3):
            ticks.append(i)
            await sleep(0)

    @aio.handler
    async def start_ticker() -> None:
        await ticker()

    async def main() -> str:
        start_ticker()
        return await aio.modal(dialog)

    run = aio.start(main, lib=lib, dispatcher=d)
    _finish(d, run)
    assert run.result() == "ok"


# ------------------------------------------------------------------ handlers


@pytest.mark.parametrize("lib", LIBS)
def test_handler_errors_reach_the_error_handler_and_are_counted(
    virtual_dispatcher: ud.Dispatcher, lib: str
) -> None:
    d = virtual_dispatcher
    sleep = _sleep(lib)
    ran: list[int] = []
    release = threading.Event()

    @aio.handler
    async def on_click(n: int) -> None:
        await sleep(0)
        ran.append(n)
        if n == 2:
            raise ValueError(f"click {n}")

    async def main() -> None:
        while not release.is_set():
            await sleep(0.005)

    run = aio.start(main, lib=lib, dispatcher=d)
    errors_before = d.stats().errors
    assert on_click(1) is None
    on_click(2)
    assert d.run_until(lambda: len(ran) == 2, 5)
    assert d.run_until(lambda: d.stats().errors == errors_before + 1, 5)
    (exc,) = d.error_handler.take()  # type: ignore[attr-defined]
    assert isinstance(exc, ValueError)
    assert str(exc) == "click 2"
    release.set()
    _finish(d, run)
    run.result()


def test_handler_without_a_run_names_the_way_out() -> None:
    @aio.handler
    async def on_click() -> None:
        pass

    with pytest.raises(RuntimeError, match=r"aio\.start.*aio\.run_app"):
        on_click()


def test_handler_refuses_a_plain_function() -> None:
    with pytest.raises(TypeError, match="async def"):
        aio.handler(print)  # type: ignore[arg-type]


# ------------------------------------------------------------------ bad input


def test_bad_lib_is_named(virtual_dispatcher: ud.Dispatcher) -> None:
    with pytest.raises(ValueError, match=r"lib must be 'asyncio' or 'trio', got 'curio'"):
        aio.start(asyncio.sleep, 0, lib="curio", dispatcher=virtual_dispatcher)


def test_main_must_be_async(virtual_dispatcher: ud.Dispatcher) -> None:
    with pytest.raises(TypeError, match="main must be an async function"):
        aio.start(lambda: 1, dispatcher=virtual_dispatcher)  # type: ignore[arg-type,return-value]


def test_start_off_the_ui_thread_is_refused(virtual_dispatcher: ud.Dispatcher) -> None:
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            aio.start(asyncio.sleep, 0, dispatcher=virtual_dispatcher)
        except RuntimeError as exc:
            errors.append(exc)

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert len(errors) == 1
    assert "UI thread" in str(errors[0])


def test_trio_missing_names_the_extra(
    virtual_dispatcher: ud.Dispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "trio", None)  # import trio -> ImportError
    with pytest.raises(ImportError, match=r"uidispatch\[trio\]"):
        aio.start(asyncio.sleep, 0, lib="trio", dispatcher=virtual_dispatcher)


def test_unchecked_python_fails_loudly(
    virtual_dispatcher: ud.Dispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    from uidispatch._addons import _aio_loop

    monkeypatch.setattr(_aio_loop, "SUPPORTED_VERSIONS", ((3, 99),))
    with pytest.raises(RuntimeError, match=r"checked on CPython 3\.99"):
        aio.start(asyncio.sleep, 0, dispatcher=virtual_dispatcher)


# ------------------------------------------------------------------ the app going away


@pytest.mark.parametrize("lib", LIBS)
def test_a_dispatcher_closing_under_a_run_cancels_and_finishes_it(lib: str) -> None:
    d = ud.get_dispatcher("virtual")
    sleep = _sleep(lib)
    cleaned: list[str] = []

    async def main() -> None:
        try:
            await sleep(3600)
        finally:
            cleaned.append("finally")

    run = aio.start(main, lib=lib, dispatcher=d)
    assert d.run_until(lambda: False, 0.05) is False  # let main start
    d.close()  # on the UI thread: the run finishes here, through its own steps
    assert run.done
    assert run.cancelled
    assert cleaned == ["finally"]


# ------------------------------------------------------------------ idle and the asyncio backend


def test_an_idle_run_never_wakes_the_ui(virtual_dispatcher: ud.Dispatcher) -> None:
    d = virtual_dispatcher
    backend: Any = d.backend
    release = threading.Event()

    async def main() -> None:
        fut = asyncio.get_running_loop().create_future()
        threading.Thread(target=lambda: (release.wait(), None)).start()
        await asyncio.sleep(0)
        run.waiting = fut  # type: ignore[attr-defined]
        await fut

    run = aio.start(main, dispatcher=d)
    assert d.run_until(lambda: hasattr(run, "waiting"), 5)
    d.run_until(lambda: False, 0.01)
    posts = backend.posts
    d.run_until(lambda: False, 0.3)
    assert backend.posts == posts  # no timer, no I/O: nothing posted
    run.waiting.set_result(None)  # type: ignore[attr-defined]
    release.set()
    _finish(d, run)


def test_on_the_asyncio_backend_the_guest_runs_beside_the_host_loop() -> None:
    async def host() -> tuple[Any, Any]:
        d = ud.get_dispatcher("asyncio")

        async def main() -> Any:
            await asyncio.sleep(0.001)
            return asyncio.get_running_loop()

        run = aio.start(main, dispatcher=d)
        done = asyncio.Event()
        run.on_done(lambda _: done.set())
        await asyncio.wait_for(done.wait(), 10)
        return run.result(), asyncio.get_running_loop()

    guest, host_loop = asyncio.run(host())
    assert guest is not host_loop


def test_run_app_on_a_backend_without_a_window_returns_mains_value() -> None:
    d = ud.get_dispatcher("virtual")
    ud.use(d)
    try:

        async def main(x: int) -> int:
            await asyncio.sleep(0.001)
            return x

        assert aio.run_app(main, 7) == 7
    finally:
        ud.use(None)
        with contextlib.suppress(Exception):
            d.close()


@pytest.mark.parametrize("lib", LIBS)
def test_the_stall_watch_names_a_coroutine_that_blocks_the_ui_thread(
    virtual_dispatcher: ud.Dispatcher, lib: str
) -> None:
    d = virtual_dispatcher
    stalls: list[Any] = []
    lock = threading.Lock()

    def reported(info: Any) -> None:
        with lock:
            stalls.append(info)

    watch = d.watch_stalls(threshold=0.2, on_stall=reported, interval=0.05)

    async def a_coroutine_blocking_the_ui_thread() -> None:
        await _sleep(lib)(0)
        # The bug under test: a blocking call inside a coroutine on the UI thread. It
        # lasts until the watch has seen it (a condition, not a guess at the machine).
        deadline = time.monotonic() + 5
        while not watch.stalled and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(0.03)

    try:
        assert d.run_until(lambda: watch.beats >= 2, 5), "heartbeats never answered"
        run = aio.start(a_coroutine_blocking_the_ui_thread, lib=lib, dispatcher=d)
        _finish(d, run)
        run.result()
        assert d.run_until(lambda: watch.stalls == 1 and not watch.stalled, 10)
    finally:
        watch.stop()
    start = stalls[0]
    assert "a_coroutine_blocking_the_ui_thread" in start.stack
    assert start.thread_id == threading.get_ident()
