"""The measuring side of the Qt benchmark: main loops, variants and phases.

Runs inside a fresh process that ``bench.py`` starts per variant
(``python -m uidispatch_qt.bench --child VARIANT --phases ...``) and prints one JSON line
per finished phase, so a crash loses only the phase it happened in.
"""

from __future__ import annotations

import faulthandler
import itertools
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["PHASES", "phase_timeout", "run_child"]

PHASES = ("thr1", "thr4", "post", "idle", "freeze", "wakeups", "freeze8")
"""Every phase, in the order a child runs them."""


def phase_timeout(scale: float) -> float:
    """Seconds one phase may take before its process is ended and the phase reported hung.

    The slowest healthy phase (qasync's freeze, 100,000 calls at ~20,000/s) takes ~5 s.
    """
    return 5.0 + 15.0 * min(scale, 1.0)


Post = Callable[[Callable[[Any], object], Any], object]


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


def _setup(variant: str) -> tuple[Any, Post]:
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


# --------------------------------------------------------------------------- phases


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _throughput(loop: Any, post: Post, calls: int, producers: int) -> dict[str, Any]:
    per = calls // producers
    out: list[int] = []
    done = [0, 0.0]
    starts: list[float] = []
    barrier = threading.Barrier(producers)

    def sentinel(_: object) -> None:
        done[0] += 1
        if done[0] == producers:
            done[1] = time.perf_counter()
            loop.stop()

    def producer(k: int) -> None:
        append = out.append
        barrier.wait()
        starts.append(time.perf_counter())
        for i in range(k * per, (k + 1) * per):
            post(append, i)
        post(sentinel, None)

    threads = [threading.Thread(target=producer, args=(k,)) for k in range(producers)]
    for t in threads:
        t.start()
    ok = loop.run(120)
    for t in threads:
        t.join()
    if not ok:
        return {"error": f"{len(out)} of {per * producers} calls ran before the time limit"}
    expected = list(range(per * producers))
    in_order = (
        out == expected
        if producers == 1
        else sorted(out) == expected
        and all(
            [x for x in out if k * per <= x < (k + 1) * per] == expected[k * per : (k + 1) * per]
            for k in range(producers)
        )
    )
    if not in_order:
        return {"error": "calls lost, repeated or out of per-producer order"}
    return {f"thr{producers}": per * producers / (done[1] - min(starts))}


def _post_cost(loop: Any, post: Post, calls: int) -> dict[str, Any]:
    costs: list[float] = []
    out: list[int] = []

    def producer() -> None:
        clock = time.perf_counter_ns
        append, record = out.append, costs.append
        for i in range(calls):
            t0 = clock()
            post(append, i)
            record(clock() - t0)
        post(lambda _: loop.stop(), None)

    t = threading.Thread(target=producer)
    t.start()
    ok = loop.run(120)
    t.join()
    if not ok or len(out) != calls:
        return {"error": "post phase did not finish"}
    return {"post_p50_us": _pct(costs, 0.5) / 1000, "post_p99_us": _pct(costs, 0.99) / 1000}


def _idle_latency(loop: Any, post: Post, posts: int) -> dict[str, Any]:
    lat: list[float] = []

    def record(t0: float) -> None:
        lat.append(time.perf_counter() - t0)

    def producer() -> None:
        for _ in range(posts):
            post(record, time.perf_counter())
            time.sleep(0.005)
        post(lambda _: loop.stop(), None)

    t = threading.Thread(target=producer)
    t.start()
    ok = loop.run(60)
    t.join()
    if not ok or len(lat) != posts:
        return {"error": "idle phase did not finish"}
    return {"idle_p50_us": _pct(lat, 0.5) * 1e6, "idle_p99_us": _pct(lat, 0.99) * 1e6}


def _freeze(loop: Any, post: Post, calls: int) -> dict[str, Any]:
    ticks: list[float] = []
    window = [0.0, 0.0]
    out: list[int] = []
    timer = loop.every(0.010, lambda: ticks.append(time.perf_counter()))

    def end(_: object) -> None:
        window[1] = time.perf_counter()
        loop.stop()

    def producer() -> None:
        append = out.append
        window[0] = time.perf_counter()
        for i in range(calls):
            post(append, i)
        post(end, None)

    t = threading.Thread(target=producer)
    t.start()
    ok = loop.run(120)
    timer.stop()
    t.join()
    if not ok or len(out) != calls:
        return {"error": "freeze phase did not finish"}
    marks = [window[0], *(x for x in ticks if window[0] < x < window[1]), window[1]]
    gaps = [round((b - a) * 1000, 3) for a, b in itertools.pairwise(marks)]
    return {"freeze_ms": max(gaps), "freeze_gaps_ms": gaps}


# superqt's helper crashes under back-to-back posting (BASELINES.md), and qasync's takes
# longer than a phase may for 800,000 posts (~68 k/s): one flood is enough for them.
_ONE_PRODUCER_ONLY = frozenset({"superqt_ensure_main_thread", "qasync_call_soon_threadsafe"})


def _freeze8(loop: Any, post: Post, variant: str, per: int) -> dict[str, Any]:
    """The longest timer gap while 8 producers flood, per posting path for ours."""
    from uidispatch._tools._bench_paths import (
        BOUNDED,
        PATHS,
        Owner,
        Produce,
        flood_gaps,
        produce_path,
    )

    if variant in _ONE_PRODUCER_ONLY:
        return {}
    d: Any = None
    if variant == "uidispatch":
        import uidispatch as ud

        d = ud.get_dispatcher("qt")

    def finish(done: threading.Event) -> None:
        def end(_: object) -> None:
            done.set()
            loop.stop()

        post(end, None)

    def run_main(done: threading.Event, tick: Callable[[], None]) -> None:
        timer = loop.every(0.010, tick)
        loop.run(300)
        timer.stop()

    def plain(fn: Callable[[Any], object], start: int, stop: int) -> None:
        for i in range(start, stop):
            post(fn, i)

    out: dict[str, Any] = {}
    for path in PATHS if d is not None else ("plain",):
        produce: Produce = plain
        if d is not None:
            d.configure(**(BOUNDED if path == "bounded" else {"max_pending": None}))
            d._q.max_drain = 0.0  # this flood's longest drain
            produce = produce_path(d, path, Owner())
        gaps = flood_gaps(run_main, produce, finish, 8, per)
        out["freeze8_ms" if path == "plain" else f"freeze8_{path}_ms"] = max(gaps, default=0.0)
        if path == "bounded":
            out["drain8_bounded_ms"] = d.stats().max_drain_ms
    return out


def _wakeups(loop: Any, post: Post, seconds: float) -> dict[str, Any]:
    # Use the transport once from a worker (some helpers run inline on the GUI thread),
    # then leave the loop idle.
    warm = threading.Thread(target=post, args=(lambda _: loop.stop(), None))
    warm.start()
    loop.run(5)
    warm.join()
    return {"idle_wakeups_per_s": loop.count_wakeups(seconds)}


def run_child(variant: str, phases: list[str], scale: float) -> None:
    """Run ``phases`` of ``variant`` here, printing one JSON line per finished phase."""
    loop, post = _setup(variant)
    n = max(8, int(50_000 * scale))
    for phase in phases:
        print(f"phase {phase}", file=sys.stderr, flush=True)
        # A helper that deadlocks in native code must not stall the whole benchmark.
        faulthandler.dump_traceback_later(phase_timeout(scale), exit=True)
        if phase == "thr1":
            result = _throughput(loop, post, n, 1)
        elif phase == "thr4":
            result = _throughput(loop, post, n, 4)
        elif phase == "post":
            result = _post_cost(loop, post, max(8, int(20_000 * scale)))
        elif phase == "idle":
            result = _idle_latency(loop, post, max(4, int(200 * min(scale, 1.0))))
        elif phase == "freeze":
            result = _freeze(loop, post, 2 * n)
        elif phase == "freeze8":
            result = _freeze8(loop, post, variant, 2 * n)
        else:
            result = _wakeups(loop, post, 1.0 if scale >= 1 else 0.5)
        faulthandler.cancel_dump_traceback_later()
        print(json.dumps({"phase": phase, **result}), flush=True)
    os._exit(0)  # skip interpreter teardown: some helpers crash at exit, not in the run
