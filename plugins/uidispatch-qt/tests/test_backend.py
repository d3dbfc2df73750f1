"""The Qt backend's primitives on the real Qt loop (offscreen platform)."""

from __future__ import annotations

import functools
import gc
import threading
import time
import weakref
from typing import Any

import pytest
from conftest import WAIT, QtWidgets
from pytestqt.qtbot import QtBot
from uidispatch_qt._backend import QtBackend
from uidispatch_qt._binding import QtCore, delete, exec_, is_valid


def _pump(backend: QtBackend, predicate: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        backend.process_events(0.05)


def test_posts_from_workers_and_the_gui_thread_run_once_each_in_order_on_the_gui_thread(
    backend: QtBackend,
) -> None:
    out: list[int] = []
    threads_seen: set[int] = set()

    def record(i: int) -> None:
        out.append(i)
        threads_seen.add(threading.get_ident())

    def produce() -> None:
        for i in range(300):
            backend.post(functools.partial(record, i))

    worker = threading.Thread(target=produce)
    worker.start()
    worker.join()
    for i in range(300, 400):
        backend.post(functools.partial(record, i))
    _pump(backend, lambda: len(out) >= 400, "400 posts")
    backend.process_events(0.05)  # a post run twice would show now
    assert out == list(range(400))
    assert threads_seen == {threading.get_ident()}


def test_post_from_the_gui_thread_runs_on_a_later_turn_not_inline(backend: QtBackend) -> None:
    events: list[str] = []

    def first() -> None:
        events.append("first")
        backend.post(lambda: events.append("second"))
        events.append("first returned")

    backend.post(first)
    _pump(backend, lambda: "second" in events, "the re-post")
    assert events == ["first", "first returned", "second"]


def test_gui_timers_fire_between_batches_that_keep_reposting(backend: QtBackend) -> None:
    # Each batch outlasts the timer's period, so the timer is due after every batch and
    # must fire between every two. Re-posting through a posted event or
    # QTimer.singleShot(0) let it in only after every second or third batch under the
    # glib dispatcher ("bbtbbt"); the zero-interval QTimer alternates ("btbt").
    order: list[str] = []
    timer = QtCore.QTimer()
    timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
    timer.timeout.connect(lambda: order.append("t"))

    def batch() -> None:
        order.append("b")
        end = time.perf_counter() + 0.006
        while time.perf_counter() < end:
            pass
        if order.count("b") < 30:
            backend.post(batch)

    timer.start(4)
    backend.post(batch)
    try:
        _pump(backend, lambda: order.count("b") >= 30, "30 batches")
    finally:
        timer.stop()
    runs = "".join(order).split("t")
    assert max(len(run) for run in runs[1:-1]) == 1, "".join(order)


def test_call_later_fires_once_on_the_gui_thread_no_earlier_than_its_delay(
    backend: QtBackend,
) -> None:
    fired: list[tuple[float, int]] = []
    start = time.monotonic()
    backend.call_later(0.05, lambda: fired.append((time.monotonic(), threading.get_ident())))
    _pump(backend, lambda: fired, "the timer")
    backend.process_events(0.1)
    assert len(fired) == 1
    assert fired[0][0] - start >= 0.05
    assert fired[0][1] == threading.get_ident()


def test_cancelled_timer_never_fires(backend: QtBackend) -> None:
    out: list[str] = []
    handle = backend.call_later(0.02, lambda: out.append("cancelled"))
    backend.call_later(0.05, lambda: out.append("sentinel"))
    handle.cancel()
    handle.cancel()
    _pump(backend, lambda: out, "the sentinel")
    assert out == ["sentinel"]


def test_a_delay_past_the_qt_int_range_is_armed_in_steps_not_rejected(backend: QtBackend) -> None:
    handle = backend.call_later(30 * 86400.0, lambda: None)  # 30 days > 2**31 ms
    assert handle._timer is not None
    assert handle._timer.isActive()
    assert handle._remaining_ms > 0
    handle.cancel()
    assert handle._timer is None


def test_is_alive_follows_the_cpp_object_and_is_true_for_plain_objects(
    backend: QtBackend, qtbot: QtBot
) -> None:
    parent = QtWidgets.QWidget()
    child = QtWidgets.QLabel(parent)
    assert backend.is_alive(child)
    delete(parent)  # C++ deletes the child too; its Python wrapper lives on
    assert not backend.is_alive(child)
    late = QtCore.QObject()
    late.deleteLater()
    qtbot.waitUntil(lambda: not is_valid(late), timeout=int(WAIT * 1000))
    assert not backend.is_alive(late)
    assert backend.is_alive(object())
    assert backend.is_alive("text")


def test_process_events_returns_as_soon_as_a_post_ran_and_waits_out_its_timeout_when_idle(
    backend: QtBackend,
) -> None:
    out: list[str] = []
    threading.Timer(0.05, lambda: backend.post(lambda: out.append("ran"))).start()
    start = time.monotonic()
    backend.process_events(WAIT)
    assert out == ["ran"]
    assert time.monotonic() - start < WAIT / 2
    start = time.monotonic()
    backend.process_events(0.1)
    assert time.monotonic() - start >= 0.1 - 0.001  # Qt counts whole milliseconds


def test_is_main_thread_is_true_only_on_the_gui_thread(backend: QtBackend) -> None:
    seen: list[bool] = []
    t = threading.Thread(target=lambda: seen.append(backend.is_main_thread()))
    t.start()
    t.join()
    assert backend.is_main_thread()
    assert seen == [False]


def test_backend_created_on_a_worker_runs_its_posts_on_the_gui_thread(qapp: Any) -> None:
    made: list[QtBackend] = []
    answers: list[bool] = []

    def build() -> None:
        b = QtBackend(qapp)
        made.append(b)
        answers.append(b.is_main_thread())
        b.post(lambda: answers.append(b.is_main_thread()))

    t = threading.Thread(target=build)
    t.start()
    t.join()
    b = made[0]
    try:
        _pump(b, lambda: len(answers) == 2, "the worker's post")
        assert answers == [False, True]
        assert b.is_main_thread()
        fired: list[int] = []
        b.call_later(0.0, lambda: fired.append(1))
        _pump(b, lambda: fired, "a timer of a backend built on a worker")
    finally:
        b.close()


def test_on_app_closed_runs_once_when_the_application_quits(backend: QtBackend, qapp: Any) -> None:
    calls: list[str] = []
    backend.on_app_closed(lambda: calls.append("closed"))
    QtCore.QTimer.singleShot(0, qapp.quit)
    exec_(qapp)  # returns at once; exec() emits aboutToQuit on its way out
    assert calls == ["closed"]
    QtCore.QTimer.singleShot(0, qapp.quit)
    exec_(qapp)
    assert calls == ["closed"]


def test_close_is_idempotent_drops_posts_and_stops_timers(backend: QtBackend) -> None:
    out: list[str] = []
    backend.post(lambda: out.append("pending"))
    backend.call_later(0.0, lambda: out.append("timer"))
    backend.close()
    backend.close()
    backend.post(lambda: out.append("after close"))
    guard = QtBackend()
    try:
        guard.call_later(0.05, lambda: out.append("guard"))
        _pump(guard, lambda: out, "the guard timer")
    finally:
        guard.close()
    assert out == ["guard"]
    assert backend.is_main_thread()  # still answers after close


def test_close_from_a_worker_drops_posts_and_stops_timers_on_the_gui_thread(qapp: Any) -> None:
    b = QtBackend(qapp)
    out: list[str] = []
    timer = b.call_later(0.03, lambda: out.append("timer"))
    b.post(lambda: out.append("pending"))
    closer = threading.Thread(target=b.close)
    closer.start()
    closer.join()
    assert timer._fn is None  # the callback went at once, from the worker
    b.process_events(0.0)  # the GUI thread's turn that stops and deletes the timers
    assert timer._timer is None
    guard = QtBackend(qapp)
    try:
        guard.call_later(0.06, lambda: out.append("guard"))
        _pump(guard, lambda: out, "the guard timer")
    finally:
        guard.close()
    assert out == ["guard"]


def test_the_receiver_lives_as_long_as_the_application_not_the_backend(qapp: Any) -> None:
    b = QtBackend(qapp)
    receiver = b._receiver
    b.close()
    del b
    gc.collect()
    assert is_valid(receiver)  # never deleted under a worker's postEvent
    assert receiver.parent() is qapp


def test_no_reference_cycle_keeps_a_closed_backend_alive(qapp: Any) -> None:
    b = QtBackend(qapp)
    ran: list[int] = []
    b.post(lambda: ran.append(1))
    b.call_later(10.0, lambda: None)
    _pump(b, lambda: ran, "one post")
    b.close()
    ref = weakref.ref(b)
    gc.disable()  # freed by reference counting alone: no cycle to wait for
    try:
        del b
        assert ref() is None
    finally:
        gc.enable()


def test_backend_holds_the_application_weakly(backend: QtBackend, qapp: Any) -> None:
    assert backend.app is qapp
    assert not any(r is qapp for r in gc.get_referents(backend))


def test_bad_app_is_rejected_naming_the_argument(qapp: Any) -> None:
    with pytest.raises(TypeError, match=r"app must be a QCoreApplication for the qt backend, got"):
        QtBackend(object())  # type: ignore[arg-type]
