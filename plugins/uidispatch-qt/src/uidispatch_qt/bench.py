"""Benchmark: uidispatch's ``qt`` backend against Qt's own ways of reaching the GUI thread.

Run ``python -m uidispatch_qt.bench [--json] [--quick]``. Each variant runs in a fresh
subprocess of this module (medians of 3 processes, 1 with ``--quick``); a variant that
crashes (superqt's ``ensure_main_thread`` does under back-to-back posting, BASELINES.md)
gets the crash as its row's ``error`` and its remaining phases rerun in a new process.
Every callback is a bare ``list.append``, so the numbers are pure transport costs.

Phases: ``thr1``/``thr4`` (calls/s, 50,000 calls from 1 worker or 4 x 12,500, first post
to last callback, all exactly once and in per-producer order), ``post`` (worker time per
post), ``idle`` (one post every 5 ms to an idle loop, post-to-run latency), ``freeze``
(longest gap of a 10 ms repeating GUI timer while a worker posts 100,000 calls flat out),
``wakeups`` (``QAbstractEventDispatcher.awake`` signals per second with nothing posted).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["VARIANTS", "main", "run_benchmark"]

VARIANTS: dict[str, str] = {
    "uidispatch": "ours",
    "signal": "naive",
    "superqt_ensure_main_thread": "helper",
    "qasync_call_soon_threadsafe": "helper",
    "singleshot": "helper",
    "floor": "floor",
}
"""Variant name -> kind, in table order."""

PHASES = ("thr1", "thr4", "post", "idle", "freeze", "wakeups")
METRICS = ("thr1", "thr4", "post_p50_us", "post_p99_us", "idle_p50_us", "idle_p99_us",
           "freeze_ms", "idle_wakeups_per_s")
NOTES = [
    "each variant runs in its own subprocess; medians of the runs per metric",
    "thr: calls/s from the first post to the last callback; all ran once, in order",
    "idle_wakeups_per_s: QAbstractEventDispatcher.awake signals with nothing posted "
    "(the floor blocks in SimpleQueue.get and wakes only for items)",
    "freeze_ms: longest gap of a 10 ms PreciseTimer while one worker posts flat out",
    "2 shared cores: compare ratios within one run, not absolute numbers across runs",
]

PHASE_TIMEOUT = 30.0
"""Seconds one phase may take before its process is ended and the phase reported hung."""

Post = Callable[[Callable[[Any], object], Any], None]


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
            loop.exec()
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
    from ._binding import QtCore

    app = QtCore.QCoreApplication.instance() or QtCore.QCoreApplication([])
    globals()["_app"] = app  # keep it alive for the process
    if variant == "uidispatch":
        import uidispatch as ud

        d = ud.get_dispatcher("qt")
        call_soon = d.call_soon
        return _QtLoop(), lambda fn, arg: call_soon(fn, arg)
    if variant == "signal":

        class Emitter(QtCore.QObject):
            sig = QtCore.Signal(object, object)

        class Sink(QtCore.QObject):
            @QtCore.Slot(object, object)
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

        import qasync

        qloop = qasync.QEventLoop(app)
        asyncio.set_event_loop(qloop)
        threadsafe = qloop.call_soon_threadsafe
        return _QtLoop(qloop), lambda fn, arg: threadsafe(fn, arg)
    raise ValueError(f"unknown variant {variant!r}; known: {', '.join(VARIANTS)}")


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
    in_order = out == expected if producers == 1 else sorted(out) == expected and all(
        [x for x in out if k * per <= x < (k + 1) * per] == expected[k * per:(k + 1) * per]
        for k in range(producers)
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
    return {"freeze_ms": max(b - a for a, b in zip(marks, marks[1:])) * 1000}


def _wakeups(loop: Any, post: Post, seconds: float) -> dict[str, Any]:
    # Use the transport once from a worker (some helpers run inline on the GUI thread),
    # then leave the loop idle.
    warm = threading.Thread(target=post, args=(lambda _: loop.stop(), None))
    warm.start()
    loop.run(5)
    warm.join()
    return {"idle_wakeups_per_s": loop.count_wakeups(seconds)}


def _child(variant: str, phases: list[str], scale: float) -> None:
    """Run ``phases`` of ``variant`` here, printing one JSON line per finished phase."""
    import faulthandler

    loop, post = _setup(variant)
    n = max(8, int(50_000 * scale))
    for phase in phases:
        print(f"phase {phase}", file=sys.stderr, flush=True)
        # A helper that deadlocks in native code must not stall the whole benchmark.
        faulthandler.dump_traceback_later(PHASE_TIMEOUT, exit=True)
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
        else:
            result = _wakeups(loop, post, 1.0 if scale >= 1 else 0.5)
        faulthandler.cancel_dump_traceback_later()
        print(json.dumps({"phase": phase, **result}), flush=True)
    os._exit(0)  # skip interpreter teardown: some helpers crash at exit, not in the run


# --------------------------------------------------------------------------- parent


def _run_variant(variant: str, scale: float) -> dict[str, Any]:
    """One fresh process (more after a crash): metrics, and the first error seen."""
    row: dict[str, Any] = {}
    errors: list[str] = []
    todo = list(PHASES)
    while todo:
        cmd = [sys.executable, "-m", "uidispatch_qt.bench", "--child", variant,
               "--phases", ",".join(todo), "--scale", str(scale)]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
            out, err, code = proc.stdout, proc.stderr, proc.returncode
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
            err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else exc.stderr or ""
            code = None
        for line in out.splitlines():
            result = json.loads(line)
            todo.remove(result.pop("phase"))
            if "error" in result:
                errors.append(result.pop("error"))
            row.update(result)
        if todo:
            current = [x.split()[1] for x in err.splitlines() if x.startswith("phase ")]
            phase = current[-1] if current else todo[0]
            if code is None or "Timeout (0:" in err:
                why = f"hung (over {PHASE_TIMEOUT:.0f} s)"
            elif code < 0:
                why = f"crashed ({signal.Signals(-code).name})"
            else:
                last = err.strip().splitlines()[-1:] or ["no output"]
                why = f"failed (exit {code}: {last[0][:200]})"
            errors.append(f"{phase}: {why}")
            todo.remove(phase)
    row["error"] = "; ".join(errors) or None
    return row


def run_benchmark(
    runs: int = 3, scale: float = 1.0, variants: list[str] | None = None
) -> dict[str, Any]:
    """Run every variant ``runs`` times in fresh processes; the JSON-shaped result.

    Main thread of a process without a Qt application (it starts subprocesses only).
    """
    rows = []
    for variant in variants or list(VARIANTS):
        results = [_run_variant(variant, scale) for _ in range(runs)]
        row: dict[str, Any] = {"variant": variant, "kind": VARIANTS[variant]}
        for metric in METRICS:
            values = [r[metric] for r in results if r.get(metric) is not None]
            row[metric] = round(statistics.median(values), 2) if values else None
        errors = sorted({r["error"] for r in results if r["error"]})
        row["error"] = "; ".join(errors) or None
        rows.append(row)
    return {"backend": "qt", "rows": rows, "notes": [*NOTES, _versions()]}


def _versions() -> str:
    import importlib.metadata as md

    parts = [f"Python {sys.version.split()[0]}"]
    for dist in ("PySide6-Essentials", "qasync", "superqt"):
        try:
            parts.append(f"{dist} {md.version(dist)}")
        except md.PackageNotFoundError:
            parts.append(f"{dist} missing")
    return ", ".join(parts)


def _table(result: dict[str, Any]) -> str:
    rows = result["rows"]
    naive = next((r for r in rows if r["kind"] == "naive"), None)
    head = ["variant", *METRICS, "thr1/naive", "thr4/naive"]
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    for r in rows:
        cells = [r["variant"]]
        cells += ["-" if r[m] is None else f"{r[m]:,.1f}" for m in METRICS]
        for m in ("thr1", "thr4"):
            base = naive[m] if naive else None
            cells.append(f"{r[m] / base:.1f}x" if r[m] and base else "-")
        lines.append(" | ".join(cells))
        if r["error"]:
            lines.append(f"  ({r['variant']} error: {r['error']})")
    return "\n".join(lines + [f"- {n}" for n in result["notes"]])


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (``python -m uidispatch_qt.bench``)."""
    parser = argparse.ArgumentParser(prog="python -m uidispatch_qt.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="one process per variant, fewer calls")
    parser.add_argument("--variant", action="append", choices=list(VARIANTS),
                        help="run only this variant (repeatable)")
    parser.add_argument("--scale", type=float, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--phases", default=",".join(PHASES), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    scale = args.scale if args.scale is not None else (0.4 if args.quick else 1.0)
    if args.child:
        _child(args.child, args.phases.split(","), scale)
    result = run_benchmark(1 if args.quick else 3, scale, args.variant)
    print(json.dumps(result) if args.json else _table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
