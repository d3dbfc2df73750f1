"""What a callback, a task or a decorated function holds is freed by reference counting.

With the collector off, a stand-in for an app's window (``Root``) referenced by the user's
code must be gone as soon as the user's references are: no cycle made by uidispatch (a
frame naming a future, a task naming its job, a limiter and its gate) may keep it. On Tk
the collector freeing such a root on a worker thread aborts the process; the Tk plugin's
``test_no_cycle_holds_a_root.py`` runs the same scenarios on the real toolkit.
"""

from __future__ import annotations

import contextlib
import gc
import threading
import weakref
from collections.abc import Callable, Iterator

import pytest

import uidispatch as ud
from uidispatch._backends._virtual import VirtualBackend


class Root:
    """Stands in for a Tk root: what must never ride on a cycle."""


@pytest.fixture
def no_collector() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _in_thread(fn: Callable[[], object]) -> None:
    thread = threading.Thread(target=fn)
    thread.start()
    thread.join(30)
    assert not thread.is_alive()


def _freed(make: Callable[[], weakref.ref[Root]]) -> bool:
    ref = make()  # every local of the scenario is gone when it returns
    return ref() is None


def test_a_waiter_released_by_close_keeps_nothing(no_collector: None) -> None:
    def scenario() -> weakref.ref[Root]:
        root = Root()
        d = ud.Dispatcher(VirtualBackend())
        out: list[object] = []

        def waiter() -> None:
            try:
                d.call(lambda: root)
            except ud.DispatcherClosed:
                out.append("closed")

        thread = threading.Thread(target=waiter)
        thread.start()
        while d.stats().pending == 0:
            thread.join(0.001)
        d.close()
        thread.join(30)
        assert out == ["closed"]
        return weakref.ref(root)

    assert _freed(scenario)


def test_a_callbacks_exception_re_raised_in_the_waiter_keeps_nothing(no_collector: None) -> None:
    def scenario() -> weakref.ref[Root]:
        root = Root()
        d = ud.Dispatcher(VirtualBackend())
        out: list[object] = []

        def fails() -> None:
            raise ValueError(root)

        def waiter() -> None:
            try:
                d.call(fails)
            except ValueError:
                out.append("raised")

        thread = threading.Thread(target=waiter)
        thread.start()
        assert d.run_until(lambda: out, 30)
        thread.join(30)
        d.close()
        return weakref.ref(root)

    assert _freed(scenario)


def test_a_failed_task_read_from_a_worker_keeps_nothing(no_collector: None) -> None:
    def scenario() -> weakref.ref[Root]:
        root = Root()
        d = ud.Dispatcher(VirtualBackend())
        pool = ud.Pool(max_workers=2, dispatcher=d)
        seen: list[object] = []

        def work() -> None:
            ud.report_progress(1)
            raise ValueError(root)

        tasks = [pool.submit(work, on_error=seen.append, on_progress=lambda v, m: None)]

        def read() -> None:
            with pytest.raises(ValueError, match="Root"):
                tasks.pop().result(30)

        _in_thread(read)
        assert d.run_until(lambda: seen, 30)
        seen.clear()
        pool.shutdown(wait=True)
        d.close()
        return weakref.ref(root)

    assert _freed(scenario)


def test_decorated_functions_with_calls_pending_at_close_keep_nothing(
    no_collector: None,
) -> None:
    def scenario() -> weakref.ref[Root]:
        root = Root()
        d = ud.Dispatcher(VirtualBackend())

        @ud.throttle(0.1, dispatcher=d)
        def throttled(x: object) -> None:
            assert root

        @ud.debounce(0.1, dispatcher=d)
        def debounced(x: object) -> None:
            assert root

        @ud.main_thread(wait=True, dispatcher=d)
        def now() -> None:
            raise KeyError(root)

        def worker() -> None:
            with contextlib.suppress(KeyError):
                now()

        thread = threading.Thread(target=worker)
        thread.start()
        assert d.run_until(lambda: not thread.is_alive(), 30)
        for i in range(3):
            throttled(i)
            debounced(root)
        assert throttled.pending
        assert debounced.pending
        d.close()
        return weakref.ref(root)

    assert _freed(scenario)
