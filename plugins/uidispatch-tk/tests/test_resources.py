"""Tk resources released: at close(), and when a backend is dropped without it.

Weak references prove that no callback, argument, owner, task argument or dispatcher
outlives ``close()``; fd counts, the root's bindtags and Tcl's command list prove that a
``Dispatcher(TkBackend(root))`` dropped without ``close()`` gives back its wake-up pipe,
its bindtag and its commands, also when the last reference goes on a worker thread.
"""

from __future__ import annotations

import gc
import threading
import time
import tkinter
from typing import Any

import pytest
import uidispatch_tk._timer as tk_timer
from uidispatch_tk import TkBackend

import uidispatch as ud
from uidispatch.testing.resources import check_close_releases, open_fds


def _commands(root: tkinter.Tk) -> set[str]:
    return set(root.tk.splitlist(root.tk.call("info", "commands", "uidispatch_tk*")))


def _pump_until(root: tkinter.Tk, condition: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        root.update()
        time.sleep(0.005)
    return True


def test_close_releases_every_callback_argument_owner_and_the_dispatcher(
    root: tkinter.Tk,
) -> None:
    check_close_releases(lambda: ud.get_dispatcher("tk", app=root), root.update)


def test_backends_dropped_without_close_give_back_fds_bindtags_and_commands(
    root: tkinter.Tk,
) -> None:
    gc.collect()
    fds, tags, commands = open_fds(), root.bindtags(), _commands(root)
    for _ in range(20):
        d = ud.Dispatcher(TkBackend(root))
        d.call_later(3600.0, print)  # a pending Tcl timer too
        d.call_soon(print)  # and a pending "after" event
        del d
    gc.collect()
    assert open_fds() == fds
    assert root.bindtags() == tags
    assert _commands(root) == commands
    assert root.tk.call("after", "info") == root.tk.call("after", "info")  # still usable
    root.update()


def test_a_backend_dropped_on_a_worker_is_released_on_the_tk_thread(root: tkinter.Tk) -> None:
    gc.collect()
    fds, tags, commands = open_fds(), root.bindtags(), _commands(root)
    box: list[Any] = [ud.Dispatcher(TkBackend(root))]
    assert open_fds() == fds + 2
    dropped = threading.Event()

    def drop() -> None:
        box.clear()  # the last reference goes here, off the Tk thread: no Tcl call
        dropped.set()

    threading.Thread(target=drop).start()
    assert dropped.wait(10)
    assert _pump_until(root, lambda: open_fds() == fds)  # the pipe's handler released it
    assert root.bindtags() == tags
    assert _commands(root) == commands


@pytest.mark.parametrize("steps", [1, 3, 7])
def test_a_timer_past_tcls_cap_is_rearmed_in_steps_and_never_fires_early(
    root: tkinter.Tk, monkeypatch: pytest.MonkeyPatch, steps: int
) -> None:
    # Tcl's real cap is 2**31 - 1 ms (24.8 days): the same logic with a 25 ms cap.
    monkeypatch.setattr(tk_timer, "MAX_MS", 25)
    d = ud.Dispatcher(TkBackend(root))
    try:
        delay = 0.025 * steps - 0.005
        fired: list[float] = []
        t0 = time.monotonic()
        d.call_later(delay, lambda: fired.append(time.monotonic() - t0))
        assert _pump_until(root, lambda: fired)
        assert fired[0] >= delay
    finally:
        d.close()


def test_a_stepped_timer_is_cancelled_between_steps(
    root: tkinter.Tk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tk_timer, "MAX_MS", 10)
    d = ud.Dispatcher(TkBackend(root))
    try:
        fired: list[int] = []
        handle = d.call_later(0.2, lambda: fired.append(1))
        time.sleep(0.05)
        root.update()  # a few steps have passed
        handle.cancel()
        guard: list[int] = []
        d.call_later(0.3, lambda: guard.append(1))
        assert _pump_until(root, lambda: guard)
        assert fired == []
    finally:
        d.close()
