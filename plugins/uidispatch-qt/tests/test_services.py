"""Workflow services on a real Qt loop: circuit breaker changes land on the GUI thread."""

from __future__ import annotations

import threading

from conftest import WAIT, QtWidgets
from pytestqt.qtbot import QtBot

import uidispatch as ud


def _down() -> None:
    raise OSError("service down")


def test_breaker_changes_reach_the_gui_thread_as_an_app_banner_would_show_them(
    qt_dispatcher: ud.Dispatcher, qtbot: QtBot
) -> None:
    pool = ud.Pool(max_workers=2, dispatcher=qt_dispatcher)
    br = ud.CircuitBreaker(max_failures=1, window=60.0, reset_after=0.05)
    banner = QtWidgets.QLabel("")
    qtbot.addWidget(banner)
    seen: list[tuple[str, int]] = []

    def show(state: str) -> None:
        banner.setText("service down" if state == "open" else "")
        seen.append((state, threading.get_ident()))

    br.on_change(show, dispatcher=qt_dispatcher)
    errors: list[BaseException] = []
    pool.submit(_down, breaker=br, on_error=errors.append)
    qtbot.waitUntil(lambda: len(seen) >= 2, timeout=int(WAIT * 1000))
    probe = pool.submit(abs, -1, breaker=br)
    qtbot.waitUntil(lambda: len(seen) >= 3, timeout=int(WAIT * 1000))
    assert probe.result(0) == 1
    assert [state for state, _ in seen] == ["open", "half_open", "closed"]
    assert {ident for _, ident in seen} == {threading.get_ident()}
    assert banner.text() == ""
    assert isinstance(errors[0], OSError)
    assert pool.shutdown(timeout=WAIT)
