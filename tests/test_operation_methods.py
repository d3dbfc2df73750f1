"""Operations on methods: each instance its own operation, holding the instance weakly."""

from __future__ import annotations

import gc
import inspect
import threading
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

import uidispatch as ud

WAIT = 5.0


@pytest.fixture
def pool(virtual_dispatcher: ud.Dispatcher) -> Iterator[ud.Pool]:
    p = ud.Pool(max_workers=4, dispatcher=virtual_dispatcher)
    yield p
    p.shutdown(wait=True, cancel_pending=True, cancel_running=True, timeout=WAIT)


def pump(d: ud.Dispatcher) -> None:
    d.run_until(lambda: False, 0.05)  # callbacks, and the release of what workers held


def make_window(pool: ud.Pool) -> type[Any]:
    class Window:
        def __init__(self) -> None:
            self.gate = threading.Event()
            self.started = threading.Event()

        @pool.operation(if_running="restart")
        def load(self, path: str) -> str:
            self.started.set()
            while not self.gate.wait(0.01):
                ud.check_cancelled()
            return path

    return Window


def test_each_instance_has_its_own_scope_busy_state_and_latest_task(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    window_cls = make_window(pool)
    a, b = window_cls(), window_cls()
    assert a.load is a.load
    assert a.load is not b.load
    first = a.load.submit("a1")
    other = b.load.submit("b1")
    assert a.started.wait(WAIT)
    second = a.load.submit("a2")  # restarts a's load only
    assert first.cancelled()
    assert not other.done()
    assert (a.load.count, b.load.count) == (2, 1)
    assert a.load.last is second
    assert b.load.last is other
    assert a.load.busy
    a.gate.set()
    assert second.result(WAIT) == "a2"
    assert virtual_dispatcher.run_until(lambda: not a.load.busy, WAIT)
    assert b.load.busy
    b.gate.set()
    assert other.result(WAIT) == "b1"
    assert a.load.last_succeeded is second
    assert window_cls.load.count == 0  # the class's own operation was never submitted
    assert a.load.stats.submitted == 3  # one name: the instances share the stats row


def test_a_call_through_the_class_is_still_per_instance(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    window_cls = make_window(pool)
    window = window_cls()
    window.gate.set()
    task = window_cls.load.submit(window, "p")
    assert task.result(WAIT) == "p"
    assert window.load.last is task
    assert window_cls.load.count == 0
    assert window_cls.load(window, "plain") == "plain"  # a plain call of the function


def test_the_instance_is_held_weakly_and_its_operation_goes_with_it(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    window_cls = make_window(pool)
    window = window_cls()
    window.gate.set()
    seen: list[bool] = []
    window.load.on_busy(seen.append)
    assert window.load.submit("p").result(WAIT) == "p"
    pump(virtual_dispatcher)
    kept = window.load  # a kept bound operation (a signal connection) does not keep it
    ref = weakref.ref(window)
    del window
    gc.collect()
    assert ref() is None
    assert kept.__self__ is None
    assert len(window_cls.load._instances) == 0
    with pytest.raises(ReferenceError, match=r"load: its instance was collected"):
        kept.submit("again")


def test_the_bound_operation_reads_as_the_method(pool: ud.Pool) -> None:
    window_cls = make_window(pool)
    window = window_cls()
    assert list(inspect.signature(window.load).parameters) == ["path"]
    assert list(inspect.signature(window_cls.load).parameters) == ["self", "path"]
    assert window.load.__name__ == "load"
    assert window.load.__wrapped__ is window_cls.load.__wrapped__
    assert "bound operation" in repr(window.load)
    assert "restart" in repr(window_cls.load)


def test_an_instance_without_weak_references_is_refused(pool: ud.Pool) -> None:
    class Slotted:
        __slots__ = ()

        @pool.operation()
        def run(self) -> None:
            pass

    with pytest.raises(TypeError, match=r"instances that support weak references; Slotted"):
        Slotted().run.submit()


class Root:
    """Stands in for a Tk root: what must never ride on a cycle (see test_no_cycles.py)."""


def test_no_cycle_keeps_an_instance_once_its_tasks_settled(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    class Panel:
        def __init__(self) -> None:
            self.root = Root()

        @pool.operation(key=lambda n: n)
        def refresh(self, n: int) -> int:
            return n

    def scenario() -> weakref.ref[Root]:
        panel = Panel()
        seen: list[int] = []
        panel.refresh.on_busy(lambda busy: None, owner=panel.root)
        task = panel.refresh.submit(1, on_done=seen.append, owner=panel.root)
        assert task.result(WAIT) == 1
        assert virtual_dispatcher.run_until(lambda: seen == [1], WAIT)
        pump(virtual_dispatcher)
        return weakref.ref(panel.root)

    gc.collect()
    gc.disable()
    try:
        ref = scenario()
        assert ref() is None  # freed by reference counting alone
    finally:
        gc.enable()
