"""The benchmark's variants: each way of handing calls to the Tk thread, with its loop.

Used by :mod:`uidispatch_tk.bench`, whose child processes open one variant each and run
every workload of ``uidispatch._tools._bench_workloads`` on it.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from uidispatch._tools._bench_checker import Case
from uidispatch._tools._bench_variants import Floor, Ours, Put
from uidispatch._tools._bench_workloads import Fn, Post, Variant

__all__ = ["KINDS", "VARIANTS", "label", "tk_calls"]

KINDS = {"uidispatch": "ours", "after0": "naive", "queue_poll": "helper", "floor": "floor"}
"""Every variant, in table order, and its kind."""


class _TkLoop(Variant):
    """A Tk root's ``mainloop``, ended by ``quit``; the UI timer is a re-armed ``after``."""

    def open(self) -> None:
        import tkinter

        from uidispatch.testing import ensure_display

        ensure_display()
        self.root = tkinter.Tk()
        self.root.geometry("200x100")
        self.root.update()
        self._tick: str | None = None

    def post(self, fn: Fn, arg: Any) -> None:
        """Worker side: have ``fn(arg)`` run on the Tk thread."""
        raise NotImplementedError

    def poster(self) -> Post:
        return self.post

    def run_main(self, done: threading.Event, tick: Callable[[], None] | None) -> None:
        if tick is not None:
            self._every(0.010, tick)
        self.root.mainloop()

    def finisher(self, done: threading.Event) -> Fn:
        def finished(_: object) -> None:
            done.set()
            if self._tick is not None:  # a stray tick would count as an idle wake-up
                self.root.after_cancel(self._tick)
                self._tick = None
            self.root.quit()

        return finished

    def _every(self, seconds: float, fn: Callable[[], object]) -> None:
        ms = round(seconds * 1000)

        def tick() -> None:
            fn()
            self._tick = self.root.after(ms, tick)

        self._tick = self.root.after(ms, tick)

    def idle_wakeups(self, seconds: float) -> float:
        import _tkinter

        tkapp = self.root.tk
        while tkapp.dooneevent(_tkinter.DONT_WAIT):
            pass  # settle: what is pending now is not idle activity
        stopped = [False]
        tkapp.createtimerhandler(round(seconds * 1000), lambda: stopped.__setitem__(0, True))
        count = 0
        start = time.perf_counter()
        while not stopped[0]:
            tkapp.dooneevent(0)
            count += 1
        return (count - 1) / (time.perf_counter() - start)  # minus the stop timer itself


class _Uidispatch(Ours, _TkLoop):
    def open(self) -> None:
        super().open()
        import uidispatch as ud

        self.dispatcher = ud.get_dispatcher("tk")  # the default root: what an app does


class _After0(_TkLoop):
    # mainloop() (in run_main) sets the flag that lets a worker's Tcl call through at all.
    def post(self, fn: Fn, arg: Any) -> None:
        self.root.after(0, fn, arg)


class _QueuePoll(Put, _TkLoop):
    """The common helper: a ``queue.Queue`` the Tk thread drains every 10 ms."""

    def open(self) -> None:
        super().open()
        self.queue = queue.Queue()
        self.root.after(10, self._poll)

    def _poll(self) -> None:
        get = self.queue.get_nowait
        try:
            while True:
                fn, arg = get()
                fn(arg)
        except queue.Empty:
            pass
        self.root.after(10, self._poll)


class _Floor(Floor):
    """The shared pure-Python floor, with this bench's own main loop.

    Its consumer checks a flag, not ``done.is_set()``: with a producer and a consumer
    taking turns with the GIL even that moves the figures (about 4.0M against 2.9M
    calls/s from one producer, in one process), and these are the floor's figures in
    every tk report so far.
    """

    def finisher(self, done: threading.Event) -> Fn:
        def finished(_: object) -> None:
            done.set()
            self._stopped = True

        return finished

    def run_main(self, done: threading.Event, tick: Callable[[], None] | None) -> None:
        self._stopped = False
        get = self.queue.get
        if tick is None:
            while not self._stopped:
                fn, arg = get()
                fn(arg)
            return
        perf = time.perf_counter
        due = perf() + 0.010
        while not self._stopped:
            try:
                fn, arg = get(timeout=max(0.0, due - perf()))
                fn(arg)
            except queue.Empty:
                pass
            if perf() >= due:
                tick()
                due = perf() + 0.010


VARIANTS: dict[str, Callable[[], Variant]] = {
    "uidispatch": _Uidispatch,
    "after0": _After0,
    "queue_poll": _QueuePoll,
    "floor": _Floor,
}


def label(variant: Variant) -> Callable[[str], object]:
    """A label on an open Tk variant's root; its text setter (the guest-mode rows)."""
    import tkinter

    widget = tkinter.Label(variant.root, text="-")  # type: ignore[attr-defined]
    widget.pack()
    return lambda text: widget.configure(text=text)


def tk_calls(n: int) -> Case:
    """The checker's case: ``n`` Tk calls on the UI thread (a label's ``configure``)."""
    import tkinter

    from uidispatch.testing import ensure_display

    ensure_display()
    root = tkinter.Tk()
    widget = tkinter.Label(root, text="-")
    widget.pack()
    texts = ("a", "b")

    def work() -> None:
        configure = widget.configure
        for i in range(n):
            configure(text=texts[i & 1])

    return Case("checker: UI thread Tk calls", work, worker=False)
