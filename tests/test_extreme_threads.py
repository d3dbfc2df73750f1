"""Every background thread of the library survives every value the public API accepts.

A huge timeout killed the pool's timer thread with ``OverflowError`` (``Condition.wait``
past ``threading.TIMEOUT_MAX``): later retries stayed PENDING and every other task's
``timeout=`` stopped firing. These tests use the extreme values, then prove each thread
still does its job, and that no thread died with a traceback.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

import uidispatch as ud

HUGE_INT = 10**400


@pytest.fixture
def thread_deaths(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every exception that ended a thread during the test; the test fails on any."""
    deaths: list[str] = []

    def hook(args: Any) -> None:
        deaths.append(f"{args.thread.name if args.thread else '?'}: {args.exc_type.__name__}")

    monkeypatch.setattr(threading, "excepthook", hook)
    yield deaths
    assert deaths == []


def _sleep_then(value: object, seconds: float = 0.2) -> object:
    time.sleep(seconds)
    return value


@pytest.mark.parametrize("huge", [HUGE_INT, 1e10, 1e300], ids=["10**400", "1e10", "1e300"])
def test_the_pool_timer_thread_survives_a_huge_timeout(
    virtual_dispatcher: ud.Dispatcher, thread_deaths: list[str], huge: Any
) -> None:
    pool = ud.Pool(max_workers=2, dispatcher=virtual_dispatcher)
    try:
        slow = pool.submit(_sleep_then, "late", 0.3, timeout=huge)
        time.sleep(0.05)  # the timer thread is waiting on the huge deadline now
        # The same thread must still time out another task.
        short = pool.submit(_sleep_then, "never", 30.0, timeout=0.05)
        with pytest.raises(ud.TaskTimeout):
            short.result(10)
        assert slow.result(10) == "late"
    finally:
        pool.shutdown(wait=False, cancel_pending=True)


def test_retries_with_a_huge_backoff_wait_and_other_timers_still_fire(
    virtual_dispatcher: ud.Dispatcher, thread_deaths: list[str]
) -> None:
    def fail() -> None:
        raise OSError("down")

    pool = ud.Pool(max_workers=2, dispatcher=virtual_dispatcher)
    try:
        waiting = pool.submit(fail, retries=3, backoff=HUGE_INT)
        deadline = time.monotonic() + 10
        while pool.stats().retried == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert pool.stats().retried == 1
        assert not waiting.done()
        with pytest.raises(ud.TaskTimeout):
            pool.submit(_sleep_then, None, 30.0, timeout=0.05).result(10)
        waiting.cancel()
    finally:
        pool.shutdown(wait=False, cancel_pending=True)


def test_pool_workers_survive_a_huge_idle_timeout(
    virtual_dispatcher: ud.Dispatcher, thread_deaths: list[str]
) -> None:
    pool = ud.Pool(max_workers=2, dispatcher=virtual_dispatcher, idle_timeout=HUGE_INT)
    try:
        assert pool.submit(_sleep_then, 1, 0.0).result(10) == 1
        time.sleep(0.1)  # the worker now idles on the huge timeout
        assert pool.submit(_sleep_then, 2, 0.0).result(10) == 2
    finally:
        pool.shutdown(wait=True)


def test_a_worker_calling_with_a_huge_timeout_gets_its_result(
    virtual_dispatcher: ud.Dispatcher, thread_deaths: list[str]
) -> None:
    d = virtual_dispatcher
    out: list[object] = []
    calls = 0

    def on_main() -> str:
        nonlocal calls
        calls += 1
        return "ran"

    def worker() -> None:
        try:
            out.append(d.call(on_main, timeout=1e10))
            out.append(d.call(on_main, timeout=HUGE_INT))
        except BaseException as exc:  # pragma: no cover - the failure being tested
            out.append(exc)

    t = threading.Thread(target=worker)
    t.start()
    assert d.run_until(lambda: len(out) == 2, 10)
    t.join(10)
    assert out == ["ran", "ran"]
    assert calls == 2


def test_main_thread_wait_with_a_huge_timeout_returns_from_a_worker(
    virtual_dispatcher: ud.Dispatcher, thread_deaths: list[str]
) -> None:
    d = virtual_dispatcher
    add = d.main_thread(lambda a, b: a + b, wait=True, timeout=HUGE_INT)
    out: list[object] = []
    t = threading.Thread(target=lambda: out.append(add(2, 3)))
    t.start()
    assert d.run_until(lambda: out, 10)
    t.join(10)
    assert out == [5]


def test_the_stall_watchdog_survives_a_huge_threshold(
    virtual_dispatcher: ud.Dispatcher, thread_deaths: list[str]
) -> None:
    d = virtual_dispatcher
    before = set(threading.enumerate())
    watch = d.watch_stalls(3e10)
    time.sleep(0.2)  # its thread is waiting on the huge threshold now
    started = [t for t in threading.enumerate() if t not in before]
    assert started
    assert all(t.is_alive() for t in started)
    watch.stop()
    for t in started:
        t.join(10)
        assert not t.is_alive()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("huge", [1e300, HUGE_INT], ids=["1e300", "10**400"])
def test_the_subprocess_reader_survives_a_huge_kill_after(
    virtual_dispatcher: ud.Dispatcher, thread_deaths: list[str], huge: Any
) -> None:
    pool = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher)
    try:
        task = ud.run_command(
            [sys.executable, "-c", "import time; time.sleep(60)"], pool=pool, kill_after=huge
        )
        deadline = time.monotonic() + 10
        while task.state is not ud.TaskState.RUNNING and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)  # the command runs; cancelling now SIGTERMs it, then waits "never"
        task.cancel()
        # The reader loop, not killed by select(1e10), sees the command end on SIGTERM and
        # frees the pool's only worker, which then runs the next task.
        assert pool.submit(_sleep_then, "next", 0.0).result(10) == "next"
    finally:
        pool.shutdown(wait=False, cancel_pending=True)


def test_waiting_on_a_task_with_a_huge_timeout_returns_its_result(
    virtual_dispatcher: ud.Dispatcher, thread_deaths: list[str]
) -> None:
    pool = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher)
    try:
        task = pool.submit(_sleep_then, "done", 0.05)
        assert task.exception(timeout=1e10) is None
        assert task.result(timeout=HUGE_INT) == "done"  # not OverflowError
    finally:
        pool.shutdown(wait=True)
