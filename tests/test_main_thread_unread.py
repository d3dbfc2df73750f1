"""An unread ``@main_thread`` exception reaches the error handler promptly, on the main thread.

It used to be reported only when the cyclic collector ran (the exception's traceback
held the drain's frame, which held the Future), and then on whichever thread ran it.
Each test runs with the collector off, so only reference counting can free a Future.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from typing import Any

import pytest

import uidispatch as ud

Dispatcher = ud.Dispatcher


@pytest.fixture(autouse=True)
def no_cyclic_collector() -> Iterator[None]:
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


class Recorder:
    """An error handler that notes each error and the thread it ran on."""

    def __init__(self) -> None:
        self.seen: list[tuple[BaseException, object, int]] = []

    def __call__(self, exc: BaseException, callback: object) -> None:
        self.seen.append((exc, callback, threading.get_ident()))


@pytest.fixture
def recorded(virtual_dispatcher: Dispatcher) -> tuple[Dispatcher, Recorder]:
    rec = Recorder()
    virtual_dispatcher.error_handler = rec
    return virtual_dispatcher, rec


def in_worker(fn: Any) -> None:
    t = threading.Thread(target=fn)
    t.start()
    t.join(10)
    assert not t.is_alive()


def test_fire_and_forget_failure_is_reported_at_once_on_the_main_thread(
    recorded: tuple[Dispatcher, Recorder],
) -> None:
    d, rec = recorded

    @d.main_thread
    def update_label(text: str) -> None:
        raise RuntimeError(f"label destroyed ({text})")

    in_worker(lambda: update_label("hi"))  # the Future is dropped at once
    assert d.run_until(lambda: rec.seen, 5), "not reported without the cyclic collector"
    [(exc, callback, thread)] = rec.seen
    assert str(exc) == "label destroyed (hi)"
    assert callback is update_label.__wrapped__  # type: ignore[attr-defined]
    assert thread == threading.get_ident()
    assert d.stats().errors == 1


class HoldingWorker:
    """A worker that calls ``fn()``, holds the Future until told, then drops it unread.

    Only the worker names the Future: a main-thread frame naming it would be kept by the
    exception's traceback (frames keep their callers) and so keep the Future alive.
    """

    def __init__(self, fn: Any) -> None:
        self.resolved = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(fn,))
        self.thread.start()

    def _run(self, fn: Any) -> None:
        future = fn()
        while not future.done():
            self.resolved.wait(0.001)
        self.resolved.set()
        self.release.wait(10)
        del future  # unread, on this worker thread

    def drop(self) -> None:
        self.release.set()
        self.thread.join(10)
        assert not self.thread.is_alive()


def test_a_future_dropped_unread_on_a_worker_is_reported_on_the_main_thread(
    recorded: tuple[Dispatcher, Recorder],
) -> None:
    d, rec = recorded

    @d.main_thread
    def fail() -> None:
        raise KeyError("nope")

    worker = HoldingWorker(fail)
    assert d.run_until(worker.resolved.is_set, 5)
    assert rec.seen == []  # the worker still holds it: it may read it yet
    worker.drop()
    assert rec.seen == [], "the handler ran on the worker thread"
    assert d.run_until(lambda: rec.seen, 5)
    [(exc, _, thread)] = rec.seen
    assert isinstance(exc, KeyError)
    assert thread == threading.get_ident()


def test_a_future_the_worker_reads_is_never_reported(
    recorded: tuple[Dispatcher, Recorder],
) -> None:
    d, rec = recorded
    got: list[BaseException | None] = []

    @d.main_thread
    def fail() -> None:
        raise KeyError("nope")

    def worker() -> None:
        future = fail()
        got.append(future.exception(10))

    t = threading.Thread(target=worker)
    t.start()
    assert d.run_until(lambda: got, 5)
    t.join(10)
    ran: list[bool] = []
    d.call_soon(ran.append, True)
    assert d.run_until(lambda: ran, 5)
    assert isinstance(got[0], KeyError)
    assert rec.seen == []
    assert d.stats().errors == 0


def test_a_future_read_through_asyncio_wrap_future_is_never_reported(
    recorded: tuple[Dispatcher, Recorder],
) -> None:
    import asyncio

    d, rec = recorded
    got: list[str] = []

    @d.main_thread
    def fail() -> None:
        raise KeyError("nope")

    async def consumer() -> None:
        try:
            await asyncio.wrap_future(fail())
        except KeyError as exc:
            got.append(str(exc))

    t = threading.Thread(target=lambda: asyncio.run(consumer()))
    t.start()
    assert d.run_until(lambda: got, 5)
    t.join(10)
    ran: list[bool] = []
    d.call_soon(ran.append, True)
    assert d.run_until(lambda: ran, 5)
    assert got == ["'nope'"]
    assert rec.seen == []


def test_closing_is_not_reported_as_an_unread_error(recorded: tuple[Dispatcher, Recorder]) -> None:
    d, rec = recorded

    @d.main_thread
    def never() -> None:  # pragma: no cover - closed before it runs
        raise AssertionError

    in_worker(never)
    d.close()
    assert rec.seen == []
    assert d.stats().dropped == 1


def test_an_unread_report_after_close_goes_to_the_log(
    recorded: tuple[Dispatcher, Recorder], caplog: pytest.LogCaptureFixture
) -> None:
    d, rec = recorded

    @d.main_thread
    def fail() -> None:
        raise KeyError("late")

    worker = HoldingWorker(fail)
    assert d.run_until(worker.resolved.is_set, 5)
    d.close()
    with caplog.at_level("ERROR", logger="uidispatch"):
        worker.drop()
    assert rec.seen == []
    assert "its Future was never read" in caplog.text
    assert "KeyError: 'late'" in caplog.text
