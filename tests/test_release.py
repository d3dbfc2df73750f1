"""Objects our threads must not be the last to drop are released on the main thread."""

from __future__ import annotations

import gc
import threading
import weakref

import uidispatch as ud
from uidispatch import _release


class _Thing:
    def __call__(self, info: object) -> None:
        pass


def _freed_on(obj: object) -> tuple[weakref.ref[object], list[str]]:
    where: list[str] = []
    return weakref.ref(obj, lambda _: where.append(threading.current_thread().name)), where


def test_an_object_parked_by_a_worker_is_freed_by_the_main_thread() -> None:
    thing = _Thing()
    ref, where = _freed_on(thing)

    def worker(box: list[object]) -> None:
        obj = box.pop()
        _release.park(obj)
        del obj  # no longer the last reference: the parking lot holds it

    box: list[object] = [thing]
    del thing
    t = threading.Thread(target=worker, args=(box,), name="worker")
    t.start()
    t.join()
    releaser = threading.Thread(target=_release.release_parked)
    releaser.start()
    releaser.join()
    assert ref() is not None  # only the main thread releases
    assert ref() is not None
    _release.release_parked()
    assert ref() is None
    assert where == [threading.main_thread().name]


def test_parking_on_the_main_thread_keeps_nothing() -> None:
    thing = _Thing()
    ref, _ = _freed_on(thing)
    _release.park(thing)
    del thing
    assert ref() is None


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
    assert ref() is not None  # parked by the monitor thread as it ended
    d.call_soon(lambda: None)
    assert d.run_until(lambda: ref() is None, 5)  # the next drain starts by releasing it
    assert where == [threading.main_thread().name]
