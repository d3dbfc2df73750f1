"""The Qt benchmark's main loops and variants, built in the child process of each variant.

:func:`setup` returns a variant's main loop (a ``QEventLoop``, qasync's, or the
pure-Python floor's) and its worker-side ``post(fn, arg)``; :class:`Flooded` shows the
pair to the many-producer flood every backend's bench shares
(``uidispatch._tools._bench_workloads.freeze_many``). :func:`aio_toolkit` and
:func:`checker_cases` are the Qt parts of the guest-mode async and checker-cost rows.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

from uidispatch._tools._bench_paths import PATHS
from uidispatch._tools._bench_workloads import Fn, Post, Variant

__all__ = ["Flooded", "aio_toolkit", "checker_cases", "setup"]


# --------------------------------------------------------------------------- main loops


class _QtLoop:
    """The GUI thread's loop: a ``QEventLoop`` (or qasync's) plus Qt timers."""

    def __init__(self, qasync_loop: Any = None) -> None:
        from ._binding import QtCore

        self.QtCore = QtCore
        self._qasync = qasync_loop
        self._loop: Any = None
        self._future: Any = None

    def run(self, timeout: float) -> bool:
        """Run until :meth:`stop` (True) or ``timeout`` seconds (False). GUI thread."""
        stopped = [False]

        def on_timeout() -> None:
            if not stopped[0]:
                self._stop_loop()

        self._stopped = stopped
        if self._qasync is not None:
            import asyncio

            self._future = asyncio.Future(loop=self._qasync)
            handle = self._qasync.call_later(timeout, on_timeout)
            self._qasync.run_until_complete(self._future)
            handle.cancel()
        else:
            self._loop = loop = self.QtCore.QEventLoop()
            timer = self.every(timeout, on_timeout)
            from ._binding import exec_

            exec_(loop)
            timer.stop()
        return stopped[0]

    def _stop_loop(self) -> None:
        if self._qasync is not None:
            if not self._future.done():
                self._future.set_result(None)
        else:
            self._loop.quit()

    def stop(self) -> None:
        """End :meth:`run` successfully. GUI thread."""
        self._stopped[0] = True
        self._stop_loop()

    def every(self, period: float, fn: Callable[[], object]) -> Any:
        """A repeating precise ``QTimer``; returns it (``.stop()``)."""
        timer = self.QtCore.QTimer()
        timer.setTimerType(self.QtCore.Qt.TimerType.PreciseTimer)
        timer.timeout.connect(fn)
        timer.start(max(1, round(period * 1000)))
        return timer

    def count_wakeups(self, seconds: float) -> float:
        """Event-dispatcher wake-ups per second while idle.

        Counted in a window that leaves out the loop's entry (``awake`` fires once as
        the loop starts) and our own stop timer at the end.
        """
        stamps: list[float] = []
        dispatcher = self.QtCore.QAbstractEventDispatcher.instance()
        slot = lambda: stamps.append(time.perf_counter())  # noqa: E731
        dispatcher.awake.connect(slot)
        start = time.perf_counter()
        lo, hi = start + 0.05, start + seconds - 0.005
        self.run(seconds)
        dispatcher.awake.disconnect(slot)
        return sum(1 for t in stamps if lo < t < hi) / (hi - lo)


class _FloorLoop:
    """The pure-Python floor: the main thread blocks in ``SimpleQueue.get``."""

    def __init__(self) -> None:
        import queue

        self.queue: Any = queue.SimpleQueue()
        self._timers: list[list[Any]] = []

    def post(self, fn: Callable[[Any], object], arg: Any) -> None:
        self.queue.put((fn, arg))

    def run(self, timeout: float) -> bool:
        import queue

        self._running = True
        self._ok = False
        deadline = time.perf_counter() + timeout
        get = self.queue.get
        while self._running:
            now = time.perf_counter()
            if now >= deadline:
                return False
            wait = deadline - now
            for t in self._timers:
                if t[0] <= now:
                    t[0] += t[1]
                    t[2]()
                wait = min(wait, max(0.0, t[0] - now))
            try:
                fn, arg = get(timeout=wait)
            except queue.Empty:
                continue
            fn(arg)
        return self._ok

    def stop(self) -> None:
        self._running = False
        self._ok = True

    def every(self, period: float, fn: Callable[[], object]) -> Any:
        entry = [time.perf_counter() + period, period, fn]
        self._timers.append(entry)
        loop = self

        class _Stop:
            def stop(self) -> None:
                loop._timers.remove(entry)

        return _Stop()

    def count_wakeups(self, seconds: float) -> float:
        return 0.0  # get() blocks: only an item (none is posted) wakes the thread


# --------------------------------------------------------------------------- variants


def setup(variant: str) -> tuple[Any, Post]:
    """Build the main loop and the worker-side ``post(fn, arg)`` of one variant."""
    if variant == "floor":
        loop = _FloorLoop()
        return loop, loop.post
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from ._binding import QtCore, Signal, Slot

    app = QtCore.QCoreApplication.instance() or QtCore.QCoreApplication([])
    globals()["_app"] = app  # keep it alive for the process
    if variant == "uidispatch":
        import uidispatch as ud

        d = ud.get_dispatcher("qt")
        call_soon = d.call_soon
        return _QtLoop(), lambda fn, arg: call_soon(fn, arg)
    if variant == "signal":

        class Emitter(QtCore.QObject):
            sig = Signal(object, object)

        class Sink(QtCore.QObject):
            @Slot(object, object)
            def run(self, fn: Callable[[Any], object], arg: Any) -> None:
                fn(arg)

        emitter, sink = Emitter(), Sink()
        emitter.sig.connect(sink.run, QtCore.Qt.ConnectionType.QueuedConnection)
        globals()["_keep"] = (emitter, sink)
        emit = emitter.sig.emit
        return _QtLoop(), lambda fn, arg: emit(fn, arg)
    if variant == "singleshot":
        import functools

        ctx = QtCore.QObject()
        globals()["_keep"] = ctx
        single = QtCore.QTimer.singleShot
        partial = functools.partial
        return _QtLoop(), lambda fn, arg: single(0, ctx, partial(fn, arg))
    if variant == "superqt_ensure_main_thread":
        from superqt.utils import ensure_main_thread

        @ensure_main_thread
        def run(fn: Callable[[Any], object], arg: Any) -> None:
            fn(arg)

        return _QtLoop(), run
    if variant == "qasync_call_soon_threadsafe":
        import asyncio

        import qasync  # type: ignore[import-untyped]

        qloop = qasync.QEventLoop(app)
        asyncio.set_event_loop(qloop)
        threadsafe = qloop.call_soon_threadsafe
        return _QtLoop(qloop), lambda fn, arg: threadsafe(fn, arg)
    raise ValueError(f"unknown benchmark variant {variant!r}")


class Flooded(Variant):
    """A variant's main loop and ``post`` as the shared many-producer flood sees them.

    With a ``dispatcher`` (ours), the flood covers every posting path.
    """

    def __init__(self, loop: Any, post: Post, dispatcher: Any = None) -> None:
        self.loop = loop
        self.post = post
        if dispatcher is not None:
            self.dispatcher = dispatcher
            self.paths = PATHS

    def poster(self) -> Post:
        return self.post

    def run_main(self, done: threading.Event, tick: Callable[[], None] | None) -> None:
        timer = self.loop.every(0.010, tick) if tick is not None else None
        self.loop.run(300)
        if timer is not None:
            timer.stop()

    def finisher(self, done: threading.Event) -> Fn:
        def end(_: object) -> None:
            done.set()
            self.loop.stop()

        return end


# --------------------------------------------------------------------------- extra rows


def _widgets_app() -> Any:
    """A ``QApplication`` (widgets need one; :func:`setup` then reuses it)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from ._binding import qt_module

    widgets = qt_module("QtWidgets")
    app = widgets.QApplication.instance() or widgets.QApplication([])
    globals()["_app_keep"] = app
    return widgets


def _variant(name: str) -> Variant:
    _widgets_app()
    loop, post = setup(name)
    if name == "uidispatch":
        import uidispatch as ud

        return Flooded(loop, post, ud.get_dispatcher("qt"))
    return Flooded(loop, post)


def _label(variant: Variant) -> Callable[[str], object]:
    widget = _widgets_app().QLabel("-")
    globals()["_label_keep"] = widget
    return widget.setText  # type: ignore[no-any-return]


def _qasync(tk: Any, sizes: Any) -> dict[str, Any]:
    """The guest-mode row of qasync: the coroutine on qasync's loop, on the GUI thread."""
    import asyncio

    from uidispatch._tools._bench_aio import Ops, run_on_loop

    v = _variant("qasync_call_soon_threadsafe")
    qloop = v.loop._qasync  # type: ignore[attr-defined]
    set_text = _label(v)
    runs = [0]
    handle_run = asyncio.events.Handle._run

    def counted(self: asyncio.events.Handle) -> None:
        runs[0] += 1  # qasync runs every callback and timer from its own Qt timer
        handle_run(self)

    asyncio.events.Handle._run = counted  # type: ignore[method-assign]

    async def sleep0() -> None:
        await asyncio.sleep(0)

    async def update(text: str) -> None:
        set_text(text)
        await asyncio.sleep(0)

    def start(main: Callable[[], Any], finished: Callable[[], object]) -> None:
        task = qloop.create_task(main())
        task.add_done_callback(lambda _: finished())

    ops = Ops(sleep0, asyncio.sleep, update, lambda: runs[0])
    return run_on_loop(v, start, ops, sizes)


def aio_toolkit() -> Any:
    """The Qt part of the guest-mode rows (``uidispatch._tools._bench_aio``)."""
    import importlib.util

    from uidispatch._tools._bench_aio import Toolkit

    helpers: dict[str, Any] = {}
    if importlib.util.find_spec("qasync") is not None:
        helpers["aio qasync"] = ("helper", _qasync)
    return Toolkit(
        lambda: _variant("uidispatch"), lambda: _variant("signal"), _label, helpers=helpers
    )


def checker_cases(calls: int, toolkit_calls: int) -> list[Any]:
    """The Qt cases of the checker's cost rows (``uidispatch._tools._bench_checker``)."""
    from uidispatch._tools._bench_checker import Case, pure_python

    widgets = _widgets_app()
    from ._binding import QtCore

    label = widgets.QLabel("-")
    globals()["_checker_keep"] = label
    texts = ("a", "b")

    def worker_own() -> None:
        obj = QtCore.QObject()  # created on this worker: it owns it, every call is legal
        for i in range(toolkit_calls):
            obj.setObjectName(texts[i & 1])
            obj.objectName()

    def ui_calls() -> None:
        set_text = label.setText
        for i in range(toolkit_calls):
            set_text(texts[i & 1])

    return [
        pure_python(calls),
        Case("checker: worker own-object Qt calls", worker_own, worker=True),
        Case("checker: UI thread Qt calls", ui_calls, worker=False),
    ]
