"""Modal dialogs: dispatch goes on inside the nested loop a callback runs (wait_window)."""

from __future__ import annotations

import threading
import tkinter
from collections.abc import Callable

import uidispatch as ud


def _open_modal(root: tkinter.Tk, opened: threading.Event, out: list[object]) -> tkinter.Toplevel:
    top = tkinter.Toplevel(root)
    top.geometry("80x40")
    top.update()
    top.grab_set()  # what a modal dialog does
    # Without dispatch inside the modal nothing would close it: fail instead of hanging.
    top.after(8000, top.destroy)
    out.append("opened")
    opened.set()
    return top


def test_a_modal_opened_by_a_dispatched_callback_keeps_dispatching_in_order(
    root: tkinter.Tk, tk_dispatcher: ud.Dispatcher, mainloop: Callable[..., bool]
) -> None:
    d = tk_dispatcher
    out: list[object] = []
    during: list[bool] = []
    opened = threading.Event()
    modal = [False]
    tops: list[tkinter.Toplevel] = []

    def record(i: int) -> None:
        out.append(i)
        during.append(modal[0])

    def close_dialog() -> None:
        out.append("close")
        tops[0].destroy()

    def ask() -> None:
        top = _open_modal(root, opened, out)
        tops.append(top)
        modal[0] = True
        root.wait_window(top)  # a nested Tk event loop, as askyesno runs
        modal[0] = False
        out.append("answered")
        d.call_soon(out.append, "after")  # posted by the callback itself: runs after

    def produce() -> None:
        assert opened.wait(10)
        for i in range(50):
            d.call_soon(record, i)
        d.call_soon(close_dialog)

    worker = threading.Thread(target=produce, daemon=True)
    worker.start()
    d.call_soon(ask)
    assert mainloop(root, lambda: "after" in out, timeout=20), out
    worker.join(10)
    assert out == ["opened", *range(50), "close", "answered", "after"]
    assert during == [True] * 50  # every worker call ran while the modal was up


def test_a_worker_waits_on_call_while_a_modal_is_up_and_closes_it(
    root: tkinter.Tk, tk_dispatcher: ud.Dispatcher, mainloop: Callable[..., bool]
) -> None:
    """The docs' pattern: ``@main_thread(wait=True)`` around a dialog; another worker's
    blocking ``call()`` answers during the modal and the dialog is closed by a dispatched call.
    """
    d = tk_dispatcher
    out: list[object] = []
    opened = threading.Event()
    results: list[object] = []
    tops: list[tkinter.Toplevel] = []

    @d.main_thread(wait=True)
    def ask() -> str:
        top = _open_modal(root, opened, out)
        tops.append(top)
        root.wait_window(top)
        return "yes"

    def asker() -> None:
        results.append(ask())

    def close_dialog() -> None:
        out.append("closed by a call")
        tops[0].destroy()

    def other() -> None:
        assert opened.wait(10)
        # Answered inside the modal: the dialog is still up.
        results.append(d.call(lambda: tops[0].winfo_exists(), timeout=10))
        d.call(close_dialog, timeout=10)

    threads = [threading.Thread(target=t, daemon=True) for t in (asker, other)]
    for t in threads:
        t.start()
    assert mainloop(root, lambda: len(results) == 2, timeout=20), results
    for t in threads:
        t.join(10)
    assert sorted(map(str, results)) == ["1", "yes"]
    assert out == ["opened", "closed by a call"]
