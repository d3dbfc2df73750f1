"""Workflow features on the real Qt loop (offscreen): on_busy on widgets, streamed items."""

from __future__ import annotations

import threading

from conftest import WAIT, QtWidgets
from pytestqt.qtbot import QtBot

import uidispatch as ud


def test_a_button_is_disabled_while_its_task_runs(
    qtbot: QtBot, qt_dispatcher: ud.Dispatcher
) -> None:
    pool = ud.Pool(max_workers=2, dispatcher=qt_dispatcher)
    button = QtWidgets.QPushButton("Refresh")
    qtbot.addWidget(button)
    seen: list[bool] = []

    def show(busy: bool) -> None:
        assert threading.current_thread() is threading.main_thread()
        seen.append(busy)
        button.setEnabled(not busy)

    handle = pool.on_busy(show, key="refresh", owner=button)
    assert seen == [False]
    assert button.isEnabled()
    gate = threading.Event()
    shown: list[str] = []
    pool.submit(gate.wait, WAIT, key="refresh", on_done=lambda _: shown.append("rows"))
    qtbot.waitUntil(lambda: not button.isEnabled(), timeout=int(WAIT * 1000))
    pool.submit(lambda: None, key="other")  # another key: no change for this button
    gate.set()
    qtbot.waitUntil(lambda: button.isEnabled(), timeout=int(WAIT * 1000))
    assert shown == ["rows"]
    assert seen == [False, True, False]
    handle.cancel()
    pool.shutdown(wait=True)


def test_on_item_appends_every_item_to_a_list_widget_in_order(
    qtbot: QtBot, qt_dispatcher: ud.Dispatcher
) -> None:
    pool = ud.Pool(max_workers=2, dispatcher=qt_dispatcher)
    view = QtWidgets.QListWidget()
    qtbot.addWidget(view)
    done: list[object] = []

    def lines():  # type: ignore[no-untyped-def]
        for i in range(2000):
            yield f"line {i}"

    pool.submit(lines, on_item=view.addItem, on_done=done.append, max_buffered=100)
    qtbot.waitUntil(lambda: bool(done), timeout=int(WAIT * 1000))
    assert view.count() == 2000
    assert [view.item(i).text() for i in (0, 1999)] == ["line 0", "line 1999"]
    pool.shutdown(wait=True)


def test_a_deleted_widget_ends_its_busy_watch(qtbot: QtBot, qt_dispatcher: ud.Dispatcher) -> None:
    import gc

    pool = ud.Pool(max_workers=1, dispatcher=qt_dispatcher)
    label = QtWidgets.QLabel()
    seen: list[bool] = []
    handle = pool.on_busy(seen.append, owner=label)
    del label
    gc.collect()
    assert not handle.active
    pool.submit(lambda: None).result(WAIT)
    qt_dispatcher.run_until(lambda: not pool.busy(), WAIT)
    assert seen == [False]
    pool.shutdown(wait=True)


def test_an_operation_shows_a_spinner_while_it_runs_and_restarts_across_signals(
    qtbot: QtBot, qt_dispatcher: ud.Dispatcher
) -> None:
    pool = ud.Pool(max_workers=2, dispatcher=qt_dispatcher)
    edit = QtWidgets.QLineEdit()
    spinner = QtWidgets.QLabel()
    qtbot.addWidget(edit)
    qtbot.addWidget(spinner)
    gates = {"a": threading.Event(), "ab": threading.Event()}
    started = threading.Event()
    seen: list[bool] = []
    shown: list[str] = []

    @pool.operation(if_running="restart")
    def search(text: str) -> str:
        started.set()
        while not gates[text].wait(0.01):
            ud.check_cancelled()
        return text.upper()

    def show_busy(busy: bool) -> None:
        assert threading.current_thread() is threading.main_thread()
        seen.append(busy)
        spinner.setText("searching…" if busy else "")

    search.on_busy(show_busy, owner=spinner)
    # Two signals, one policy: typing and Return.
    edit.textChanged.connect(lambda text: search.submit(text, on_done=shown.append))
    edit.returnPressed.connect(lambda: search.submit(edit.text(), on_done=shown.append))
    edit.setText("a")  # typing starts a search...
    qtbot.waitUntil(lambda: spinner.text() == "searching…", timeout=int(WAIT * 1000))
    assert started.wait(WAIT)
    first = search.last
    edit.setText("ab")  # ... typing on restarts it ...
    second = search.last
    edit.returnPressed.emit()  # ... and so does Return, from its own handler
    assert first is not None
    assert first.cancelled()
    assert second is not None
    assert second is not first
    assert second.cancelled()
    gates["ab"].set()
    qtbot.waitUntil(lambda: spinner.text() == "", timeout=int(WAIT * 1000))
    assert shown == ["AB"]  # on_done ran before the spinner stopped
    assert seen == [False, True, False]
    assert search.count == 3
    pool.shutdown(wait=True)
