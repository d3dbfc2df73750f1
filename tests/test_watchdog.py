"""The stall watchdog: a blocked main thread is reported once, with its stack and duration."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import uidispatch as ud
from uidispatch._addons._watchdog import StallInfo, StallWatch, watch_stalls
from uidispatch._core import _release


def block_the_main_thread_deliberately(until: Callable[[], bool]) -> None:
    # The stall under test: the main thread is busy, and stays busy until the watch has
    # seen it (a condition, not a guess at how long a loaded machine takes to notice).
    deadline = time.monotonic() + 5
    while not until() and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(0.03)  # and a little longer: the end report's duration exceeds the start's


@pytest.fixture(params=["virtual", "asyncio"])
def dispatcher(request: pytest.FixtureRequest) -> Iterator[ud.Dispatcher]:
    if request.param == "asyncio":
        loop = asyncio.new_event_loop()
        d = ud.get_dispatcher("asyncio", app=loop)
        yield d
        d.close()
        loop.close()
    else:
        d = ud.get_dispatcher("virtual")
        yield d
        d.close()


class Reports:
    """Collects stall reports from the monitor thread."""

    def __init__(self) -> None:
        self.infos: list[StallInfo] = []
        self.lock = threading.Lock()

    def __call__(self, info: StallInfo) -> None:
        with self.lock:
            self.infos.append(info)

    def snapshot(self) -> list[StallInfo]:
        with self.lock:
            return list(self.infos)


def test_a_half_second_block_is_reported_once_with_stack_and_total_duration(
    dispatcher: ud.Dispatcher,
) -> None:
    reports = Reports()
    watch = dispatcher.watch_stalls(threshold=0.2, on_stall=reports, interval=0.05)
    try:
        assert isinstance(watch, StallWatch)
        assert dispatcher.run_until(lambda: watch.beats >= 2, 5), "heartbeats never answered"
        dispatcher.call_soon(block_the_main_thread_deliberately, lambda: watch.stalled)
        assert dispatcher.run_until(lambda: len(reports.snapshot()) >= 2, 10)
        beats_after = watch.beats
        # Keep the loop answering for a few more beats: nothing else may be reported.
        assert dispatcher.run_until(lambda: watch.beats >= beats_after + 3, 5)
    finally:
        watch.stop()
    start, end = reports.snapshot()
    assert (start.number, start.ended) == (1, False)
    assert (end.number, end.ended) == (1, True)
    # Reported once the beat was a threshold late; ended when the block let it through.
    assert 0.2 <= start.duration < end.duration < 10
    assert "block_the_main_thread_deliberately" in start.stack
    assert "block_the_main_thread_deliberately" in start.location
    assert start.thread_id == threading.get_ident()
    assert start.backend == dispatcher.backend.name
    assert end.stack == start.stack
    assert watch.stalls == 1
    assert watch.last == end
    assert not watch.stalled
    assert not watch.running


def test_without_a_callback_the_stall_is_logged_as_warnings(
    virtual_dispatcher: ud.Dispatcher, caplog: pytest.LogCaptureFixture
) -> None:
    d = virtual_dispatcher
    caplog.set_level(logging.WARNING, logger="uidispatch")
    with d.watch_stalls(threshold=0.2, interval=0.05) as watch:
        assert d.run_until(lambda: watch.beats >= 1, 5)
        d.call_soon(block_the_main_thread_deliberately, lambda: watch.stalled)
        assert d.run_until(lambda: watch.stalls == 1 and not watch.stalled, 10)
        assert d.run_until(lambda: watch.last is not None and watch.last.ended, 5)
    messages = [r.getMessage() for r in caplog.records if r.name == "uidispatch"]
    assert len(messages) == 2, messages
    assert "UI stall #1: the virtual main thread has not answered" in messages[0]
    assert "block_the_main_thread_deliberately" in messages[0]
    assert "main thread stack:" in messages[0]
    assert "UI stall #1 ended after" in messages[1]
    assert all(r.levelno == logging.WARNING for r in caplog.records if r.name == "uidispatch")


def test_an_idle_loop_costs_one_post_per_interval_and_reports_nothing(
    virtual_dispatcher: ud.Dispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = virtual_dispatcher
    reports = Reports()
    backend = d.backend
    posted: list[object] = []
    post = backend.post

    def counting(fn: Any) -> None:
        # Not the main thread's release of what library threads handed over (a watch of an
        # earlier test ending now asks for one): that is no cost of this watch's idling.
        if fn is not _release.release_parked:
            posted.append(fn)
        post(fn)

    monkeypatch.setattr(backend, "post", counting)
    # A threshold far above the interval: a loaded machine that answers late is no stall.
    watch = d.watch_stalls(threshold=2.0, on_stall=reports, interval=0.02)
    t0 = time.monotonic()
    assert d.run_until(lambda: watch.beats >= 10, 5)
    elapsed = time.monotonic() - t0
    watch.stop()
    posts = len(posted)
    assert reports.snapshot() == []
    # Every wake-up the watch caused is a heartbeat: no drains, no timers, no polling.
    assert watch.beats <= posts <= watch.beats + 1
    assert d.stats().drains == 0
    # Paced by the interval, not flat out.
    assert watch.beats <= elapsed / 0.02 + 2


def test_stop_ends_the_monitor_thread_and_is_idempotent(virtual_dispatcher: ud.Dispatcher) -> None:
    watch = virtual_dispatcher.watch_stalls(0.2)
    assert watch.running
    watch.stop()
    assert not watch.running
    watch.stop()
    assert "stopped" in repr(watch)


def test_closing_the_dispatcher_stops_the_watch_without_a_report() -> None:
    d = ud.get_dispatcher("virtual")
    reports = Reports()
    # The close comes long before the threshold, however loaded the machine.
    watch = d.watch_stalls(threshold=2.0, on_stall=reports, interval=0.02)
    d.close()  # nobody pumps the loop any more: posts are dropped, not a stall
    watch._thread.join(5)
    assert not watch.running
    assert reports.snapshot() == []


def test_closing_mid_stall_stops_the_watch_without_an_end_report() -> None:
    d = ud.get_dispatcher("virtual")
    reports = Reports()
    # Nobody pumps this loop, so the very first heartbeat is a stall.
    watch = d.watch_stalls(threshold=0.05, on_stall=reports, interval=0.02)
    deadline = time.monotonic() + 5
    while not watch.stalled and time.monotonic() < deadline:
        threading.Event().wait(0.01)
    assert watch.stalled
    d.close()
    watch._thread.join(5)
    assert not watch.running
    (start,) = reports.snapshot()
    assert not start.ended
    assert start.duration >= 0.05


def test_a_callback_that_raises_is_logged_and_the_watch_keeps_going(
    virtual_dispatcher: ud.Dispatcher, caplog: pytest.LogCaptureFixture
) -> None:
    d = virtual_dispatcher
    calls: list[StallInfo] = []

    def broken(info: StallInfo) -> None:
        calls.append(info)
        raise RuntimeError("callback bug")

    with d.watch_stalls(threshold=0.2, on_stall=broken, interval=0.05) as watch:
        assert d.run_until(lambda: watch.beats >= 1, 5)
        d.call_soon(block_the_main_thread_deliberately, lambda: len(calls) == 1)
        assert d.run_until(lambda: len(calls) == 2, 10)
        beats = watch.beats
        assert d.run_until(lambda: watch.beats > beats, 5)
        assert watch.running
    logged = [r for r in caplog.records if "stall watch callback" in r.getMessage()]
    assert len(logged) == 2
    assert all(r.exc_info is not None and "callback bug" in str(r.exc_info[1]) for r in logged)
    assert [c.ended for c in calls] == [False, True]


def test_stop_from_inside_the_callback_does_not_deadlock(virtual_dispatcher: ud.Dispatcher) -> None:
    d = virtual_dispatcher
    holder: list[StallWatch] = []
    ready = threading.Event()

    def stop_on_first(info: StallInfo) -> None:
        assert ready.wait(5)
        holder[0].stop()

    holder.append(d.watch_stalls(threshold=0.05, on_stall=stop_on_first, interval=0.02))
    ready.set()
    # The loop is not pumped, so the first heartbeat stalls and the callback stops the watch.
    holder[0]._thread.join(5)
    assert not holder[0].running
    assert holder[0].stalls == 1


def test_stall_info_reads_as_a_sentence() -> None:
    info = StallInfo(1, False, 0.25, 0.2, "tk", "stack", "app.py:3 in load", 7)
    assert str(info) == (
        "UI stall #1: the tk main thread has not answered for 0.250 s (threshold 0.2 s) "
        "at app.py:3 in load"
    )
    ended = StallInfo(1, True, 0.5, 0.2, "tk", "", "", None)
    assert str(ended) == "UI stall #1 ended after 0.500 s"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"threshold": 0}, ValueError, r"threshold must be a finite number of seconds > 0, got 0"),
        ({"threshold": -1.0}, ValueError, r"threshold .* got -1.0"),
        ({"threshold": float("inf")}, ValueError, r"threshold .* got inf"),
        ({"threshold": "0.2"}, TypeError, r"threshold must be a number of seconds, got '0.2'"),
        ({"threshold": True}, TypeError, r"threshold must be a number of seconds, got True"),
        ({"interval": 0.0}, ValueError, r"interval must be a finite number of seconds > 0"),
        ({"on_stall": 42}, TypeError, r"on_stall must be callable or None, got 42"),
    ],
)
def test_bad_arguments_raise_at_the_call_site(
    virtual_dispatcher: ud.Dispatcher, kwargs: dict[str, object], error: type, match: str
) -> None:
    options: dict[str, object] = {"threshold": 0.2, "on_stall": None, "interval": None, **kwargs}
    with pytest.raises(error, match=match):
        watch_stalls(virtual_dispatcher, **options)  # type: ignore[arg-type]


def test_watching_a_closed_dispatcher_raises() -> None:
    d = ud.get_dispatcher("virtual")
    d.close()
    with pytest.raises(ud.DispatcherClosed, match="watch_stalls"):
        d.watch_stalls()


def test_default_interval_is_half_the_threshold(virtual_dispatcher: ud.Dispatcher) -> None:
    with virtual_dispatcher.watch_stalls(0.4) as watch:
        assert watch.interval == pytest.approx(0.2)
        assert watch.threshold == pytest.approx(0.4)
