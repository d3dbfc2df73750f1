"""The uidispatch Dispatcher on the Qt backend: floods, owners, call(), pools, quitting."""

from __future__ import annotations

import collections
import concurrent.futures
import threading
import time
from typing import Any

import pytest
from conftest import WAIT, QtWidgets
from pytestqt.qtbot import QtBot
from uidispatch_qt._binding import QtCore, delete, exec_, is_valid

import uidispatch as ud


def _start(target: Any, *args: Any) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread


def _join(*threads: threading.Thread) -> None:
    for thread in threads:
        thread.join(WAIT)
        assert not thread.is_alive(), f"{thread.name} did not finish within {WAIT} s"


def test_flood_from_four_threads_runs_every_call_once_in_order_while_a_gui_timer_keeps_firing(
    qt_dispatcher: ud.Dispatcher, qtbot: QtBot
) -> None:
    d = qt_dispatcher
    producers, per = 4, 25_000
    out: list[tuple[int, int]] = []
    ticks: list[int] = []
    timer = QtCore.QTimer()
    timer.timeout.connect(lambda: ticks.append(len(out)))
    timer.start(10)
    barrier = threading.Barrier(producers)

    def produce(k: int) -> None:
        barrier.wait()
        for i in range(per):
            d.call_soon(out.append, (k, i))

    threads = [_start(produce, k) for k in range(producers)]
    try:
        qtbot.waitUntil(lambda: len(out) == producers * per, timeout=int(WAIT * 1000) * 3)
    finally:
        timer.stop()
    _join(*threads)
    by_producer = collections.defaultdict(list)
    for k, i in out:
        by_producer[k].append(i)
    assert all(by_producer[k] == list(range(per)) for k in range(producers))
    stats = d.stats()
    assert stats.executed == producers * per
    assert stats.dropped == 0
    assert stats.drains > 1, "the flood ran in one unbounded drain"
    # The GUI timer fired while calls were still queued: the flood never froze the loop.
    assert any(0 < n < producers * per for n in ticks), ticks


def test_call_soon_skips_a_deleted_widget_owner_and_counts_it_dropped(
    qt_dispatcher: ud.Dispatcher, qtbot: QtBot
) -> None:
    d = qt_dispatcher
    window = QtWidgets.QWidget()
    label = QtWidgets.QLabel(window)
    kept = QtWidgets.QLabel()
    qtbot.addWidget(kept)
    texts: list[str] = []
    d.call_soon(label.setText, "never", owner=label)  # would raise "already deleted"
    d.call_soon(texts.append, "never", owner=label)
    d.call_soon(kept.setText, "shown", owner=kept)
    d.call_soon(texts.append, "kept", owner=kept)
    delete(window)  # the label's C++ side goes with its parent
    assert not is_valid(label)
    qtbot.waitUntil(lambda: texts == ["kept"], timeout=int(WAIT * 1000))
    assert kept.text() == "shown"
    assert d.stats().dropped == 2


def test_owner_deleted_later_from_a_worker_is_skipped(
    qt_dispatcher: ud.Dispatcher, qtbot: QtBot
) -> None:
    d = qt_dispatcher
    widget = QtWidgets.QLabel()
    ran: list[str] = []
    d.call_soon(widget.deleteLater)
    qtbot.waitUntil(lambda: not is_valid(widget), timeout=int(WAIT * 1000))
    _join(_start(lambda: d.call_soon(ran.append, "late", owner=widget)))
    d.call_soon(ran.append, "sentinel")
    qtbot.waitUntil(lambda: ran == ["sentinel"], timeout=int(WAIT * 1000))
    assert d.stats().dropped == 1


def test_call_from_a_worker_returns_the_gui_threads_result_and_reraises_its_error(
    qt_dispatcher: ud.Dispatcher, qtbot: QtBot
) -> None:
    d = qt_dispatcher
    gui = threading.get_ident()
    label = QtWidgets.QLabel()
    qtbot.addWidget(label)
    results: list[object] = []

    def work() -> None:
        d.call(label.setText, "from a worker")
        results.append(d.call(lambda: (label.text(), threading.get_ident())))
        try:
            d.call(int, "not a number")
        except ValueError as exc:
            results.append(exc)

    thread = _start(work)
    qtbot.waitUntil(lambda: len(results) == 2, timeout=int(WAIT * 1000))
    _join(thread)
    assert results[0] == ("from a worker", gui)
    assert isinstance(results[1], ValueError)


def test_call_later_from_a_worker_fires_on_the_gui_thread(
    qt_dispatcher: ud.Dispatcher, qtbot: QtBot
) -> None:
    d = qt_dispatcher
    fired: list[int] = []
    _join(_start(lambda: d.call_later(0.02, lambda: fired.append(threading.get_ident()))))
    qtbot.waitUntil(lambda: bool(fired), timeout=int(WAIT * 1000))
    assert fired == [threading.get_ident()]


def _pool_or_skip(**kwargs: Any) -> Any:
    if ud.Pool.submit is concurrent.futures.Executor.submit:  # the core's placeholder
        pytest.skip("uidispatch.Pool is not implemented in this core yet")
    try:
        pool = ud.Pool(**kwargs)
        probe = pool.submit(int, "1")
    except NotImplementedError:
        pytest.skip("uidispatch.Pool is not implemented in this core yet")
    probe.result(WAIT)
    return pool


def test_pool_on_done_and_on_progress_run_on_the_gui_thread(
    qt_dispatcher: ud.Dispatcher, qtbot: QtBot
) -> None:
    pool = _pool_or_skip(max_workers=2, dispatcher=qt_dispatcher)
    gui = threading.get_ident()
    seen: list[tuple[str, object, int]] = []

    def job(n: int) -> int:
        for i in range(n):
            ud.report_progress(i, f"step {i}")
        return n * 2

    try:
        task = pool.submit(
            job,
            5,
            on_done=lambda r: seen.append(("done", r, threading.get_ident())),
            on_progress=lambda v, m: seen.append(("progress", v, threading.get_ident())),
        )
        # The last progress report always arrives (latest wins), before or after done.
        qtbot.waitUntil(
            lambda: ("done", 10, gui) in seen and ("progress", 4, gui) in seen,
            timeout=int(WAIT * 1000),
        )
        assert task.result(WAIT) == 10
    finally:
        pool.shutdown(wait=True)
    assert ("done", 10, gui) in seen
    assert all(thread == gui for _, _, thread in seen)
    progress = [int(str(v)) for kind, v, _ in seen if kind == "progress"]
    assert progress == sorted(progress)  # coalesced (latest wins) but never out of order


def test_app_quit_mid_flood_releases_waiters_with_dispatcher_closed_and_counts_pending_dropped(
    qt_dispatcher: ud.Dispatcher, qapp: Any
) -> None:
    d = qt_dispatcher
    outcome: dict[str, object] = {}
    flood_started = threading.Event()

    def flood() -> None:
        try:
            while True:
                d.call_soon(len, ())
                flood_started.set()
        except ud.DispatcherClosed:
            outcome["flood"] = "closed"

    def waiter() -> None:
        flood_started.wait(WAIT)
        # FIFO within the lane: the quit runs first, then the drain spends its 8 ms budget
        # on the slow calls and returns; exec() ends with the waiter's call still queued.
        # The app may also end while this thread is still posting (the flood competes for
        # the GIL): then the post itself raises DispatcherClosed, which is the same promise.
        try:
            d.call_soon(qapp.quit)
            for _ in range(20):
                d.call_soon(time.sleep, 0.002)
            outcome["waiter"] = d.call(lambda: "ran")
        except ud.DispatcherClosed as exc:
            outcome["waiter"] = exc

    QtCore.QTimer.singleShot(0, lambda: [_start(flood), _start(waiter)])
    # A guard, never the way out, stopped once exec() returns: left running, it quit a
    # later test's event loop. Under Qt 5 a quit() outside exec() makes every later
    # QEventLoop.exec() return at once, so no timer fired again in that process.
    guard = QtCore.QTimer()
    guard.setSingleShot(True)
    guard.timeout.connect(qapp.quit)
    guard.start(int(WAIT * 1000))
    try:
        exec_(qapp)
    finally:
        guard.stop()
    assert d.closed
    deadline = time.monotonic() + WAIT
    while len(outcome) < 2 and time.monotonic() < deadline:
        time.sleep(0.005)  # the workers are released by close(); only waiting to see it
    assert outcome.get("flood") == "closed"
    released = outcome.get("waiter")
    assert isinstance(released, ud.DispatcherClosed), released
    assert any(
        why in str(released)
        for why in ("before this call ran", "while waiting", "on a closed dispatcher")
    ), released
    stats = d.stats()
    assert stats.pending == 0
    assert stats.dropped >= 1  # the flood's (and the waiter's) calls queued at the quit
    assert stats.posted == stats.executed + stats.coalesced + stats.dropped
    fresh = ud.get_dispatcher("qt", app=qapp)
    assert fresh is not d
    assert not fresh.closed
    fresh.close()
