"""Modal dialogs: dispatch goes on inside the nested loop of ``QDialog.exec()``."""

from __future__ import annotations

import threading

from conftest import WAIT, QtWidgets
from pytestqt.qtbot import QtBot
from uidispatch_qt._binding import QtCore, exec_

import uidispatch as ud


def _int(member: object) -> int:
    # A Python enum on PySide6 and PyQt6 (its .value), an int already on PyQt5 and PySide2.
    return int(getattr(member, "value", member))  # type: ignore[call-overload]


def test_a_dialog_exec_in_a_dispatched_callback_keeps_dispatching_in_order(
    qt_dispatcher: ud.Dispatcher, qtbot: QtBot
) -> None:
    d = qt_dispatcher
    out: list[object] = []
    during: list[bool] = []
    opened = threading.Event()
    dialogs: list[QtWidgets.QDialog] = []

    def record(i: int) -> None:
        out.append(i)
        during.append(dialogs[0].isVisible())

    def close_dialog() -> None:
        out.append("close")
        dialogs[0].accept()

    def ask() -> None:
        dialog = QtWidgets.QDialog()
        dialogs.append(dialog)
        # Without dispatch inside the modal nothing would close it: fail instead of hanging.
        QtCore.QTimer.singleShot(8000, dialog.reject)
        QtCore.QTimer.singleShot(0, opened.set)  # set once the nested loop runs
        out.append("opened")
        code = exec_(dialog)  # a nested event loop
        out.append(("answered", code))
        d.call_soon(out.append, "after")  # posted by the callback itself: runs after

    def produce() -> None:
        assert opened.wait(WAIT)
        for i in range(50):
            d.call_soon(record, i)
        d.call_soon(close_dialog)

    worker = threading.Thread(target=produce, daemon=True)
    worker.start()
    d.call_soon(ask)
    qtbot.waitUntil(lambda: "after" in out, timeout=int(WAIT * 2000))
    worker.join(WAIT)
    accepted = _int(QtWidgets.QDialog.DialogCode.Accepted)
    assert out == ["opened", *range(50), "close", ("answered", accepted), "after"]
    assert during == [True] * 50  # every worker call ran while the dialog was modal


def test_a_worker_call_is_answered_inside_a_message_box(
    qt_dispatcher: ud.Dispatcher, qtbot: QtBot
) -> None:
    """``@main_thread(wait=True)`` around a QMessageBox; another worker's ``call()`` runs
    during it and closes it."""
    d = qt_dispatcher
    opened = threading.Event()
    boxes: list[QtWidgets.QMessageBox] = []
    results: list[object] = []

    @d.main_thread(wait=True)
    def ask() -> object:
        box = QtWidgets.QMessageBox()
        box.setText("Continue?")
        box.setStandardButtons(
            QtWidgets.QMessageBox.StandardButton.Yes | QtWidgets.QMessageBox.StandardButton.No
        )
        boxes.append(box)
        QtCore.QTimer.singleShot(8000, box.reject)
        QtCore.QTimer.singleShot(0, opened.set)
        return exec_(box)

    def asker() -> None:
        results.append(("asked", ask()))

    def other() -> None:
        assert opened.wait(WAIT)
        results.append(("visible", d.call(boxes[0].isVisible, timeout=WAIT)))
        # The button too is read on the GUI thread (the wrong-thread checker caught this).
        yes = d.call(boxes[0].button, QtWidgets.QMessageBox.StandardButton.Yes, timeout=WAIT)
        d.call(yes.click, timeout=WAIT)

    threads = [threading.Thread(target=t, daemon=True) for t in (asker, other)]
    for t in threads:
        t.start()
    qtbot.waitUntil(lambda: len(results) == 2, timeout=int(WAIT * 2000))
    for t in threads:
        t.join(WAIT)
    yes_value = _int(QtWidgets.QMessageBox.StandardButton.Yes)
    assert sorted(results, key=str) == [("asked", yes_value), ("visible", True)]
