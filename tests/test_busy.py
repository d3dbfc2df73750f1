"""Busy state: pool.busy() and pool.on_busy() for spinners, disabled buttons, labels."""

from __future__ import annotations

import gc
import itertools
import threading
import weakref
from collections.abc import Iterator

import pytest

import uidispatch as ud
from uidispatch._work import _busy as ud_busy

WAIT = 5.0


@pytest.fixture
def pool(virtual_dispatcher: ud.Dispatcher) -> Iterator[ud.Pool]:
    p = ud.Pool(max_workers=4, dispatcher=virtual_dispatcher)
    yield p
    p.shutdown(wait=True, cancel_pending=True)


class Widget:
    pass


def pump(d: ud.Dispatcher) -> None:
    d.run_until(lambda: False, 0.05)


def test_on_busy_reports_the_current_state_at_once_then_each_change(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    seen: list[bool] = []
    pool.on_busy(seen.append)
    assert seen == [False]  # inline: on_busy was called on the main thread
    gate = threading.Event()
    task = pool.submit(gate.wait, WAIT)
    assert pool.busy()
    pump(virtual_dispatcher)
    assert seen == [False, True]
    gate.set()
    task.result(WAIT)
    assert virtual_dispatcher.run_until(lambda: seen[-1] is False, WAIT)
    assert seen == [False, True, False]
    assert not pool.busy()


def test_busy_lasts_until_the_callbacks_have_run(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    order: list[str] = []
    pool.on_busy(lambda b: order.append(f"busy={b}"))
    task = pool.submit(lambda: 1, on_done=lambda _: order.append(f"on_done busy={pool.busy()}"))
    task.result(WAIT)
    assert pool.busy()  # resolved, but its on_done has not run yet
    assert virtual_dispatcher.run_until(lambda: len(order) == 4, WAIT)
    pump(virtual_dispatcher)
    assert order == ["busy=False", "busy=True", "on_done busy=True", "busy=False"]


def test_overlapping_tasks_never_report_the_same_value_twice(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    seen: list[bool] = []
    pool.on_busy(seen.append)
    gates = [threading.Event() for _ in range(3)]
    tasks = [pool.submit(g.wait, WAIT, on_done=lambda _: None) for g in gates]
    pump(virtual_dispatcher)
    for gate, task in zip(gates, tasks, strict=True):
        gate.set()
        task.result(WAIT)
        pump(virtual_dispatcher)
    assert virtual_dispatcher.run_until(lambda: not pool.busy(), WAIT)
    pump(virtual_dispatcher)
    assert seen == [False, True, False]
    assert all(a != b for a, b in itertools.pairwise(seen))


def test_on_busy_per_key_ignores_other_keys(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    save: list[bool] = []
    anything: list[bool] = []
    pool.on_busy(save.append, key="save")
    pool.on_busy(anything.append)
    gate = threading.Event()
    other = pool.submit(gate.wait, WAIT, key="load")
    pump(virtual_dispatcher)
    assert (save, anything) == ([False], [False, True])
    assert pool.busy("load")
    assert not pool.busy("save")
    saving = pool.submit(gate.wait, WAIT, key="save")
    pump(virtual_dispatcher)
    assert save == [False, True]
    gate.set()
    other.result(WAIT)
    saving.result(WAIT)
    assert virtual_dispatcher.run_until(lambda: not pool.busy(), WAIT)
    pump(virtual_dispatcher)
    assert save == [False, True, False]
    assert anything == [False, True, False]


def test_a_task_held_behind_its_key_counts_as_busy(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    gate = threading.Event()
    first = pool.submit(gate.wait, WAIT, key="k", if_running="enqueue")
    second = pool.submit(lambda: 2, key="k", if_running="enqueue")
    first.cancel()
    assert pool.busy("k")  # the second one is still to run
    gate.set()
    assert second.result(WAIT) == 2
    assert virtual_dispatcher.run_until(lambda: not pool.busy("k"), WAIT)


def test_cancel_stops_the_callbacks(pool: ud.Pool, virtual_dispatcher: ud.Dispatcher) -> None:
    seen: list[bool] = []
    handle = pool.on_busy(seen.append)
    assert handle.active
    handle.cancel()
    handle.cancel()  # idempotent
    assert not handle.active
    pool.submit(lambda: 1).result(WAIT)
    pump(virtual_dispatcher)
    assert seen == [False]


def test_the_watch_ends_with_its_owner(pool: ud.Pool, virtual_dispatcher: ud.Dispatcher) -> None:
    seen: list[bool] = []
    widget = Widget()
    handle = pool.on_busy(seen.append, owner=widget)
    del widget
    gc.collect()
    assert not handle.active
    pool.submit(lambda: 1).result(WAIT)
    pump(virtual_dispatcher)
    assert seen == [False]
    assert pool._busy._watchers == []


def test_on_busy_from_a_worker_thread_posts_the_first_report(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    seen: list[tuple[bool, bool]] = []
    t = threading.Thread(
        target=lambda: pool.on_busy(lambda b: seen.append((b, virtual_dispatcher.is_main_thread())))
    )
    t.start()
    t.join(WAIT)
    assert seen == []
    assert virtual_dispatcher.run_until(lambda: seen, WAIT)
    assert seen == [(False, True)]


def test_bad_on_busy_arguments_fail_at_the_call_site(pool: ud.Pool) -> None:
    with pytest.raises(TypeError, match=r"callback must be callable, got 3"):
        pool.on_busy(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"key must be hashable, got \[1\]"):
        pool.on_busy(print, key=[1])
    with pytest.raises(TypeError, match=r"owner must support weak references, got int 5"):
        pool.on_busy(print, owner=5)


class Spinner:
    def __init__(self) -> None:
        self.shown: list[bool] = []

    def set_visible(self, busy: bool) -> None:
        self.shown.append(busy)


def test_a_bound_method_watch_does_not_keep_its_widget_alive(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    spinner = Spinner()
    handle = pool.on_busy(spinner.set_visible)  # no owner given: the method's object
    assert spinner.shown == [False]
    ref = weakref.ref(spinner)
    del spinner
    gc.collect()
    assert ref() is None
    assert not handle.active
    assert pool._busy._watchers == []


@pytest.mark.parametrize("key", [None, "search"])
def test_the_apps_overflow_policy_never_drops_the_busy_bookkeeping(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher, key: str | None
) -> None:
    # A task finishes while the UI is busy, then the app floods its own bounded queue:
    # drop_oldest drops the app's calls, never the posts that settle the busy state.
    d = virtual_dispatcher
    d.configure(max_pending=50, overflow="drop_oldest")
    seen: list[bool] = []
    pool.on_busy(seen.append, key=key)
    pool.submit(lambda: 1, key=key, on_done=lambda _: None).result(WAIT)
    assert pool.busy(key)  # its callbacks and its settling wait for the main thread
    ran: list[int] = []
    for i in range(200):
        d.call_soon(ran.append, i)
    assert d.stats().dropped > 0  # the app's calls were dropped, as configured
    assert d.run_until(lambda: not pool.busy(key), WAIT)
    assert not pool.busy()
    assert seen[-1] is False


@pytest.mark.parametrize("key", [None, "sync"])
def test_a_submission_refused_by_an_open_breaker_leaves_the_busy_count_as_it_found_it(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher, key: str | None
) -> None:
    br = ud.CircuitBreaker(max_failures=1, reset_after=3600)

    def fail() -> None:
        raise OSError("down")

    with pytest.raises(OSError, match="down"):
        pool.submit(fail, breaker=br, key=key).result(WAIT)
    assert virtual_dispatcher.run_until(lambda: not pool.busy(), WAIT)
    gate = threading.Event()
    running = pool.submit(gate.wait, WAIT, key="other")  # busy for its own reasons
    refused = pool.submit(fail, breaker=br, key=key, on_error=lambda exc: None)
    with pytest.raises(ud.CircuitOpen):
        refused.result(WAIT)
    pump(virtual_dispatcher)  # the refused task's on_error and settling run
    assert pool.busy()
    assert pool.busy("other")
    if key is not None:
        assert not pool.busy(key)
    gate.set()
    running.result(WAIT)
    assert virtual_dispatcher.run_until(lambda: not pool.busy(), WAIT)
    assert not pool.busy("other")


# ---------------------------------------------------------- ud.on_busy: every pool


@pytest.fixture
def process_busy(monkeypatch: pytest.MonkeyPatch) -> ud_busy.BusyState:
    """A fresh process-wide busy state: pools other tests left behind do not count."""
    fresh = ud_busy.BusyState()
    monkeypatch.setattr(ud_busy, "PROCESS", fresh)
    return fresh


def test_ud_on_busy_follows_every_pool_those_made_later_included(
    process_busy: ud_busy.BusyState, virtual_dispatcher: ud.Dispatcher
) -> None:
    seen: list[bool] = []
    handle = ud.on_busy(seen.append, dispatcher=virtual_dispatcher)
    assert seen == [False]  # inline: called on the main thread
    first = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher)
    later = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher)  # made after on_busy
    try:
        gates = [threading.Event(), threading.Event()]
        one = first.submit(gates[0].wait, WAIT)
        pump(virtual_dispatcher)
        assert seen == [False, True]
        two = later.submit(gates[1].wait, WAIT)
        gates[0].set()  # the first pool goes idle while the later one is still busy
        one.result(WAIT)
        assert virtual_dispatcher.run_until(lambda: not first.busy(), WAIT)
        pump(virtual_dispatcher)
        assert seen == [False, True]
        gates[1].set()
        two.result(WAIT)
        assert virtual_dispatcher.run_until(lambda: seen[-1] is False, WAIT)
        pump(virtual_dispatcher)
        assert seen == [False, True, False]
        assert "any pool" in repr(handle)
    finally:
        first.shutdown(cancel_pending=True)
        later.shutdown(cancel_pending=True)


def test_ud_on_busy_counts_the_default_pool_and_ends_with_its_owner_or_cancel(
    process_busy: ud_busy.BusyState, virtual_dispatcher: ud.Dispatcher
) -> None:
    ud.use(virtual_dispatcher)
    assert ud.shutdown(timeout=WAIT)  # the next default pool is made under process_busy
    spinner = Widget()
    shown: list[bool] = []
    plain: list[bool] = []
    ud.on_busy(shown.append, owner=spinner)  # the default dispatcher
    handle = ud.on_busy(plain.append)
    try:
        ud.submit(lambda: 1, on_done=lambda _: None).result(WAIT)
        assert virtual_dispatcher.run_until(lambda: shown[-1:] == [False], WAIT)
        assert virtual_dispatcher.run_until(lambda: len(shown) == 3, WAIT)
        assert shown == plain == [False, True, False]
        del spinner
        gc.collect()
        handle.cancel()
        ud.submit(lambda: 2).result(WAIT)
        virtual_dispatcher.run_until(lambda: False, 0.05)
        assert shown == plain == [False, True, False]
        assert process_busy._watchers == []
    finally:
        ud.shutdown(timeout=WAIT)


def test_bad_ud_on_busy_arguments_fail_at_the_call_site(
    virtual_dispatcher: ud.Dispatcher,
) -> None:
    with pytest.raises(TypeError, match=r"callback must be callable, got 3"):
        ud.on_busy(3, dispatcher=virtual_dispatcher)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"dispatcher must be a Dispatcher or None, got 'tk'"):
        ud.on_busy(print, dispatcher="tk")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"owner"):
        ud.on_busy(print, owner=1, dispatcher=virtual_dispatcher)
