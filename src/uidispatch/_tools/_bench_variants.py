"""The benchmark variants every backend shares: uidispatch itself, and the pure-Python ones.

:class:`Ours` is uidispatch's side of a backend's variant (``call_soon`` on a posting
path; the backend's subclass opens its loop and sets ``dispatcher``). :class:`Floor` is
the pure-Python handoff floor (a ``SimpleQueue`` whose main thread blocks in ``get``) and
:class:`SpinningDeque` the pure-Python limit (a ``deque`` handed to a consumer that spins).
Their hot loops post directly, never through a wrapper call per post, which would flatter
the variants compared with them.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from queue import Empty, SimpleQueue
from typing import Any

from ._bench_paths import PATHS, Owner, produce_path
from ._bench_workloads import Fn, Post, Tick, Variant

__all__ = ["Floor", "Ours", "Put", "SpinningDeque"]


class Ours(Variant):
    """uidispatch's ``dispatcher.call_soon`` on posting path ``path``.

    A backend's subclass also derives from its loop's variant and sets ``dispatcher`` in
    ``open``.
    """

    name, kind = "uidispatch", "ours"
    paths = PATHS
    path = "plain"
    """The path :meth:`produce` and :meth:`produce_timed` post on (``_bench_paths.PATHS``)."""
    dispatcher: Any

    def poster(self) -> Post:
        """The dispatcher's ``call_soon``."""
        return self.dispatcher.call_soon  # type: ignore[no-any-return]

    def produce(self, fn: Fn, start: int, stop: int) -> None:
        """Post ``fn(i)`` for ``i`` in ``range(start, stop)`` on :attr:`path`."""
        produce_path(self.dispatcher, self.path, Owner())(fn, start, stop)

    def produce_timed(self, fn: Fn, n: int, times: list[int]) -> None:
        """Post ``fn(i)`` ``n`` times (unique ``key=i`` on the key path), timing each."""
        if self.path != "key":
            super().produce_timed(fn, n, times)
            return
        post = self.dispatcher.call_soon
        pc = time.perf_counter_ns
        record = times.append
        for i in range(n):
            t = pc()
            post(fn, i, key=i)
            record(pc() - t)


class Put(Variant):
    """A variant whose worker side is ``self.queue.put((fn, arg))``."""

    queue: Any

    def poster(self) -> Post:
        """``post(fn, arg)``: put the pair."""
        put = self.queue.put
        return lambda fn, arg: put((fn, arg))

    def produce(self, fn: Fn, start: int, stop: int) -> None:
        """Put ``(fn, i)`` for ``i`` in ``range(start, stop)`` flat out."""
        put = self.queue.put
        for i in range(start, stop):
            put((fn, i))

    def produce_timed(self, fn: Fn, n: int, times: list[int]) -> None:
        """Put ``(fn, i)`` ``n`` times, recording each put's duration in ns."""
        put = self.queue.put
        pc = time.perf_counter_ns
        record = times.append
        for i in range(n):
            t = pc()
            put((fn, i))
            record(pc() - t)


class Floor(Put):
    """The pure-Python handoff floor: the main thread blocks in ``SimpleQueue.get``.

    With the producer and the consumer taking turns with the GIL, the shape of the
    consumer's loop is part of the figure (a flag instead of ``done.is_set()`` moves
    it by a third), so the tk and kivy benches keep their own :meth:`run_main`.
    """

    name, kind = "floor", "floor"

    def open(self) -> None:
        """A fresh queue."""
        self.queue: SimpleQueue[tuple[Fn, Any]] = SimpleQueue()

    def run_main(self, done: threading.Event, tick: Tick | None) -> None:
        """Run the calls until ``done``; with ``tick``, time out of ``get`` every 10 ms."""
        get = self.queue.get
        if tick is None:
            while not done.is_set():
                fn, arg = get()
                fn(arg)
            return
        perf = time.perf_counter
        due = perf() + 0.01
        while not done.is_set():
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
        """0.0: the main thread blocks in ``get``, which nothing but a put can wake."""
        try:
            self.queue.get(timeout=seconds)
        except Empty:
            return 0.0
        return 1 / seconds  # pragma: no cover - nothing puts


class SpinningDeque(Floor):
    """The pure-Python limit: a ``deque`` whose consumer spins on ``popleft`` (burns a core)."""

    name, kind = "spinning deque", "limit"

    def open(self) -> None:
        """A fresh deque."""
        self.deque: deque[tuple[Fn, Any]] = deque()

    def poster(self) -> Post:
        """``post(fn, arg)``: append the pair."""
        append = self.deque.append
        return lambda fn, arg: append((fn, arg))

    def produce(self, fn: Fn, start: int, stop: int) -> None:
        """Append ``(fn, i)`` for ``i`` in ``range(start, stop)`` flat out."""
        append = self.deque.append
        for i in range(start, stop):
            append((fn, i))

    def produce_timed(self, fn: Fn, n: int, times: list[int]) -> None:
        """Append ``(fn, i)`` ``n`` times, recording each append's duration in ns."""
        append = self.deque.append
        pc = time.perf_counter_ns
        record = times.append
        for i in range(n):
            t = pc()
            append((fn, i))
            record(pc() - t)

    def run_main(self, done: threading.Event, tick: Tick | None) -> None:
        """Spin on ``popleft`` until ``done``; ``tick`` when due, checked every 64 calls."""
        pop = self.deque.popleft
        perf = time.perf_counter
        due = perf() + 0.01
        n = 0
        while True:
            try:
                fn, arg = pop()
            except IndexError:
                if done.is_set():
                    return
                if tick is not None and perf() >= due:
                    tick()
                    due = perf() + 0.01
                continue
            fn(arg)
            n += 1
            if tick is not None and not n & 63 and perf() >= due:
                tick()
                due = perf() + 0.01

    def idle_wakeups(self, seconds: float) -> float:
        """NaN: it never sleeps, so no figure compares."""
        return float("nan")
