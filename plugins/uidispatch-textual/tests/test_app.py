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
