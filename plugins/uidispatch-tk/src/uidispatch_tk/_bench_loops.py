"""The benchmark's variants: each way of handing calls to the main thread, with its loop.

Used by :mod:`uidispatch_tk.bench`, whose child processes build one variant each.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from typing import Any

__all__ = ["KINDS", "VARIANTS", "Loop"]

KINDS = {"uidispatch": "ours", "after0": "naive", "queue_poll": "helper", "floor": "floor"}
"""Every variant, in table order, and its kind."""

Fn = Callable[[Any], object]


class Loop:
    """One way of handing calls to the main thread, and the main loop that runs them."""

    def post(self, fn: Fn, arg: Any) -> None:
        """Worker side: have ``fn(arg)`` run on the main thread."""
        raise NotImplementedError

    def produce(self, fn: Fn, start: int, stop: int) -> None:
        """Worker side: post ``fn(i)`` for ``i`` in ``range(start, stop)`` flat out."""
        post = self.post
        for i in range(start, stop):
            post(fn, i)

    def produce_timed(self, fn: Fn, n: int, times: list[int]) -> None:
        """Worker side: post ``fn(i)`` ``n`` times, recording each post's duration in ns."""
        post, pc, record = self.post, time.perf_counter_ns, times.append
        for i in range(n):
            t = pc()
            post(fn, i)
            record(pc() - t)

    def run(self) -> None:
        """Run the main loop until a callback calls :meth:`stop`."""
        raise NotImplementedError

    def stop(self) -> None:
        """End :meth:`run`; called on the main thread from a callback."""
        raise NotImplementedError

    def every(self, seconds: float, fn: Callable[[], object]) -> None:
        """Call ``fn`` on the main thread every ``seconds`` while :meth:`run` runs."""
        raise NotImplementedError

    def idle_wakeups(self, seconds: float) -> float:
        """Loop wake-ups per second with nothing posted."""
        raise NotImplementedError


class _TkLoop(Loop):
    def __init__(self) -> None:
        import tkinter

        from uidispatch.testing import ensure_display

        ensure_display()
        self.root = tkinter.Tk()
        self.root.geometry("200x100")
        self.root.update()
        self._tick: str | None = None

    def run(self) -> None:
        self.root.mainloop()

    def stop(self) -> None:
        if self._tick is not None:  # a stray tick would count as an idle wake-up
            self.root.after_cancel(self._tick)
            self._tick = None
        self.root.quit()

    def every(self, seconds: float, fn: Callable[[], object]) -> None:
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


class _Uidispatch(_TkLoop):
    def __init__(self) -> None:
        super().__init__()
        import uidispatch as ud

        self.dispatcher = ud.get_dispatcher("tk")  # the default root: what an app does

    def post(self, fn: Fn, arg: Any) -> None:
        self.dispatcher.call_soon(fn, arg)

    # The hot loops call call_soon directly: a wrapper call per post would flatter the others.
    def produce(self, fn: Fn, start: int, stop: int) -> None:
        call_soon = self.dispatcher.call_soon
        for i in range(start, stop):
            call_soon(fn, i)

    def produce_timed(self, fn: Fn, n: int, times: list[int]) -> None:
        call_soon, pc, record = self.dispatcher.call_soon, time.perf_counter_ns, times.append
        for i in range(n):
            t = pc()
            call_soon(fn, i)
            record(pc() - t)


class _After0(_TkLoop):
    # mainloop() (in run) sets the flag that lets a worker's Tcl call through at all.
    def post(self, fn: Fn, arg: Any) -> None:
        self.root.after(0, fn, arg)


class _Put(Loop):
    """Variants whose worker side is ``queue.put((fn, arg))``, inlined in the hot loops."""

    queue: queue.Queue[tuple[Fn, Any]] | queue.SimpleQueue[tuple[Fn, Any]]

    def post(self, fn: Fn, arg: Any) -> None:
        self.queue.put((fn, arg))

    def produce(self, fn: Fn, start: int, stop: int) -> None:
        put = self.queue.put
        for i in range(start, stop):
            put((fn, i))

    def produce_timed(self, fn: Fn, n: int, times: list[int]) -> None:
        put, pc, record = self.queue.put, time.perf_counter_ns, times.append
        for i in range(n):
            t = pc()
            put((fn, i))
            record(pc() - t)


class _QueuePoll(_Put, _TkLoop):
    def __init__(self) -> None:
        super().__init__()
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


class _Floor(_Put):
    def __init__(self) -> None:
        self.queue = queue.SimpleQueue()
        self._stopped = False
        self._tick: tuple[float, Callable[[], object]] | None = None

    def stop(self) -> None:
        self._stopped = True

    def every(self, seconds: float, fn: Callable[[], object]) -> None:
        self._tick = (seconds, fn)

    def run(self) -> None:
        self._stopped = False
        get = self.queue.get
        if self._tick is None:
            while not self._stopped:
                fn, arg = get()
                fn(arg)
            return
        period, tick = self._tick
        perf = time.perf_counter
        due = perf() + period
        while not self._stopped:
            try:
                fn, arg = get(timeout=max(0.0, due - perf()))
                fn(arg)
            except queue.Empty:
                pass
            if perf() >= due:
                tick()
                due = perf() + period
        self._tick = None

    def idle_wakeups(self, seconds: float) -> float:
        try:  # the main thread blocks in get(): nothing but a put can wake it
            self.queue.get(timeout=seconds)
        except queue.Empty:
            return 0.0
        return 1 / seconds  # pragma: no cover - nothing puts


VARIANTS: dict[str, Callable[[], Loop]] = {
    "uidispatch": _Uidispatch,
    "after0": _After0,
    "queue_poll": _QueuePoll,
    "floor": _Floor,
}
