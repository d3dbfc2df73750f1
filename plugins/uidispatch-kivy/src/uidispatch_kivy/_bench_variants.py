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
from queue import Empty, SimpleQueue
from typing import Any

__all__ = ["VARIANTS", "OnFrame", "Post"]

Post = Callable[[Callable[[Any], object], Any], object]
OnFrame = Callable[[], None]


class _Variant:
    """One way of handing calls to the main thread, and the main loop that runs them."""

    name = ""
    kind = ""
    frame_s: float | None = None

    def open(self) -> None:
        """Prepare one measurement (main thread)."""

    def close(self) -> None:
        """Release what :meth:`open` made."""

    def poster(self) -> Post:
        """The worker's ``post(fn, arg)``."""
        raise NotImplementedError

    def produce(self, fn: Callable[[Any], object], start: int, stop: int) -> None:
        """Post ``fn(i)`` for ``i`` in ``range(start, stop)`` flat out (worker thread)."""
        post = self.poster()
        for i in range(start, stop):
            post(fn, i)

    def produce_timed(self, fn: Callable[[Any], object], n: int, times: list[int]) -> None:
        """Post ``fn(i)`` ``n`` times, recording each post's duration in ns."""
        post = self.poster()
        pc = time.perf_counter_ns
        record = times.append
        for i in range(n):
            t = pc()
            post(fn, i)
            record(pc() - t)

    def run_main(
        self, done: threading.Event, tick: OnFrame | None, on_frame: OnFrame | None
    ) -> None:
        """Run the main loop until ``done`` is set; ``tick`` every 10 ms; ``on_frame`` per frame."""
        raise NotImplementedError

    def idle_wakeups(self, seconds: float) -> float:
        """Wake-ups per second caused by this variant while nothing is posted."""
        raise NotImplementedError


class _KivyVariant(_Variant):
    def open(self) -> None:
        # As in an app; kivy.base also schedules Kivy's own Cache purge on the Clock.
        import kivy.base  # type: ignore[import-untyped]  # noqa: F401
        from kivy.clock import Clock  # type: ignore[import-untyped]

        self.clock: Any = Clock
        self.baseline_events = len(Clock.get_events())

    def frame(self) -> None:
        self.clock.tick()
        self.clock.tick_draw()

    def run_main(
        self, done: threading.Event, tick: OnFrame | None, on_frame: OnFrame | None
    ) -> None:
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
        self.run_main(done, None, None)
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


class _Uidispatch(_KivyVariant):
    name, kind = "uidispatch", "ours"

    def open(self) -> None:
        super().open()
        import uidispatch as ud

        self.dispatcher = ud.get_dispatcher("kivy")

    def close(self) -> None:
        self.dispatcher.close()

    def poster(self) -> Post:
        return self.dispatcher.call_soon


def _call_with(fn: Callable[[Any], object], arg: Any, dt: float) -> None:
    fn(arg)


class _ScheduleOnce(_KivyVariant):
    name, kind = "schedule_once", "naive"

    def poster(self) -> Post:
        schedule = self.clock.schedule_once
        partial = functools.partial
        return lambda fn, arg: schedule(partial(_call_with, fn, arg), 0)

    def produce(self, fn: Callable[[Any], object], start: int, stop: int) -> None:
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
        self.wrapped: dict[Any, Callable[[Any], object]] = {}

    def poster(self) -> Post:
        # Decorated once per function, as an app decorates its callback once.
        wrapped = self.wrapped
        mainthread = self.mainthread

        def post(fn: Callable[[Any], object], arg: Any) -> object:
            w = wrapped.get(fn)
            if w is None:
                w = wrapped[fn] = mainthread(fn)
            return w(arg)

        return post

    def produce(self, fn: Callable[[Any], object], start: int, stop: int) -> None:
        post = self.mainthread(fn)
        for i in range(start, stop):
            post(i)


class _Floor(_Variant):
    name, kind = "floor", "floor"

    def open(self) -> None:
        self.queue: SimpleQueue[tuple[Callable[[Any], object], Any]] = SimpleQueue()

    def poster(self) -> Post:
        put = self.queue.put
        return lambda fn, arg: put((fn, arg))

    def produce(self, fn: Callable[[Any], object], start: int, stop: int) -> None:
        put = self.queue.put
        for i in range(start, stop):
            put((fn, i))

    def run_main(
        self, done: threading.Event, tick: OnFrame | None, on_frame: OnFrame | None
    ) -> None:
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

    def idle_wakeups(self, seconds: float) -> float:
        try:  # the main thread blocks in get(): nothing wakes it without a put
            self.queue.get(timeout=seconds)
        except Empty:
            return 0.0
        return 1 / seconds  # pragma: no cover - nothing puts


VARIANTS: dict[str, type[_Variant]] = {
    v.name: v for v in (_Uidispatch, _ScheduleOnce, _Mainthread, _Floor)
}
