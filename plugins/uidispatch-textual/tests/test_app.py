"""The Textual backend used as apps use it, driven by Textual's own ``App.run_test()`` pilot."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
import uidispatch_textual

import uidispatch as ud
from uidispatch.hookspecs import Detection

textual_app = pytest.importorskip("textual.app")
from textual import work  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from textual.widgets import Static  # noqa: E402


class Counter(App[None]):
    """A worker thread reports progress into a label through the dispatcher."""

    def __init__(self, total: int) -> None:
        super().__init__()
        self.total = total
        self.finished = threading.Event()
        self.worker_blocked_for = 0.0
        self.shown: list[str] = []
        self.dispatcher: ud.Dispatcher | None = None

    def compose(self) -> ComposeResult:
        yield Static("0", id="count")

    def on_mount(self) -> None:
        self.dispatcher = ud.get_dispatcher()  # auto-detected: this app runs
        self.crunch()

    def show(self, i: int) -> None:
        self.query_one("#count", Static).update(str(i))
        self.shown.append(str(i))

    @work(thread=True)
    def crunch(self) -> None:
        d = self.dispatcher
        assert d is not None
        start = time.perf_counter()
        for i in range(1, self.total + 1):
            d.call_soon(self.show, i, key="count")  # latest wins; never waits for the app
        self.worker_blocked_for = time.perf_counter() - start
        self.finished.set()


def test_a_worker_floods_progress_into_a_label_without_waiting_for_the_app() -> None:
    app = Counter(20_000)

    async def drive() -> None:
        async with app.run_test() as pilot:
            deadline = time.monotonic() + 20
            while not (app.finished.is_set() and app.shown and app.shown[-1] == "20000"):
                assert time.monotonic() < deadline, f"stuck at {app.shown[-1:]}"
                await pilot.pause(0.01)
            assert app.dispatcher is not None
            assert app.dispatcher.backend.name == "textual"
            stats = app.dispatcher.stats()
            assert stats.coalesced > 0  # the label shows the latest value, not every one
            label: Any = app.query_one("#count", Static)
            assert str(label.render()) == "20000"

    asyncio.run(drive())
    assert app.dispatcher is not None
    assert app.dispatcher.closed  # closed with the app


def test_detection_sees_the_running_app_and_not_after_it_exits() -> None:
    seen: dict[str, Any] = {}

    class Probe(App[None]):
        def on_mount(self) -> None:
            seen["score"] = uidispatch_textual.detect()
            seen["app"] = uidispatch_textual.current_app()

    async def drive() -> None:
        app = Probe()
        async with app.run_test() as pilot:
            await pilot.pause()
            seen["expected"] = app
        seen["after"] = uidispatch_textual.detect()

    asyncio.run(drive())
    assert seen["score"] == Detection.RUNNING
    assert seen["app"] is seen["expected"]
    assert seen["after"] == Detection.IMPORTED


def test_an_unmounted_widget_is_alive_and_a_removed_one_is_dead() -> None:
    out: list[str] = []

    async def drive() -> None:
        app = App[None]()
        async with app.run_test() as pilot:
            d = ud.get_dispatcher("textual", app=app)
            backend = d.backend
            widget = Static("later")
            assert backend.is_alive(widget)  # built, not mounted yet
            await app.mount(widget)
            assert backend.is_alive(widget)
            await widget.remove()
            assert not backend.is_alive(widget)
            d.call_soon(out.append, "skipped", owner=widget)
            d.call_soon(out.append, "ran", owner=app)
            while not out:
                await pilot.pause(0.01)
            assert out == ["ran"]
            assert d.stats().dropped == 1
        assert not backend.is_alive(app)  # exited

    asyncio.run(drive())


def test_the_apps_end_closes_the_dispatcher_so_a_worker_never_waits_on_a_dead_app() -> None:
    raised: list[BaseException] = []
    apps: list[Any] = []

    async def drive() -> ud.Dispatcher:
        app = App[None]()
        apps.append(app)
        async with app.run_test() as pilot:
            d = ud.get_dispatcher("textual", app=app)
            app.exit()
            await pilot.pause()
        return d

    d = asyncio.run(drive())  # asyncio.run closes the loop, as App.run() does
    assert d.closed

    def ask() -> None:
        try:
            d.call(lambda: None, timeout=30)
        except BaseException as exc:
            raised.append(exc)

    worker = threading.Thread(target=ask)
    start = time.monotonic()
    worker.start()
    worker.join(10)
    assert time.monotonic() - start < 5
    assert len(raised) == 1
    assert isinstance(raised[0], ud.DispatcherClosed)


def test_call_from_the_app_thread_runs_inline_and_process_events_refuses_a_running_loop() -> None:
    async def drive() -> None:
        app = App[None]()
        async with app.run_test():
            d = ud.get_dispatcher("textual", app=app)
            assert d.call(threading.get_ident) == threading.get_ident()
            with pytest.raises(RuntimeError, match="cannot pump a running Textual app's loop"):
                d.backend.process_events(0.01)

    asyncio.run(drive())


def test_create_needs_a_running_app() -> None:
    with pytest.raises(RuntimeError, match="not running"):
        uidispatch_textual.create(App())
    with pytest.raises(TypeError, match=r"app must be a textual\.app\.App.*got 42"):
        uidispatch_textual.create(42)
    with pytest.raises(RuntimeError, match="found no running Textual app"):
        uidispatch_textual.create(None)


def test_doctor_lines_name_the_textual_version() -> None:
    import importlib.metadata

    version = importlib.metadata.version("textual")
    assert uidispatch_textual.uidispatch_doctor_lines() == [f"textual: Textual {version}"]


def _wait_for(predicate: Any, timeout: float) -> bool:
    """Off the app's thread: wait until ``predicate()`` holds; False after ``timeout``."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        pause.wait(0.002)
    return True


def test_get_dispatcher_first_called_from_a_thread_worker_finds_the_running_app() -> None:
    # A thread worker runs in an executor thread, without the app's active_app context.
    seen: dict[str, Any] = {}

    class Crunch(App[None]):
        def on_mount(self) -> None:
            seen["app thread"] = threading.get_ident()
            self.crunch()

        @work(thread=True)
        def crunch(self) -> None:
            try:
                d = ud.get_dispatcher()  # the first lookup of this process's app
                seen["backend"] = d.backend.name
                seen["app"] = getattr(d.backend, "app", None)
                seen["ran on"] = d.call(threading.get_ident, timeout=10)
            except BaseException as exc:
                seen["error"] = exc
            finally:
                seen["done"] = True

    async def drive() -> None:
        app = Crunch()
        async with app.run_test() as pilot:
            deadline = time.monotonic() + 15
            while "done" not in seen:
                assert time.monotonic() < deadline, "the worker never finished"
                await pilot.pause(0.01)
            seen["expected app"] = app

    asyncio.run(drive())
    assert "error" not in seen, f"the worker's lookup failed: {seen.get('error')!r}"
    assert seen["backend"] == "textual"
    assert seen["app"] is seen["expected app"]
    assert seen["ran on"] == seen["app thread"]


def test_a_main_thread_wait_function_first_used_from_a_thread_worker_runs_on_the_app() -> None:
    seen: dict[str, Any] = {}

    @ud.main_thread(wait=True)
    def show(text: str) -> tuple[str, int]:
        return text, threading.get_ident()

    class Crunch(App[None]):
        def on_mount(self) -> None:
            seen["app thread"] = threading.get_ident()
            self.crunch()

        @work(thread=True)
        def crunch(self) -> None:
            try:
                seen["result"] = show("done")  # resolves the default dispatcher here
            except BaseException as exc:
                seen["error"] = exc
            finally:
                seen["done"] = True

    async def drive() -> None:
        app = Crunch()
        async with app.run_test() as pilot:
            deadline = time.monotonic() + 15
            while "done" not in seen:
                assert time.monotonic() < deadline, "the worker never finished"
                await pilot.pause(0.01)

    asyncio.run(drive())
    assert "error" not in seen, f"the worker's call failed: {seen.get('error')!r}"
    assert seen["result"] == ("done", seen["app thread"])


class _EndsWhileCallsWait(App[None]):
    """Under ``App.run()``: a plain thread binds ``app=self`` and fills the queue as it ends.

    The app's thread is held in a callback that asked the app to exit, until the thread
    queued ``QUEUED`` calls and a second thread waits in ``d.call()``; with a tiny drain
    budget the app ends long before it could run them all.
    """

    QUEUED = 2_000

    def __init__(self) -> None:
        super().__init__()
        self.dispatcher: ud.Dispatcher | None = None
        self.ran: list[int] = []
        self.waiter_got: list[BaseException | None] = []
        self.waiter: threading.Thread | None = None
        self.filled = threading.Event()
        self.failed: list[str] = []

    def on_mount(self) -> None:
        threading.Thread(target=self.produce, daemon=True).start()

    def hold(self) -> None:  # on the app's thread
        self.exit()
        if not self.filled.wait(10):
            self.failed.append("the producer never filled the queue")

    def produce(self) -> None:
        d = ud.get_dispatcher("textual", app=self)
        self.dispatcher = d
        d.configure(budget=1e-6)  # about one call per drain while the app shuts down
        d.call_soon(self.hold)
        for i in range(self.QUEUED):
            d.call_soon(self.ran.append, i)

        def wait_in_call() -> None:
            try:
                d.call(lambda: None, timeout=10)
                self.waiter_got.append(None)
            except BaseException as exc:
                self.waiter_got.append(exc)

        self.waiter = threading.Thread(target=wait_in_call, daemon=True)
        self.waiter.start()
        if not _wait_for(lambda: d.stats().pending >= self.QUEUED + 1, 10):
            self.failed.append(f"the waiter's call was never queued: {d.stats()}")
        self.filled.set()


def test_under_app_run_the_apps_end_fails_waiters_and_drops_the_queued_calls() -> None:
    app = _EndsWhileCallsWait()
    app.run(headless=True)  # asyncio.run(run_app()): no task runs App.run_async itself
    d = app.dispatcher
    assert d is not None
    assert not app.failed, app.failed
    assert app.waiter is not None
    app.waiter.join(15)
    assert d.closed, "the app ended and its dispatcher is still open"
    assert len(app.waiter_got) == 1
    assert isinstance(app.waiter_got[0], ud.DispatcherClosed), app.waiter_got
    stats = d.stats()
    assert stats.pending == 0
    assert stats.dropped >= _EndsWhileCallsWait.QUEUED // 2  # dropped and counted, not run
    assert len(app.ran) + stats.dropped >= _EndsWhileCallsWait.QUEUED
    with pytest.raises(ud.DispatcherClosed):
        d.call_soon(app.ran.append, -1)


def test_the_dispatcher_closes_when_run_async_returns_inside_a_longer_coroutine() -> None:
    later: list[str] = []
    outcome: list[BaseException | str] = []

    class Quick(App[None]):
        dispatcher: ud.Dispatcher | None = None

        def on_mount(self) -> None:
            self.dispatcher = ud.get_dispatcher("textual", app=self)
            self.exit()

    async def main() -> None:
        app = Quick()
        await app.run_async(headless=True)
        # The coroutine, and the loop the app ran on, go on after the app ended.
        d = app.dispatcher
        assert d is not None
        assert d.closed, "run_async() returned and the dispatcher is still open"
        with pytest.raises(ud.DispatcherClosed):
            d.call_soon(later.append, "from the loop")

        def worker() -> None:
            try:
                d.call(later.append, "from a worker", timeout=10)
                outcome.append("ran")
            except BaseException as exc:
                outcome.append(exc)

        thread = threading.Thread(target=worker)
        thread.start()
        deadline = time.monotonic() + 15
        while thread.is_alive():  # the loop keeps turning: a call would run here
            assert time.monotonic() < deadline, "the worker's call never returned"
            await asyncio.sleep(0.01)
        await asyncio.sleep(0)

    asyncio.run(main())
    assert later == []  # nothing ran on the ended app's loop
    assert len(outcome) == 1
    assert isinstance(outcome[0], ud.DispatcherClosed), outcome
