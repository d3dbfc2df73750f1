"""``python -m uidispatch_kivy.bench [--json] [--quick]``: the kivy backend's benchmark.

Compares, in one run, uidispatch on Kivy's Clock (``get_dispatcher("kivy")`` and
``call_soon`` from workers) with ``Clock.schedule_once(cb, 0)`` per call (the naive
primitive), Kivy's ``@mainthread`` (the helper; it is ``schedule_once`` plus a closure)
and the pure-Python floor (a ``SimpleQueue`` whose main thread blocks in ``get``), on
the workloads of BASELINES.md. Each callback is a bare ``list.append``.

The Kivy main loop is ``Clock.tick()`` then ``Clock.tick_draw()`` in a loop: what
``EventLoop.idle()`` does minus input and painting, paced by the default Clock at
``maxfps`` (60 Hz), with no window, so the numbers are the Clock's and need no display.
A real App would add the paint to every frame and only lengthen frames.

Every variant runs in fresh processes of this module (``--variant NAME``), each field the
median of 3 processes (1 with ``--quick``); a process that crashes becomes a row with an
error. Besides the common fields each Kivy row has ``max_callbacks_per_frame`` and
``frame_max_ms`` (the longest interval between two frames) during the flood, and
``frame_ms`` (the median frame period measured while idle). ``idle_wakeups_per_s`` counts
the Clock events a variant keeps scheduled while nothing is posted (Kivy itself ticks
every frame anyway).
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from queue import Empty, SimpleQueue
from typing import Any

__all__ = ["FIELDS", "Sizes", "main", "measure_variant", "run"]

FIELDS = (
    "thr1",
    "thr4",
    "post_p50_us",
    "post_p99_us",
    "idle_p50_us",
    "idle_p99_us",
    "freeze_ms",
    "idle_wakeups_per_s",
)
EXTRA = ("max_callbacks_per_frame", "frame_max_ms", "frame_ms")
KIVY_ENV = {"KIVY_NO_ARGS": "1", "KIVY_NO_CONSOLELOG": "1", "KIVY_NO_FILELOG": "1"}

Post = Callable[[Callable[[Any], object], Any], object]
OnFrame = Callable[[], None]


@dataclass(frozen=True)
class Sizes:
    """How much work each measurement does, and how many processes per variant."""

    calls: int = 50_000
    post_samples: int = 20_000
    idle_samples: int = 200
    flood: int = 100_000
    idle_seconds: float = 1.0
    runs: int = 3


SIZES = {
    "full": Sizes(),
    "quick": Sizes(
        calls=20_000, post_samples=5_000, idle_samples=60, flood=50_000, idle_seconds=0.5, runs=1
    ),
    "tiny": Sizes(
        calls=600, post_samples=200, idle_samples=5, flood=1_000, idle_seconds=0.1, runs=1
    ),
}


def _progress(msg: str) -> None:
    print(f"kivy bench: {msg}", file=sys.stderr, flush=True)


def _pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


# ------------------------------------------------------------------------- variants


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

# ------------------------------------------------------------------------- workloads


def _throughput(v: _Variant, calls: int, producers: int) -> float:
    post = v.poster()
    sink: list[int] = []
    done, go = threading.Event(), threading.Event()
    per = calls // producers
    left = [producers]
    lock = threading.Lock()
    end = [0.0]

    def last(_: object) -> None:
        with lock:
            left[0] -= 1
            if left[0]:
                return
        end[0] = time.perf_counter()
        done.set()

    def produce(base: int) -> None:
        go.wait()
        v.produce(sink.append, base, base + per)
        post(last, None)

    threads = [
        threading.Thread(target=produce, args=(k * per,), daemon=True) for k in range(producers)
    ]
    for t in threads:
        t.start()
    start = time.perf_counter()
    go.set()
    v.run_main(done, None, None)
    for t in threads:
        t.join()
    _check_order(sink, per, producers)
    return per * producers / (end[0] - start)


def _check_order(sink: list[int], per: int, producers: int) -> None:
    if len(sink) != per * producers:
        raise AssertionError(f"ran {len(sink)} callbacks, expected {per * producers}")
    last = [-1] * producers
    for x in sink:
        k = x // per
        if x <= last[k]:
            raise AssertionError(f"producer {k}'s calls ran out of order")
        last[k] = x


def _post_times(v: _Variant, samples: int) -> tuple[float, float]:
    post = v.poster()
    sink: list[int] = []
    times: list[int] = []
    done = threading.Event()

    def produce() -> None:
        v.produce_timed(sink.append, samples, times)
        post(lambda _: done.set(), None)

    t = threading.Thread(target=produce, daemon=True)
    t.start()
    v.run_main(done, None, None)
    t.join()
    return _pct(times, 0.50) / 1000, _pct(times, 0.99) / 1000


def _idle_latency(v: _Variant, samples: int) -> tuple[float, float]:
    post = v.poster()
    lat: list[float] = []
    perf = time.perf_counter
    done = threading.Event()

    def produce() -> None:
        pause = threading.Event()
        for _ in range(samples):
            pause.wait(0.005)  # one post every 5 ms into an idle loop
            post(lambda t: lat.append(perf() - t), perf())
        post(lambda _: done.set(), None)

    t = threading.Thread(target=produce, daemon=True)
    t.start()
    v.run_main(done, None, None)
    t.join()
    return _pct(lat, 0.50) * 1e6, _pct(lat, 0.99) * 1e6


def _flood(v: _Variant, flood: int) -> dict[str, float | None]:
    post = v.poster()
    sink: list[int] = []
    ticks: list[float] = []
    frames: list[tuple[float, int]] = []
    done, go = threading.Event(), threading.Event()

    def tick() -> None:
        ticks.append(time.perf_counter())
        if len(ticks) == 2:
            go.set()  # the timer runs: start the flood

    def on_frame() -> None:
        if go.is_set():
            frames.append((time.perf_counter(), len(sink)))

    def produce() -> None:
        go.wait()
        v.produce(sink.append, 0, flood)
        post(lambda _: done.set(), None)

    t = threading.Thread(target=produce, daemon=True)
    t.start()
    v.run_main(done, tick, on_frame)
    ticks.append(time.perf_counter())
    t.join()
    if len(sink) != flood:
        raise AssertionError(f"ran {len(sink)} of {flood} flood callbacks")
    gaps = [b - a for a, b in itertools.pairwise(ticks[1:])]
    out: dict[str, float | None] = {
        "freeze_ms": max(gaps, default=0.0) * 1000,
        "max_callbacks_per_frame": None,
        "frame_max_ms": None,
    }
    if isinstance(v, _KivyVariant):
        pairs = list(itertools.pairwise(frames))
        out["max_callbacks_per_frame"] = max((b[1] - a[1] for a, b in pairs), default=len(sink))
        out["frame_max_ms"] = max((b[0] - a[0] for a, b in pairs), default=0.0) * 1000
    return out


def measure_variant(name: str, sizes: Sizes) -> dict[str, Any]:
    """Measure one variant in this process (main thread); the row without ``error``."""
    cls = VARIANTS[name]
    row: dict[str, Any] = {"variant": name, "kind": cls.kind}
    steps: list[tuple[str, Callable[[_Variant], Any]]] = [
        ("thr1", lambda v: _throughput(v, sizes.calls, 1)),
        ("thr4", lambda v: _throughput(v, sizes.calls, 4)),
        ("post", lambda v: _post_times(v, sizes.post_samples)),
        ("idle", lambda v: _idle_latency(v, sizes.idle_samples)),
        ("flood", lambda v: _flood(v, sizes.flood)),
        ("idle_wakeups_per_s", lambda v: v.idle_wakeups(sizes.idle_seconds)),
    ]
    for key, step in steps:
        v = cls()
        v.open()
        try:
            value = step(v)
        finally:
            v.close()
        if key == "post":
            row["post_p50_us"], row["post_p99_us"] = value
        elif key == "idle":
            row["idle_p50_us"], row["idle_p99_us"] = value
        elif key == "flood":
            row.update(value)
        else:
            row[key] = value
    # The idle step ran last: its variant measured the Clock's frame period.
    row["frame_ms"] = v.frame_s * 1000 if v.frame_s is not None else None
    return row


# ------------------------------------------------------------------------- driver


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    for key, value in KIVY_ENV.items():
        env.setdefault(key, value)
    return env


def _run_child(name: str, sizes_name: str, env: dict[str, str]) -> dict[str, Any]:
    argv = [sys.executable, "-m", "uidispatch_kivy.bench", "--variant", name, "--sizes", sizes_name]
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)
    if proc.returncode != 0:
        tail = " ".join(proc.stderr.strip().splitlines()[-3:])
        raise RuntimeError(f"exit status {proc.returncode}: {tail}")
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def run(sizes_name: str = "full") -> dict[str, Any]:
    """Run every variant in fresh processes; the JSON-ready result (medians per field)."""
    sizes = SIZES[sizes_name]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="uidispatch-kivy-bench-") as home:
        env = _child_env()
        env.setdefault("KIVY_HOME", home)
        for name, cls in VARIANTS.items():
            results, errors = [], []
            for r in range(sizes.runs):
                _progress(f"{name} process {r + 1}/{sizes.runs}")
                try:
                    results.append(_run_child(name, sizes_name, env))
                except (RuntimeError, ValueError, OSError, subprocess.TimeoutExpired) as exc:
                    errors.append(str(exc))
            row: dict[str, Any] = {"variant": name, "kind": cls.kind}
            for field in FIELDS + EXTRA:
                values = [x[field] for x in results if x.get(field) is not None]
                row[field] = statistics.median(values) if values else None
            row["error"] = None if results else errors[0]
            rows.append(row)
    notes = [
        f"Kivy Clock ticked by Clock.tick()+tick_draw() in a loop (default clock, maxfps "
        f"paced, no window), Python {sys.version.split()[0]}, median of {sizes.runs} "
        "process(es) per variant",
        f"thr: {sizes.calls:,} calls; freeze: a 10 ms Clock.schedule_interval timer (it fires "
        f"once per frame at 60 Hz) during a {sizes.flood:,}-call flood; idle: one post every 5 ms",
        "max_callbacks_per_frame and frame_max_ms (longest interval between frames) are "
        "taken during the flood; frame_ms is the median idle frame period measured (Kivy's "
        "default Clock undershoots its 1/maxfps sleep, so frames come every ~12.5 ms)",
        "idle_wakeups_per_s: Clock events the variant keeps scheduled per second while idle; "
        "Kivy itself runs maxfps frames per second whatever is posted",
    ]
    return {"backend": "kivy", "rows": rows, "notes": notes}


def _table(result: dict[str, Any]) -> str:
    rows = result["rows"]
    naive = next((r for r in rows if r["kind"] == "naive" and not r["error"]), None)
    lines = [
        f"{'variant':<14} {'kind':<6} {'thr1':>16} {'thr4':>16} {'post p50/p99 us':>16} "
        f"{'idle p50/p99 ms':>16} {'freeze ms':>10} {'cb/frame':>9} {'frame ms':>9} "
        f"{'idle wake/s':>11}"
    ]
    for r in rows:
        if r["error"]:
            lines.append(f"{r['variant']:<14} {r['kind']:<6} error: {r['error']}")
            continue

        def ratio(field: str, row: dict[str, Any] = r) -> str:
            if naive is None or not naive.get(field):
                return ""
            return f" x{row[field] / naive[field]:.1f}"

        cbf = r["max_callbacks_per_frame"]
        fmax = r["frame_max_ms"]
        lines.append(
            f"{r['variant']:<14} {r['kind']:<6} {r['thr1'] / 1e3:>8.0f}k{ratio('thr1'):>7} "
            f"{r['thr4'] / 1e3:>8.0f}k{ratio('thr4'):>7} "
            f"{r['post_p50_us']:>7.2f}/{r['post_p99_us']:<8.2f} "
            f"{r['idle_p50_us'] / 1e3:>7.1f}/{r['idle_p99_us'] / 1e3:<8.1f} "
            f"{r['freeze_ms']:>10.1f} {'-' if cbf is None else f'{cbf:.0f}':>9} "
            f"{'-' if fmax is None else f'{fmax:.1f}':>9} {r['idle_wakeups_per_s']:>11.1f}"
        )
    lines.extend(f"  note: {n}" for n in result["notes"])
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m uidispatch_kivy.bench")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="smaller counts, one process each")
    parser.add_argument("--sizes", choices=sorted(SIZES), help=argparse.SUPPRESS)
    parser.add_argument("--variant", choices=sorted(VARIANTS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes_name = args.sizes or ("quick" if args.quick else "full")
    if args.variant is not None:
        # A child: one variant, one process; Kivy is imported here, after its environment.
        for key, value in KIVY_ENV.items():
            os.environ.setdefault(key, value)
        print(json.dumps(measure_variant(args.variant, SIZES[sizes_name])))
        return 0
    result = run(sizes_name)
    print(json.dumps(result) if args.json else _table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
