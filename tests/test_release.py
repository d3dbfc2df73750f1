"""What our threads hold for the app is dropped on the main thread, never on theirs."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import weakref
from collections.abc import Callable, Iterator

import pytest

import uidispatch as ud
from uidispatch._backends._virtual import VirtualBackend
from uidispatch._core import _release


class _Thing:
    def __call__(self, *args: object) -> None:
        pass

    def method(self, gate: threading.Event, *args: object) -> int:
        gate.wait(10)
        return 1


def _freed_on(obj: object) -> tuple[weakref.ref[object], list[str]]:
    where: list[str] = []
    return weakref.ref(obj, lambda _: where.append(threading.current_thread().name)), where


def _on_worker(fn: Callable[[], object]) -> None:
    t = threading.Thread(target=fn, name="worker")
    t.start()
    t.join(10)
    assert not t.is_alive()


def _handed_over(
    on_worker: bool = True, via: ud.Dispatcher | None = None
) -> tuple[weakref.ref[object], list[str]]:
    """Hand a fresh object over (from a worker, or from this thread): ``_freed_on`` of it."""
    box: list[object] = [_Thing()]
    freed = _freed_on(box[0])
    to = None if via is None else weakref.ref(via)
    if on_worker:
        _on_worker(lambda: _release.hand_over(box, to))
    else:
        _release.hand_over(box, to)
    assert box == []  # the caller keeps nothing
    return freed


@pytest.fixture(autouse=True)
def _empty_lot() -> Iterator[None]:
    _release.release_parked()
    yield
    _release.release_parked()


def test_what_a_worker_hands_over_is_freed_by_the_main_thread_only(
    virtual_dispatcher: ud.Dispatcher,
) -> None:
    ref, where = _handed_over()
    _on_worker(_release.release_parked)  # only the main thread releases
    assert ref() is not None
    _release.release_parked()
    assert ref() is None
    assert where == [threading.main_thread().name]


def test_the_main_thread_releasing_first_still_frees_on_the_main_thread(
    virtual_dispatcher: ud.Dispatcher,
) -> None:
    # The worker still runs (and holds its emptied box) when the main thread releases.
    thing = _Thing()
    ref, where = _freed_on(thing)
    handed, release = threading.Event(), threading.Event()

    def worker(box: list[object]) -> None:
        _release.hand_over(box)
        handed.set()
        release.wait(10)
        del box  # last reference to the (now empty) box: nothing of the app's goes here

    t = threading.Thread(target=worker, args=([thing],), name="worker")
    del thing
    t.start()
    assert handed.wait(10)
    _release.release_parked()
    assert ref() is None
    release.set()
    t.join(10)
    assert where == [threading.main_thread().name]


def test_a_hand_over_asks_an_open_dispatcher_for_the_drain_that_releases_it(
    virtual_dispatcher: ud.Dispatcher,
) -> None:
    ref, where = _handed_over()
    assert ref() is not None
    # Nobody else posts: the hand-over's own wake-up brings the drain.
    assert virtual_dispatcher.run_until(lambda: ref() is None, 5)
    assert where == [threading.main_thread().name]


def test_a_hand_over_asks_the_dispatcher_its_work_served_and_only_once_per_release(
    virtual_dispatcher: ud.Dispatcher,
) -> None:
    served = virtual_dispatcher
    # Opened later: what a hand-over without via asks (so also any stray one from a thread
    # an earlier test left behind), which used to be asked for every hand-over.
    newer = ud.Dispatcher(VirtualBackend())
    try:
        before = served.backend.posts  # type: ignore[attr-defined]
        first, where = _handed_over(via=served)
        second, _ = _handed_over(via=served)
        after = served.backend.posts  # type: ignore[attr-defined]
        assert after - before == 1
        assert served.run_until(lambda: first() is None and second() is None, 5)
        assert where == [threading.main_thread().name]
        _handed_over(via=served)  # a new release cycle: asked again
        assert served.backend.posts == after + 1  # type: ignore[attr-defined]
    finally:
        newer.close()


def test_work_of_a_closed_dispatcher_asks_no_other_backend_and_waits_for_a_drain(
    virtual_dispatcher: ud.Dispatcher,
) -> None:
    closed = ud.Dispatcher(VirtualBackend())
    closed.close()
    newest = ud.Dispatcher(VirtualBackend())  # what a stray hand-over without via would ask
    try:
        posts = virtual_dispatcher.backend.posts  # type: ignore[attr-defined]
        ref, where = _handed_over(via=closed)
        assert virtual_dispatcher.backend.posts == posts  # type: ignore[attr-defined]
        assert ref() is not None
        virtual_dispatcher.call_soon(lambda: None)  # any drain of the main thread releases it
        assert virtual_dispatcher.run_until(lambda: ref() is None, 5)
        assert where == [threading.main_thread().name]
    finally:
        newest.close()


def test_closing_a_dispatcher_on_the_main_thread_releases_what_was_handed_over(
    virtual_dispatcher: ud.Dispatcher,
) -> None:
    ref, where = _handed_over()
    virtual_dispatcher.close()  # its pending wake-up is dropped: close releases instead
    assert ref() is None
    assert where == [threading.main_thread().name]


def test_handing_over_on_the_main_thread_drops_at_once() -> None:
    ref, _ = _handed_over(on_worker=False)
    assert ref() is None


def test_without_any_dispatcher_a_worker_keeps_it_for_the_main_threads_next_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A Tk app that never asked for a dispatcher is still an app: its main thread's next
    # call into the library (or exit) is where the objects go, never the worker.
    monkeypatch.setattr(_release, "_dispatchers", [])
    ref, where = _handed_over()
    gc.collect()
    assert ref() is not None
    d = ud.get_dispatcher("virtual")
    try:
        assert ref() is None
        assert where == [threading.main_thread().name]
    finally:
        d.close()


def test_without_any_dispatcher_the_lot_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_release, "_dispatchers", [])
    monkeypatch.setattr(_release, "KEEP_AT_MOST", 3)
    kept = [_handed_over() for _ in range(3)]
    ref, where = _handed_over()  # the fourth finds the lot full: its thread drops its own
    assert ref() is None
    assert where == ["worker"]
    assert all(r() is not None for r, _ in kept)


def test_a_stopped_stall_watch_lets_its_callback_go_on_the_main_thread(
    virtual_dispatcher: ud.Dispatcher,
) -> None:
    d = virtual_dispatcher
    callback = _Thing()
    ref, where = _freed_on(callback)
    watch = d.watch_stalls(0.5, callback, interval=0.5)
    del callback
    watch.stop()
    assert not watch.running
    gc.collect()
    assert ref() is not None  # handed over by the monitor thread as it ended
    assert d.run_until(lambda: ref() is None, 5)  # the next drain starts by releasing it
    assert where == [threading.main_thread().name]


def test_a_finished_tasks_function_arguments_and_callbacks_go_on_the_main_thread(
    virtual_dispatcher: ud.Dispatcher,
) -> None:
    # The app's window closed while the task ran: its dispatcher refuses the callbacks,
    # and the worker that ran the task must not be the one to drop them.
    d = virtual_dispatcher
    other = ud.Dispatcher(VirtualBackend())  # the app's second window, still open
    newest = ud.Dispatcher(VirtualBackend())  # what a stray hand-over without via would ask
    pool = ud.Pool(max_workers=1, dispatcher=d)
    try:
        app, arg, on_done, on_error = _Thing(), _Thing(), _Thing(), _Thing()
        watched = {
            "app": _freed_on(app),
            "arg": _freed_on(arg),
            "on_done": _freed_on(on_done),
            "on_error": _freed_on(on_error),
        }
        gate = threading.Event()
        task = pool.submit(app.method, gate, arg, on_done=on_done, on_error=on_error)
        del app, arg, on_done, on_error
        d.close()
        gate.set()
        assert task.result(10) == 1
        assert pool.stats().dropped_callbacks == 1
        gc.collect()
        alive = [name for name, (ref, _) in watched.items() if ref() is not None]
        assert sorted(alive) == ["app", "arg", "on_done", "on_error"]  # handed over, kept
        # The closed window's work asks no other dispatcher's backend for a release: its
        # objects wait for the main thread's next drain of any dispatcher.
        posts = other.backend.posts  # type: ignore[attr-defined]
        other.backend.process_events(0.05)  # type: ignore[attr-defined]
        assert other.backend.posts == posts  # type: ignore[attr-defined]
        assert sorted(name for name, (ref, _) in watched.items() if ref() is not None) == alive
        other.call_soon(lambda: None)
        assert other.run_until(lambda: all(ref() is None for ref, _ in watched.values()), 5)
        assert {name: where for name, (_, where) in watched.items()} == {
            name: [threading.main_thread().name] for name in watched
        }
    finally:
        pool.shutdown(wait=True)
        other.close()
        newest.close()


def test_with_nothing_releasing_the_lot_stops_growing(
    virtual_dispatcher: ud.Dispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every dispatcher closed and the process goes on without a UI: what the tasks in
    # flight held is kept, and later hand-overs past the bound are dropped where they are.
    monkeypatch.setattr(_release, "KEEP_AT_MOST", 3)
    virtual_dispatcher.close()
    things = [_Thing() for _ in range(5)]
    freed = [_freed_on(thing) for thing in things]
    boxes: list[list[object]] = [[thing] for thing in things]
    del things

    def hand_over_all() -> None:
        for box in boxes:
            _release.hand_over(box)

    _on_worker(hand_over_all)
    assert [ref() is not None for ref, _ in freed] == [True, True, True, False, False]
    assert [where for _, where in freed[3:]] == [["worker"], ["worker"]]
    _release.release_parked()
    assert all(ref() is None for ref, _ in freed)
    assert all(where == [threading.main_thread().name] for _, where in freed[:3])


@pytest.mark.parametrize("kind", ["function", "coroutine"])
def test_a_forgotten_failing_tasks_traceback_is_freed_on_the_main_thread(
    virtual_dispatcher: ud.Dispatcher, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    # Submitted and forgotten: the thread that ended the task (a pool worker, or the pool's
    # event loop for a coroutine, whose asyncio task and future callbacks also hold it) was
    # its last holder, and with it of the exception's frames and whatever only they name (a
    # window the app closed). Unlogged: a captured log record of the unretrieved failure
    # would keep it all alive.
    monkeypatch.setattr(logging.getLogger("uidispatch"), "disabled", True)
    pool = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher)
    freed: list[tuple[weakref.ref[object], list[str]]] = []

    def work() -> None:
        only_the_frame_names_it = _Thing()
        freed.append(_freed_on(only_the_frame_names_it))
        raise ValueError("the traceback keeps this frame")

    async def work_async() -> None:
        await asyncio.sleep(0)
        work()

    try:
        pool.submit(work if kind == "function" else work_async)
        assert virtual_dispatcher.run_until(
            lambda: pool.stats().failed == 1 and pool.stats().running == 0, 10
        )
        assert virtual_dispatcher.run_until(lambda: freed[0][0]() is None, 5)
        assert freed[0][1] == [threading.main_thread().name]
    finally:
        pool.shutdown(wait=True)
