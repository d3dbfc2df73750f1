"""The benchmark's variants: ways of handing calls to the main thread, and their main loops.

``uidispatch`` (ours), ``schedule_once`` (``Clock.schedule_once(cb, 0)`` per call, the
naive primitive), ``mainthread`` (Kivy's ``@mainthread``, the helper) and ``floor`` (a
``SimpleQueue`` whose main thread blocks in ``get``). The Kivy main loop is
``Clock.tick()`` then ``Clock.tick_draw()``, paced by the default Clock at ``maxfps``.
"""

from __future__ import annotations

import functools
import itertools
import statistics
import threading
import time
from collections.abc import Callable
from queue import Empty
from typing import Any

from uidispatch._tools._bench_variants import Floor, Ours
from uidispatch._tools._bench_workloads import Fn, Post, Variant

__all__ = ["VARIANTS", "OnFrame", "Post", "aio_toolkit", "checker_cases"]

OnFrame = Callable[[], None]


class _KivyVariant(Variant):
    frame_s: float | None = None
    """The median idle frame period, once :meth:`idle_wakeups` has measured it."""
    on_frame: OnFrame | None = None
    """Called after every frame of :meth:`run_main`, when set."""

    def open(self) -> None:
        # As in an app; kivy.base also schedules Kivy's own Cache purge on the Clock.
        import kivy.base  # type: ignore[import-untyped]  # noqa: F401
        from kivy.clock import Clock  # type: ignore[import-untyped]

        self.clock: Any = Clock
        self.baseline_events = len(Clock.get_events())

    def frame(self) -> None:
        """One frame: what ``EventLoop.idle()`` does minus input and painting."""
        self.clock.tick()
        self.clock.tick_draw()

    def run_main(self, done: threading.Event, tick: OnFrame | None) -> None:
        on_frame = self.on_frame
        timer = self.clock.schedule_interval(lambda dt: tick(), 0.01) if tick else None
        try:
            while not done.is_set():
                self.frame()
                if on_frame is not None:
                    on_frame()
        finally:
            if timer is not None:
                timer.cancel()

    def idle_wakeups(self, seconds: float) -> float:
        # Work first, so that anything a variant leaves armed shows up below.
        done = threading.Event()
        self.poster()(lambda _: done.set(), None)
        self.run_main(done, None)
        self.frame()
        events = 0
        perf = time.perf_counter
        stamps = [perf()]
        end = stamps[0] + seconds
        while stamps[-1] < end:
            self.frame()
            stamps.append(perf())
            events += len(self.clock.get_events()) - self.baseline_events
        self.frame_s = statistics.median(b - a for a, b in itertools.pairwise(stamps))
        return events / seconds


class _Uidispatch(Ours, _KivyVariant):
    def open(self) -> None:
        super().open()
        import uidispatch as ud

        self.dispatcher = ud.get_dispatcher("kivy")

    def close(self) -> None:
        self.dispatcher.close()


def _call_with(fn: Fn, arg: Any, dt: float) -> None:
    fn(arg)


class _ScheduleOnce(_KivyVariant):
    name, kind = "schedule_once", "naive"

    def poster(self) -> Post:
        schedule = self.clock.schedule_once
        partial = functools.partial
        return lambda fn, arg: schedule(partial(_call_with, fn, arg), 0)

    def produce(self, fn: Fn, start: int, stop: int) -> None:
        schedule = self.clock.schedule_once
        partial = functools.partial
        for i in range(start, stop):
            schedule(partial(_call_with, fn, i), 0)


class _Mainthread(_KivyVariant):
    name, kind = "mainthread", "helper"

    def open(self) -> None:
        super().open()
        from kivy.clock import mainthread

        self.mainthread = mainthread
        self.wrapped: dict[Any, Fn] = {}

    def poster(self) -> Post:
        # Decorated once per function, as an app decorates its callback once.
        wrapped = self.wrapped
        mainthread = self.mainthread

        def post(fn: Fn, arg: Any) -> object:
            w = wrapped.get(fn)
            if w is None:
                w = wrapped[fn] = mainthread(fn)
            return w(arg)

        return post

    def produce(self, fn: Fn, start: int, stop: int) -> None:
        post = self.mainthread(fn)
        for i in range(start, stop):
            post(i)


class _Floor(Floor):
    """The shared pure-Python floor, with this bench's own consumer and timed posts.

    With a producer and a consumer taking turns with the GIL even where the consumer
    checks for ``tick`` moves the figures (about 4.3M against 2.9M calls/s from one
    producer, in one process), and these are the floor's figures in every kivy report
    so far; its post times have always gone through :meth:`poster` too.
    """

    produce_timed = Variant.produce_timed

    def run_main(self, done: threading.Event, tick: OnFrame | None) -> None:
        get = self.queue.get
        perf = time.perf_counter
        due = perf() + 0.01
        while not done.is_set():
            if tick is None:
                fn, arg = get()
                fn(arg)
                continue
            try:
                fn, arg = get(timeout=max(0.0, due - perf()))
            except Empty:
                tick()
                due = perf() + 0.01
                continue
            fn(arg)
            if perf() >= due:
                tick()
                due = perf() + 0.01


VARIANTS: dict[str, type[Variant]] = {
    v.name: v for v in (_Uidispatch, _ScheduleOnce, _Mainthread, _Floor)
}


# ------------------------------------------------------------------------- extra rows


def _label(variant: Variant) -> Callable[[str], object]:
    from kivy.uix.label import Label  # type: ignore[import-untyped]

    widget = Label(text="-")
    return lambda text: setattr(widget, "text", text)


def aio_toolkit() -> Any:
    """The Kivy part of the guest-mode rows (``uidispatch._tools._bench_aio``)."""
    from uidispatch._tools._bench_aio import Toolkit

    return Toolkit(_Uidispatch, _ScheduleOnce, _label)


def checker_cases(calls: int, toolkit_calls: int) -> list[Any]:
    """The Kivy cases of the checker's cost rows (``uidispatch._tools._bench_checker``)."""
    from uidispatch._tools._bench_checker import Case, pure_python

    set_text = _label(_Uidispatch())
    texts = ("a", "b")

    def ui_sets() -> None:
        for i in range(toolkit_calls):
            set_text(texts[i & 1])

    return [pure_python(calls), Case("checker: UI thread Kivy property sets", ui_sets, False)]
