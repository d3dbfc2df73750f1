"""Resources released: after close() nothing the dispatcher held stays alive.

Weak references prove that no user callback, argument, owner, task argument or
dispatcher outlives ``close()`` on the core backends; the toolkit plugins run the same
check (:mod:`uidispatch.testing.resources`) on their real loops.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import weakref
from collections.abc import Iterator

import pytest

import uidispatch as ud
from uidispatch._backends._asyncio import AsyncioBackend
from uidispatch._backends._virtual import VirtualBackend
from uidispatch._core._options import MAX_SECONDS
from uidispatch.testing.resources import Thing, check_close_releases, open_fds


def test_virtual_close_releases_every_callback_argument_owner_and_the_dispatcher() -> None:
    check_close_releases(lambda: ud.get_dispatcher("virtual"))


def test_asyncio_close_releases_timers_callbacks_arguments_and_the_dispatcher() -> None:
    loop = asyncio.new_event_loop()
    try:
        check_close_releases(lambda: ud.get_dispatcher("asyncio", app=loop))
        assert all(h.cancelled() for h in loop._scheduled)  # type: ignore[attr-defined]
    finally:
        loop.close()


def test_asyncio_close_from_a_worker_releases_the_timer_callback_at_once() -> None:
    loop = asyncio.new_event_loop()
    try:
        d = ud.Dispatcher(AsyncioBackend(loop))
        arg = Thing("argument")
        ref = weakref.ref(arg)
        d.call_later(3600.0, Thing("callback"), arg)
        del arg
        closer = threading.Thread(target=d.close)
        closer.start()
        closer.join()
        gc.collect()
        assert ref() is None  # before the loop ever ran again
        loop.run_until_complete(asyncio.sleep(0))  # the loop thread cancels the handle
        assert all(h.cancelled() for h in loop._scheduled)  # type: ignore[attr-defined]
    finally:
        loop.close()


def test_owned_asyncio_loops_release_their_fds_on_close() -> None:
    before = open_fds()
    for _ in range(20):
        ud.Dispatcher(AsyncioBackend()).close()
    gc.collect()
    assert open_fds() == before


def test_a_finished_task_drops_its_function_and_arguments_but_keeps_its_outcome(
    virtual_dispatcher: ud.Dispatcher,
) -> None:
    pool = ud.Pool(max_workers=2, dispatcher=virtual_dispatcher)
    try:
        arg, fn = Thing("argument"), Thing("function")
        refs = [weakref.ref(arg), weakref.ref(fn)]
        done = pool.submit(fn, arg)
        del arg, fn

        # int() fails in C: no Python frame of the traceback holds the argument.
        bad_arg = Thing("failing argument")
        refs.append(weakref.ref(bad_arg))
        failed = pool.submit(int, bad_arg)
        del bad_arg
        assert done.result(10) is None
        with pytest.raises(TypeError, match="Thing"):
            failed.result(10)
        # Dropped on the main thread (a worker must never free what may name a widget):
        # at its next drain, which the workers' hand-over asked for.
        assert virtual_dispatcher.run_until(lambda: [r() for r in refs] == [None] * 3, 10)
        assert isinstance(failed.exception(), TypeError)  # the outcome stays
    finally:
        pool.shutdown(wait=True)


def test_a_collected_instance_releases_its_pending_debounce_arguments(
    virtual_dispatcher: ud.Dispatcher,
) -> None:
    d = virtual_dispatcher

    class Widget:
        @ud.debounce(3600.0, dispatcher=d)
        def refresh(self, value: object) -> None:
            raise AssertionError("never called for a collected widget")  # pragma: no cover

    w = Widget()
    arg = Thing("argument")
    ref = weakref.ref(arg)
    w.refresh(arg)
    assert w.refresh.pending
    del arg, w
    gc.collect()
    assert ref() is None  # the timer is still armed, but holds no argument
    d.backend.advance(3601.0)  # type: ignore[attr-defined]


def test_closed_dispatchers_are_not_kept_by_the_registry_or_a_decorator() -> None:
    decorated = ud.main_thread(Thing("decorated"))
    throttled = ud.throttle(0.1)(Thing("throttled"))
    ud.use("virtual")
    decorated()
    throttled()
    d = ud.get_dispatcher()
    ref = weakref.ref(d)
    d.close()
    del d
    gc.collect()
    assert ref() is None
    decorated()  # the next call looks a fresh one up
    assert ud.get_dispatcher() is not None


@pytest.fixture
def slow_virtual() -> Iterator[ud.Dispatcher]:
    d = ud.Dispatcher(VirtualBackend())
    yield d
    d.close()


@pytest.mark.parametrize("days", [1, 30, 400, 10**400])
def test_a_long_timer_never_fires_early_on_virtual_time(
    slow_virtual: ud.Dispatcher, days: int
) -> None:
    d = slow_virtual
    fired: list[float] = []
    delay = days * 86400 if days < 10**6 else days
    d.call_later(delay, lambda: fired.append(d.backend.now()))  # type: ignore[attr-defined]
    expected = min(delay, MAX_SECONDS)  # a huge delay is clamped: "practically never"
    d.backend.advance(float(expected) - 1.0)  # type: ignore[attr-defined]
    assert fired == []
    d.backend.advance(2.0)  # type: ignore[attr-defined]
    assert len(fired) == 1
