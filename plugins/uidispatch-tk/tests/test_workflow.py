"""Workflow features on the real Tk loop: a spinner bound with on_busy, streamed items."""

from __future__ import annotations

import threading
import tkinter
from collections.abc import Callable

from conftest import Mainloop

import uidispatch as ud
from uidispatch.testing import ErrorCollector

WAIT = 10.0


def test_a_label_bound_with_on_busy_shows_busy_while_a_task_runs_then_idle(
    root: tkinter.Tk, tk_dispatcher: ud.Dispatcher, mainloop: Mainloop
) -> None:
    pool = ud.Pool(max_workers=2, dispatcher=tk_dispatcher)
    label = tkinter.Label(root, text="?")
    label.pack()
    seen: list[bool] = []

    def show(busy: bool) -> None:
        assert threading.current_thread() is threading.main_thread()
        seen.append(busy)
        label.configure(text="loading…" if busy else "")

    pool.on_busy(show, owner=label)
    assert label.cget("text") == ""  # the current state, at once
    gate = threading.Event()
    rows: list[int] = []
    task = pool.submit(gate.wait, WAIT, on_done=lambda _: rows.append(1))
    assert mainloop(root, lambda: label.cget("text") == "loading…")
    gate.set()
    assert mainloop(root, lambda: seen[-1] is False)
    assert rows == [1]  # on_done ran before the spinner stopped
    assert task.done()
    assert seen == [False, True, False]
    pool.shutdown(wait=True)


def test_on_item_fills_a_listbox_with_every_item_in_order(
    root: tkinter.Tk, tk_dispatcher: ud.Dispatcher, mainloop: Mainloop
) -> None:
    pool = ud.Pool(max_workers=2, dispatcher=tk_dispatcher)
    box = tkinter.Listbox(root)
    box.pack()
    done: list[str] = []

    def results() -> str:
        for i in range(2000):
            ud.emit(f"row {i}")
        return "end"

    pool.submit(
        results, on_item=lambda row: box.insert("end", row), on_done=done.append, max_buffered=50
    )
    assert mainloop(root, lambda: done)
    assert box.size() == 2000
    assert box.get(0) == "row 0"
    assert box.get("end") == "row 1999"
    pool.shutdown(wait=True)


def test_closing_the_window_mid_stream_releases_the_producer(
    make_root: Callable[[], tkinter.Tk], mainloop: Mainloop
) -> None:
    root = make_root()
    d = ud.get_dispatcher("tk", app=root)
    collector = ErrorCollector()
    d.error_handler = collector
    pool = ud.Pool(max_workers=1, dispatcher=d)
    box = tkinter.Listbox(root)
    box.pack()

    def rows() -> int:
        for i in range(5000):
            ud.emit(f"row {i}")
        return 5000

    task = pool.submit(rows, on_item=lambda row: box.insert("end", row), max_buffered=10, owner=box)
    assert mainloop(root, lambda: box.size() > 0)
    root.destroy()  # the user closes the window while rows stream in
    # Nobody cancels: the producer, waiting for a UI that will never turn, is let go.
    assert task.result(WAIT) == 5000
    assert d.closed
    assert collector.errors == []  # no insert into the destroyed listbox was attempted
    pool.shutdown(wait=True)


def test_a_spinner_destroyed_while_busy_is_skipped_not_called(
    root: tkinter.Tk, tk_dispatcher: ud.Dispatcher, mainloop: Mainloop
) -> None:
    pool = ud.Pool(max_workers=1, dispatcher=tk_dispatcher)
    label = tkinter.Label(root)
    label.pack()
    pool.on_busy(lambda busy: label.configure(text="…" if busy else ""), owner=label)
    gate = threading.Event()
    task = pool.submit(gate.wait, WAIT)
    assert mainloop(root, lambda: label.cget("text") == "…")
    label.destroy()  # the dialog holding the spinner closes while the work runs
    gate.set()
    task.result(WAIT)
    assert mainloop(root, lambda: not pool.busy())
    root.update()  # a call on the destroyed label would raise TclError into the handler
    pool.shutdown(wait=True)


def test_an_operation_shows_a_spinner_while_it_runs_and_restarts_across_handlers(
    root: tkinter.Tk, tk_dispatcher: ud.Dispatcher, mainloop: Mainloop
) -> None:
    pool = ud.Pool(max_workers=2, dispatcher=tk_dispatcher)
    text = tkinter.StringVar(root)
    tkinter.Entry(root, textvariable=text).pack()
    spinner = tkinter.Label(root)
    spinner.pack()
    gates = {"a": threading.Event(), "ab": threading.Event()}
    started = threading.Event()
    seen: list[bool] = []
    shown: list[str] = []

    @pool.operation(if_running="restart")
    def search(query: str) -> str:
        started.set()
        while not gates[query].wait(0.01):
            ud.check_cancelled()
        return query.upper()

    def show_busy(busy: bool) -> None:
        assert threading.current_thread() is threading.main_thread()
        seen.append(busy)
        spinner.configure(text="searching…" if busy else "")

    search.on_busy(show_busy, owner=spinner)
    # Two event handlers, one policy: typing and the Search button.
    text.trace_add("write", lambda *_: search.submit(text.get(), on_done=shown.append))
    button = tkinter.Button(
        root, text="Search", command=lambda: search.submit(text.get(), on_done=shown.append)
    )
    button.pack()
    text.set("a")  # typing starts a search...
    assert mainloop(root, lambda: spinner.cget("text") == "searching…")
    assert started.wait(WAIT)
    first = search.last
    text.set("ab")  # ... typing on restarts it ...
    second = search.last
    button.invoke()  # ... and so does the button, from its own handler
    assert first is not None
    assert first.cancelled()
    assert second is not None
    assert second is not first
    assert second.cancelled()
    gates["ab"].set()
    assert mainloop(root, lambda: spinner.cget("text") == "")
    assert shown == ["AB"]  # on_done ran before the spinner stopped
    assert seen == [False, True, False]
    assert search.count == 3
    pool.shutdown(wait=True)
