"""``uidispatch.backendkit``: the shared parts of a backend, tested without any toolkit.

The toolkits that use them (pygame, Textual, GTK, Kivy) prove them again in their own
plugins' tests and conformance runs; here each part's promises are pinned one by one.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
from collections.abc import Callable

import pytest

from uidispatch.backendkit import (
    AppClosedCallbacks,
    AttachedTracker,
    PostQueue,
    RunningFlag,
    TimerHeap,
    detect_toolkit,
)
from uidispatch.hookspecs import Detection

# ------------------------------------------------------------------------ PostQueue


class FakeLoop:
    """A main loop reduced to a list of wake-ups; ``turn()`` runs the pending ones."""

    def __init__(self) -> None:
        self.wakes: list[Callable[[], object]] = []
        self.lock = threading.Lock()

    def wake_with(self, fn: Callable[[], object]) -> Callable[[], None]:
        def wake() -> None:
            with self.lock:
                self.wakes.append(fn)

        return wake

    def turn(self) -> int:
        with self.lock:
            wakes, self.wakes = self.wakes, []
        for fn in wakes:
            fn()
        return len(wakes)


def test_post_queue_wakes_once_per_batch_from_many_threads() -> None:
    loop = FakeLoop()
    holder: list[PostQueue] = []
    queue = PostQueue(loop.wake_with(lambda: holder[0].drain()))
    holder.append(queue)
    out: list[int] = []
    barrier = threading.Barrier(4)

    def produce(k: int) -> None:
        barrier.wait()
        for i in range(1000):
            queue.post(lambda k=k, i=i: out.append(k * 1000 + i))

    threads = [threading.Thread(target=produce, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert queue.wakeups == 1
    assert loop.turn() == 1
    assert sorted(out) == list(range(4000))
    for k in range(4):
        assert [x for x in out if x // 1000 == k] == list(range(k * 1000, k * 1000 + 1000))


def test_a_post_made_while_draining_waits_for_the_next_turn() -> None:
    loop = FakeLoop()
    holder: list[PostQueue] = []
    queue = PostQueue(loop.wake_with(lambda: holder[0].drain()))
    holder.append(queue)
    events: list[str] = []

    def first() -> None:
        events.append("first")
        queue.post(lambda: events.append("second"))

    queue.post(first)
    assert loop.turn() == 1
    assert events == ["first"]  # not run inside the same turn
    assert loop.turn() == 1
    assert events == ["first", "second"]
    assert loop.turn() == 0  # idle: no wake-up in flight


def test_a_raising_callback_stops_the_turn_and_the_rest_runs_next_turn() -> None:
    loop = FakeLoop()
    holder: list[PostQueue] = []
    queue = PostQueue(loop.wake_with(lambda: holder[0].drain()))
    holder.append(queue)
    out: list[int] = []

    def boom() -> None:
        raise ValueError("boom")

    queue.post(boom)
    queue.post(lambda: out.append(1))
    with pytest.raises(ValueError, match="boom"):
        loop.turn()
    assert out == []
    loop.turn()
    assert out == [1]


def test_after_close_posts_are_dropped_and_wake_is_never_called() -> None:
    wakes: list[int] = []
    queue = PostQueue(lambda: wakes.append(1))
    queue.post(lambda: None)
    queue.close()
    queue.close()
    queue.post(lambda: None)
    assert queue.closed
    assert len(queue) == 0
    assert wakes == [1]
    assert queue.drain() is False


def test_close_waits_for_a_wake_in_progress_so_none_reaches_a_released_toolkit() -> None:
    released = threading.Event()
    in_wake = threading.Event()
    late: list[str] = []

    def slow_wake() -> None:
        in_wake.set()
        time.sleep(0.05)  # the toolkit call takes a while
        if released.is_set():
            late.append("woke a released toolkit")

    queue = PostQueue(slow_wake)
    poster = threading.Thread(target=queue.post, args=(lambda: None,))
    poster.start()
    assert in_wake.wait(5)
    queue.close()  # returns only once the wake finished
    released.set()
    poster.join()
    for _ in range(100):
        queue.post(lambda: None)
    assert late == []


def test_a_raising_wake_leaves_the_function_queued_for_the_next_post() -> None:
    calls = [0]

    def wake() -> None:
        calls[0] += 1
        if calls[0] == 1:
            raise RuntimeError("toolkit not ready")

    queue = PostQueue(wake)
    with pytest.raises(RuntimeError, match="toolkit not ready"):
        queue.post(lambda: None)
    queue.post(lambda: None)  # no wake-up was in flight: this one wakes
    assert calls[0] == 2
    assert len(queue) == 2


# ------------------------------------------------------------------------ TimerHeap


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class OneToolkitTimer:
    """A toolkit with a single one-shot timer, which may fire early by ``early`` of its delay."""

    def __init__(self, clock: FakeClock, early: float = 0.0) -> None:
        self.clock = clock
        self.early = early
        self.armed: list[tuple[float, Callable[[], object]]] = []
        self.arms: list[float] = []

    def schedule(self, delay: float, cb: Callable[[], object]) -> OneToolkitTimer.Handle:
        assert not self.armed, "the heap armed a second toolkit timer"
        self.arms.append(delay)
        entry = (self.clock.now + delay * (1 - self.early), cb)
        self.armed.append(entry)
        return OneToolkitTimer.Handle(self, entry)

    class Handle:
        def __init__(self, owner: OneToolkitTimer, entry: tuple[float, Callable[[], object]]):
            self.owner, self.entry = owner, entry

        def cancel(self) -> None:
            if self.entry in self.owner.armed:
                self.owner.armed.remove(self.entry)

    def advance(self, seconds: float) -> None:
        end = self.clock.now + seconds
        while self.armed and self.armed[0][0] <= end:
            when, cb = self.armed.pop(0)
            self.clock.now = max(self.clock.now, when)
            cb()
        self.clock.now = end


def test_timers_fire_in_deadline_order_on_one_toolkit_timer() -> None:
    clock = FakeClock()
    toolkit = OneToolkitTimer(clock)
    heap = TimerHeap(toolkit.schedule, clock=clock)
    out: list[tuple[float, float]] = []
    start = clock.now
    for delay in (0.5, 0.1, 0.3, 0.0, 0.3):
        heap.call_later(delay, lambda d=delay: out.append((d, clock.now)))
    assert len(heap) == 5
    toolkit.advance(1.0)
    assert [d for d, _ in out] == [0.0, 0.1, 0.3, 0.3, 0.5]
    assert all(at >= start + d for d, at in out)
    assert len(heap) == 0
    assert toolkit.armed == []  # idle: nothing armed


def test_a_toolkit_timer_that_fires_early_never_fires_ours_early() -> None:
    clock = FakeClock()
    toolkit = OneToolkitTimer(clock, early=0.1)  # frame-paced timers fire a bit early
    heap = TimerHeap(toolkit.schedule, clock=clock, resolution=0.001)
    fired: list[float] = []
    start = clock.now
    heap.call_later(0.05, lambda: fired.append(clock.now))
    toolkit.advance(0.0499)
    assert fired == []  # woke early, re-armed for the rest
    toolkit.advance(0.1)
    assert len(fired) == 1
    assert fired[0] >= start + 0.05


def test_long_delays_are_armed_in_steps() -> None:
    clock = FakeClock()
    toolkit = OneToolkitTimer(clock)
    heap = TimerHeap(toolkit.schedule, clock=clock, max_step=10.0)
    fired: list[float] = []
    heap.call_later(25.0, lambda: fired.append(clock.now))
    assert toolkit.arms == [10.0]
    toolkit.advance(24.9)
    assert fired == []
    assert toolkit.arms == [10.0, 10.0, 5.0]
    toolkit.advance(0.2)
    assert fired == [pytest.approx(125.0)]


def test_cancel_releases_the_callback_and_an_earlier_timer_rearms() -> None:
    clock = FakeClock()
    toolkit = OneToolkitTimer(clock)
    heap = TimerHeap(toolkit.schedule, clock=clock)
    out: list[str] = []

    class Payload:
        pass

    payload = Payload()
    import weakref

    ref = weakref.ref(payload)
    late = heap.call_later(1.0, lambda p=payload: out.append(f"late {p}"))
    del payload
    heap.call_later(0.2, lambda: out.append("early"))
    assert toolkit.arms[-1] == pytest.approx(0.2)  # re-armed for the earlier deadline
    late.cancel()
    late.cancel()
    gc.collect()
    assert ref() is None  # the cancelled timer no longer holds its arguments
    toolkit.advance(2.0)
    assert out == ["early"]


def test_call_later_validates_its_delay_and_the_heap_its_options() -> None:
    heap = TimerHeap(
        lambda delay, cb: OneToolkitTimer.Handle(OneToolkitTimer(FakeClock()), (0, cb))
    )
    with pytest.raises(ValueError, match=r"delay must be a number of seconds >= 0, got -1"):
        heap.call_later(-1, lambda: None)
    with pytest.raises(ValueError, match=r"delay must be .* got nan"):
        heap.call_later(float("nan"), lambda: None)
    with pytest.raises(ValueError, match=r"max_step must be a positive number .* got 0"):
        TimerHeap(lambda d, c: None, max_step=0)  # type: ignore[arg-type,return-value]
    with pytest.raises(ValueError, match=r"resolution must be >= 0 seconds, got -0.1"):
        TimerHeap(lambda d, c: None, resolution=-0.1)  # type: ignore[arg-type,return-value]


def test_after_close_no_timer_fires_and_nothing_is_armed() -> None:
    clock = FakeClock()
    toolkit = OneToolkitTimer(clock)
    heap = TimerHeap(toolkit.schedule, clock=clock)
    out: list[str] = []
    heap.call_later(0.1, lambda: out.append("x"))
    heap.close()
    assert toolkit.armed == []
    handle = heap.call_later(0.1, lambda: out.append("y"))
    assert handle.cancelled
    toolkit.advance(1.0)
    assert heap.run_due() == 0
    assert out == []


# ------------------------------------------------------------ liveness and detection


class Node:
    def __init__(self) -> None:
        self.parent: Node | None = None


def test_attached_tracker_keeps_never_attached_objects_alive() -> None:
    tracker = AttachedTracker(lambda obj: isinstance(obj, Node) and obj.parent is not None)
    root, child = Node(), Node()
    assert tracker.is_alive(child)  # built, not added yet
    child.parent = root
    assert tracker.is_alive(child)
    child.parent = None
    assert not tracker.is_alive(child)  # removed after it was seen attached
    assert tracker.is_alive(42)  # not weakly referenceable, unknown: alive
    assert tracker.is_alive("text")


def test_running_flag_counts_nested_loops() -> None:
    flag = RunningFlag()
    assert not flag.is_set()
    with flag.running():
        assert flag.is_set()
        with flag.running():  # a modal dialog's nested loop
            pass
        assert flag.is_set()
    assert not flag.is_set()
    flag.exit()  # never below zero
    assert not flag.is_set()
    with pytest.raises(KeyError), flag.running():
        raise KeyError("the loop raised")
    assert not flag.is_set()


def test_detect_toolkit_never_imports_and_scores_in_order() -> None:
    assert detect_toolkit("no_such_toolkit_for_uidispatch") == Detection.NONE
    assert "json.tool" not in sys.modules
    assert detect_toolkit("json.tool") == Detection.INSTALLED
    assert "json.tool" not in sys.modules  # looked up, never imported
    assert detect_toolkit("threading") == Detection.IMPORTED
    assert detect_toolkit("threading", app=lambda: True) == Detection.APP
    assert detect_toolkit("threading", running=lambda: True, app=lambda: True) == Detection.RUNNING

    def broken() -> bool:
        raise RuntimeError("toolkit half torn down")

    assert detect_toolkit("threading", running=broken) == Detection.NONE


def test_app_closed_callbacks_run_once_and_late_ones_at_once() -> None:
    callbacks = AppClosedCallbacks()
    out: list[str] = []
    callbacks.add(lambda: out.append("a"))
    notifier = threading.Thread(target=callbacks.notify)
    notifier.start()
    notifier.join()
    callbacks.notify()
    assert callbacks.notified
    assert out == ["a"]
    callbacks.add(lambda: out.append("late"))
    assert out == ["a", "late"]
