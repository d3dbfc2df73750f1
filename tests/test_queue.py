"""The main-thread queue: lanes, wake coalescing, budgets, keys, owners, errors, backpressure."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

import uidispatch as ud
from uidispatch.testing import wait_until

Dispatcher = ud.Dispatcher


def join_all(threads: list[threading.Thread], timeout: float = 10.0) -> None:
    for t in threads:
        t.join(timeout)
        assert not t.is_alive(), f"{t.name} did not finish"


def test_call_soon_runs_on_the_main_thread(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    seen: list[int] = []
    worker = threading.Thread(
        target=lambda: d.call_soon(lambda: seen.append(threading.get_ident()))
    )
    worker.start()
    join_all([worker])
    wait_until(d, lambda: seen)
    assert seen == [threading.get_ident()]


def test_four_producers_run_exactly_once_in_per_producer_order(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    out: list[tuple[int, int]] = []
    n = 25_000

    def produce(i: int) -> None:
        for j in range(n):
            d.call_soon(out.append, (i, j))

    threads = [threading.Thread(target=produce, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    # Drain while they post, as a running loop does: with nobody draining, contending
    # producers step aside (pacing) and a 100,000-call flood took up to 13 s.
    wait_until(d, lambda: len(out) >= 4 * n, timeout=60, what="the producers' calls to run")
    join_all(threads)
    assert len(out) == 4 * n
    for i in range(4):
        assert [j for k, j in out if k == i] == list(range(n))
    s = d.stats()
    assert (s.posted, s.executed, s.pending, s.dropped) == (4 * n, 4 * n, 0, 0)


def test_wake_coalescing_posts_once_per_batch(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    backend: Any = d.backend
    out: list[int] = []
    for i in range(10_000):
        d.call_soon(out.append, i)
    assert backend.posts == 1
    wait_until(d, lambda: len(out) == 10_000)
    assert out == list(range(10_000))


def test_an_idle_dispatcher_never_wakes_the_loop(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    backend: Any = d.backend
    d.call_soon(lambda: None)
    wait_until(d, lambda: d.stats().executed == 1)
    posts = backend.posts
    backend.process_events(0.05)
    backend.advance(3600)
    assert backend.posts == posts
    assert d.stats().drains == 1


def test_highest_lane_first_and_fifo_within_a_lane(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    out: list[str] = []
    for p in (ud.Priority.IDLE, ud.Priority.LOW, ud.Priority.NORMAL, ud.Priority.HIGH):
        d.call_soon(out.append, f"{p.name}-1", priority=p)
        d.call_soon(out.append, f"{p.name}-2", priority=p)
    d.call_soon(out.append, "CRITICAL-1", priority=ud.Priority.CRITICAL)
    wait_until(d, lambda: len(out) == 9)
    assert out == [
        "CRITICAL-1",
        "HIGH-1",
        "HIGH-2",
        "NORMAL-1",
        "NORMAL-2",
        "LOW-1",
        "LOW-2",
        "IDLE-1",
        "IDLE-2",
    ]


def test_critical_posted_mid_drain_runs_next(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    out: list[str] = []

    def first() -> None:
        out.append("first")
        d.call_soon(out.append, "critical", priority=ud.Priority.CRITICAL)

    d.call_soon(first)
    for i in range(3):
        d.call_soon(out.append, f"normal{i}")
    wait_until(d, lambda: len(out) == 5)
    assert out == ["first", "critical", "normal0", "normal1", "normal2"]


def test_every_way_of_posting_higher_mid_drain_runs_next(virtual_dispatcher: Dispatcher) -> None:
    # The drain of a lane notices a higher entry after each callback, whichever posting
    # path queued it: plain, keyed, owned, and a NORMAL post while LOW entries drain.
    d = virtual_dispatcher
    out: list[str] = []
    owner = threading.Event()  # any weakly referenceable object

    def first() -> None:
        out.append("first")
        d.call_soon(out.append, "critical-key", priority=ud.Priority.CRITICAL, key="k")
        d.call_soon(out.append, "high-owner", priority=ud.Priority.HIGH, owner=owner)

    def low() -> None:
        out.append("low")
        d.call_soon(out.append, "normal")

    d.call_soon(first)
    d.call_soon(out.append, "normal0")
    d.call_soon(low, priority=ud.Priority.LOW)
    d.call_soon(out.append, "low1", priority=ud.Priority.LOW)
    wait_until(d, lambda: len(out) == 7)
    assert out == ["first", "critical-key", "high-owner", "normal0", "low", "normal", "low1"]


def test_a_higher_post_from_a_worker_preempts_the_rest_of_a_lane(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    out: list[str] = []
    posted = threading.Event()

    def first() -> None:
        out.append("first")
        worker = threading.Thread(
            target=lambda: (
                d.call_soon(out.append, "critical", priority=ud.Priority.CRITICAL),
                posted.set(),
            )
        )
        worker.start()
        assert posted.wait(10)
        worker.join(10)

    d.call_soon(first)
    for i in range(3):
        d.call_soon(out.append, f"normal{i}")
    wait_until(d, lambda: len(out) == 5)
    assert out == ["first", "critical", "normal0", "normal1", "normal2"]


def busy(seconds: float) -> Callable[[], None]:
    def spin() -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            pass

    return spin


def test_budget_splits_a_long_queue_across_drains(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    backend: Any = d.backend
    d.configure(budget=0.010)
    ran: list[int] = []
    for i in range(9):
        d.call_soon(busy(0.004))
        d.call_soon(ran.append, i)
    # One loop turn = one drain: it stops after the callback that crossed the budget.
    backend.run_ready()
    assert d.stats().executed <= 6  # 3 x 4 ms crosses 10 ms: at most one callback over
    assert d.stats().pending > 0
    wait_until(d, lambda: len(ran) == 9)
    assert d.stats().drains >= 3


def test_budget_is_real_time_and_overruns_by_at_most_one_callback(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    backend: Any = d.backend
    d.configure(budget=0.005)
    for _ in range(5):
        d.call_soon(busy(0.020))
    backend.run_ready()
    assert d.stats().executed == 1


def test_coalescing_key_latest_wins_and_keeps_position(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    out: list[object] = []
    d.call_soon(out.append, "a")
    d.call_soon(out.append, "progress 1", key="progress")
    d.call_soon(out.append, "b")
    d.call_soon(out.append, "progress 2", key="progress")
    d.call_soon(out.append, "progress 3", key="progress")
    wait_until(d, lambda: len(out) == 3)
    assert out == ["a", "progress 3", "b"]
    s = d.stats()
    assert (s.posted, s.executed, s.coalesced) == (5, 3, 2)
    d.call_soon(out.append, "progress 4", key="progress")  # the key is free again
    wait_until(d, lambda: len(out) == 4)
    assert out[-1] == "progress 4"


def test_coalescing_from_many_threads_never_loses_the_final_value(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    last: dict[int, int] = {}

    def produce(i: int) -> None:
        for j in range(5_000):
            d.call_soon(last.__setitem__, i, j, key=("bar", i))

    threads = [threading.Thread(target=produce, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    wait_until(  # draining while they post, as a running loop does (see above)
        d,
        lambda: not any(t.is_alive() for t in threads) and d.stats().pending == 0,
        timeout=60,
        what="the producers to finish",
    )
    join_all(threads)
    wait_until(d, lambda: d.stats().pending == 0 and all(last.get(i) == 4_999 for i in range(4)))
    s = d.stats()
    assert s.executed + s.coalesced == s.posted == 20_000


def _paused_replacement(
    d: Dispatcher, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[object], threading.Thread, threading.Event]:
    """Post "first" with a key, then start a worker replacing it with "second", stopped
    just before it stores its call: ``(out, worker, proceed)``."""
    from uidispatch._core._queue import MainQueue

    if ud.compiled:
        pytest.skip("the compiled queue calls _replace directly: it cannot be paused")
    original = MainQueue._replace
    entered, proceed = threading.Event(), threading.Event()

    def paused(self: Any, entry: list[Any], call: tuple[Any, ...], lane: Any) -> None:
        entered.set()
        assert proceed.wait(10)
        original(self, entry, call, lane)

    monkeypatch.setattr(MainQueue, "_replace", paused)
    out: list[object] = []
    d.call_soon(out.append, "first", key="k")
    worker = threading.Thread(target=d.call_soon, args=(out.append, "second"), kwargs={"key": "k"})
    worker.start()
    assert entered.wait(10)
    return out, worker, proceed


def test_a_replacement_racing_the_drain_that_took_the_first_call_runs_after_it(
    virtual_dispatcher: Dispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The replacer found the entry pending; the drain then took the call the entry was
    # made with (stored flat, not as a tuple). The replacement is a new call: it runs too.
    d = virtual_dispatcher
    out, worker, proceed = _paused_replacement(d, monkeypatch)
    wait_until(d, lambda: out == ["first"])
    proceed.set()
    worker.join(10)
    wait_until(d, lambda: out == ["first", "second"])
    s = d.stats()
    assert (s.posted, s.executed, s.coalesced, s.pending) == (2, 2, 0, 0)


def test_a_replacement_stored_before_the_drain_runs_instead_of_the_first_call(
    virtual_dispatcher: Dispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = virtual_dispatcher
    out, worker, proceed = _paused_replacement(d, monkeypatch)
    proceed.set()
    worker.join(10)
    wait_until(d, lambda: d.stats().pending == 0)
    assert out == ["second"]  # latest wins, in the first call's place
    s = d.stats()
    assert (s.posted, s.executed, s.coalesced) == (2, 1, 1)


def test_a_replacement_racing_close_is_counted_not_lost(
    virtual_dispatcher: Dispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = virtual_dispatcher
    out, worker, proceed = _paused_replacement(d, monkeypatch)
    d.close()  # drops the entry with the call it was made with
    proceed.set()
    worker.join(10)
    assert out == []
    s = d.stats()
    assert s.posted == 2
    assert (s.dropped, s.coalesced, s.executed) == (2, 0, 0)  # the second re-posted, then dropped


class Widget:
    pass


def test_dead_owner_is_skipped_and_counted(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    out: list[str] = []
    w = Widget()
    d.call_soon(out.append, "dead", owner=w)
    keep = Widget()
    d.call_soon(out.append, "alive", owner=keep)
    del w
    gc.collect()
    wait_until(d, lambda: d.stats().pending == 0)
    assert out == ["alive"]
    assert d.stats().dropped == 1


def test_owner_not_alive_for_the_backend_is_skipped(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    backend: Any = d.backend
    out: list[str] = []
    w = Widget()
    d.call_soon(out.append, "x", owner=w)
    d.call_soon(out.append, "keyed", owner=w, key="k")
    backend.kill(w)
    wait_until(d, lambda: d.stats().pending == 0)
    assert out == []
    assert d.stats().dropped == 2


def test_owner_is_held_weakly(virtual_dispatcher: Dispatcher) -> None:
    import weakref

    d = virtual_dispatcher
    w = Widget()
    ref = weakref.ref(w)
    d.call_soon(lambda: None, owner=w)
    del w
    gc.collect()
    assert ref() is None


def test_callback_errors_go_to_the_handler_and_the_drain_goes_on(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    caught: list[tuple[BaseException, object]] = []
    d.error_handler = lambda exc, cb: caught.append((exc, cb))
    out: list[int] = []

    class Custom(BaseException):
        pass

    def boom() -> None:
        raise ValueError("boom")

    def base() -> None:
        raise Custom()

    d.call_soon(boom)
    d.call_soon(base)
    d.call_soon(out.append, 1)
    wait_until(d, lambda: out == [1])
    assert [type(e) for e, _ in caught] == [ValueError, Custom]
    assert caught[0][1] is boom
    assert d.stats().errors == 2


def test_default_error_handler_logs_the_traceback(
    virtual_dispatcher: Dispatcher, caplog: pytest.LogCaptureFixture
) -> None:
    from uidispatch._core._dispatcher import _log_error

    d = virtual_dispatcher
    d.error_handler = _log_error

    def boom() -> None:
        raise ValueError("logged boom")

    d.call_soon(boom)
    wait_until(d, lambda: d.stats().errors == 1)
    record = next(r for r in caplog.records if r.name == "uidispatch")
    assert record.exc_info is not None
    assert "logged boom" in str(record.exc_info[1])


def test_keyboard_interrupt_propagates_and_the_rest_still_runs(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    backend: Any = d.backend
    out: list[int] = []

    def interrupt() -> None:
        raise KeyboardInterrupt

    d.call_soon(interrupt)
    d.call_soon(out.append, 1)
    with pytest.raises(KeyboardInterrupt):
        backend.run_ready()
    wait_until(d, lambda: out == [1])


def test_callback_may_post_call_inline_and_close(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    out: list[object] = []

    def reenter() -> None:
        d.call_soon(out.append, "posted")
        out.append(d.call(lambda: "inline"))

    d.call_soon(reenter)
    wait_until(d, lambda: len(out) == 2)
    assert out == ["inline", "posted"]
    d.call_soon(d.close)
    d.call_soon(out.append, "never")
    wait_until(d, lambda: d.closed)
    assert "never" not in out
    assert d.stats().dropped == 1


def test_overflow_raise(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    d.configure(max_pending=3, overflow="raise")
    for _ in range(3):
        d.call_soon(lambda: None)
    with pytest.raises(ud.QueueFull, match="max_pending=3"):
        d.call_soon(lambda: None)
    assert isinstance(ud.QueueFull("x"), ud.UIDispatchError)


def test_overflow_drop_oldest_drops_from_the_lowest_lane(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    d.configure(max_pending=3, overflow="drop_oldest")
    out: list[str] = []
    d.call_soon(out.append, "low", priority=ud.Priority.LOW)
    d.call_soon(out.append, "n1")
    d.call_soon(out.append, "n2")
    d.call_soon(out.append, "n3")
    d.call_soon(out.append, "n4")
    wait_until(d, lambda: d.stats().pending == 0)
    assert out == ["n2", "n3", "n4"]
    assert d.stats().dropped == 2


def test_overflow_block_keeps_the_queue_under_the_bound(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    d.configure(max_pending=50, overflow="block")
    out: list[int] = []
    peak = 0

    def produce() -> None:
        for i in range(2_000):
            d.call_soon(out.append, i)

    def watch() -> None:
        nonlocal peak
        peak = max(peak, d.stats().pending)

    t = threading.Thread(target=produce)
    t.start()
    wait_until(d, lambda: (watch(), len(out) == 2_000)[1], timeout=20)
    join_all([t])
    assert out == list(range(2_000))
    assert d.stats().max_pending <= 50
    assert peak <= 50


def test_overflow_block_on_the_main_thread_drains_instead(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    d.configure(max_pending=2, overflow="block")
    out: list[int] = []
    for i in range(5):
        d.call_soon(out.append, i)
    assert out == [0, 1, 2, 3]  # each time the bound was hit, the main thread drained
    wait_until(d, lambda: len(out) == 5)


def test_blocked_producer_is_released_by_close(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    d.configure(max_pending=1, overflow="block")
    errors: list[BaseException] = []

    def produce() -> None:
        try:
            for _ in range(3):
                d.call_soon(lambda: None)
        except ud.DispatcherClosed as exc:
            errors.append(exc)

    t = threading.Thread(target=produce)
    t.start()
    deadline = time.monotonic() + 5
    while d._q._blocked == 0 and time.monotonic() < deadline:  # wait until it blocks
        time.sleep(0.001)
    assert d._q._blocked == 1
    d.close()
    join_all([t])
    assert len(errors) == 1
