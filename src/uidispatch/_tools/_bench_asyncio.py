"""``python -m uidispatch._tools._bench_asyncio [--json] [--quick]``: the asyncio benchmark.

Measures uidispatch on an asyncio loop against the naive primitive
(``loop.call_soon_threadsafe`` per call, which is also the best existing helper), the
pure-Python handoff floor (a ``SimpleQueue`` whose main thread blocks in ``get``) and the
pure-Python limit (a ``deque`` handed to a spinning consumer), with the workloads of
BASELINES.md: throughput from 1 and 4 producers, the producer's post time, idle latency,
the longest gap of a 10 ms main-thread timer during a flood (and its timeline), and idle
wake-ups; plus, per posting path (plain, ``owner=``, unique ``key=``, ``max_pending`` with
``drop_oldest``), the longest timer gap while 8 producers flood, and unique-key throughput
and post time. Each callback is a bare ``list.append``, so the numbers are transport costs.

Prints one JSON object (``{"backend", "rows", "notes"}``, the shape every backend's bench
module prints, merged by ``python -m uidispatch bench``); without ``--json``, a short table.
Progress goes to stderr. Each number is the median of a few rounds in this process.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import selectors
import statistics
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from queue import Empty, SimpleQueue
from typing import Any

from ._bench_paths import BOUNDED, PATHS, Owner, flood_gaps, produce_path

__all__ = ["Sizes", "main", "run"]

FIELDS = (
    "thr1",
    "thr4",
    "post_p50_us",
    "post_p99_us",
    "idle_p50_us",
    "idle_p99_us",
    "freeze_ms",
    "idle_wakeups_per_s",
    "thr_key",
    "post_key_p50_us",
    "post_key_p99_us",
    "freeze8_ms",
    "freeze8_owner_ms",
    "freeze8_key_ms",
    "freeze8_bounded_ms",
    "drain8_bounded_ms",
)

Post = Callable[[Callable[[Any], object], Any], object]


@dataclass(frozen=True)
class Sizes:
    """How much work each measurement does."""

    calls: int = 50_000
    post_samples: int = 20_000
    idle_samples: int = 200
    flood: int = 100_000
    idle_seconds: float = 0.5
    rounds: int = 3
    producers: int = 8
    per_producer: int = 100_000


FULL = Sizes()
QUICK = Sizes(
    calls=5_000,
    post_samples=2_000,
    idle_samples=30,
    flood=10_000,
    idle_seconds=0.1,
    rounds=1,
    per_producer=2_000,
)


def _progress(msg: str) -> None:
    print(f"asyncio bench: {msg}", file=sys.stderr, flush=True)


def _pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


class _CountingSelector(selectors.DefaultSelector):
    """Counts the loop's wake-ups: every return from ``select`` is one."""

    wakeups = 0

    def select(self, timeout: float | None = None) -> Any:
        events = super().select(timeout)
        self.wakeups += 1
        return events


# ------------------------------------------------------------------------- variants


class _Variant:
    """One way of handing calls to the main thread, and a main loop that runs them."""

    name = ""
    kind = ""
    paths: tuple[str, ...] = ("plain",)  # posting paths this variant has

    def open(self) -> None:
        """Create the loop (or queue) for one measurement."""

    def close(self) -> None:
        """Release what :meth:`open` created."""

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

    def run_main(self, done: threading.Event, tick: Callable[[], None] | None) -> None:
        """Run the main loop until ``done`` is set by a callback; call ``tick`` every 10 ms."""
        raise NotImplementedError

    def idle_wakeups(self, seconds: float) -> float:
        """Wake-ups per second of the idle main loop."""
        raise NotImplementedError


class _LoopVariant(_Variant):
    def open(self) -> None:
        self.selector = _CountingSelector()
        self.loop = asyncio.SelectorEventLoop(self.selector)

    def close(self) -> None:
        self.loop.close()

    def run_main(self, done: threading.Event, tick: Callable[[], None] | None) -> None:
        loop = self.loop
        finished = loop.create_future()

        # ``done`` is set by a callback on this loop, so checking it in a callback is enough.
        def check() -> None:
            if done.is_set():
                if not finished.done():
                    finished.set_result(None)
            elif tick is not None:
                tick()
                loop.call_later(0.01, check)

        self._check = check
        if tick is not None:
            loop.call_later(0.01, check)
        loop.run_until_complete(finished)

    def finish(self) -> Callable[[], None]:
        """A callback that ends :meth:`run_main` when run on the loop."""
        return lambda: self._check()

    def idle_wakeups(self, seconds: float) -> float:
        loop = self.loop
        loop.call_soon(lambda: None)  # settle: the first turn runs at once
        loop.call_soon(loop.stop)
        loop.run_forever()
        before = self.selector.wakeups
        loop.call_later(seconds, loop.stop)
        loop.run_forever()
        # One wake-up is the stop timer itself.
        return max(0, self.selector.wakeups - before - 1) / seconds


class _Uidispatch(_LoopVariant):
    name, kind = "uidispatch", "ours"
    paths = PATHS

    def __init__(self) -> None:
        self.path = "plain"
        self.owner = Owner()

    def open(self) -> None:
        from .._core._registry import get_dispatcher

        super().open()
        self.dispatcher = get_dispatcher("asyncio", app=self.loop)
        if self.path == "bounded":
            self.dispatcher.configure(**BOUNDED)  # type: ignore[arg-type]

    def produce(self, fn: Callable[[Any], object], start: int, stop: int) -> None:
        produce_path(self.dispatcher, self.path, self.owner)(fn, start, stop)

    def produce_timed(self, fn: Callable[[Any], object], n: int, times: list[int]) -> None:
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

    def close(self) -> None:
        self.dispatcher.close()
        super().close()

    def poster(self) -> Post:
        return self.dispatcher.call_soon


class _CallSoonThreadsafe(_LoopVariant):
    name, kind = "call_soon_threadsafe", "naive"

    def poster(self) -> Post:
        return self.loop.call_soon_threadsafe


class _Floor(_Variant):
    name, kind = "floor", "floor"

    def open(self) -> None:
        self.queue: SimpleQueue[tuple[Callable[[Any], object], Any]] = SimpleQueue()

    def poster(self) -> Post:
        put = self.queue.put
        return lambda fn, arg: put((fn, arg))

    # The hot loops put tuples directly: a wrapper call per post would flatter us.
    def produce(self, fn: Callable[[Any], object], start: int, stop: int) -> None:
        put = self.queue.put
        for i in range(start, stop):
            put((fn, i))

    def produce_timed(self, fn: Callable[[Any], object], n: int, times: list[int]) -> None:
        put = self.queue.put
        pc = time.perf_counter_ns
        record = times.append
        for i in range(n):
            t = pc()
            put((fn, i))
            record(pc() - t)

    def run_main(self, done: threading.Event, tick: Callable[[], None] | None) -> None:
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
        # The main thread blocks in get(): no wake-up is possible without a put.
        try:
            self.queue.get(timeout=seconds)
        except Empty:
            return 0.0
        return 1 / seconds  # pragma: no cover - nothing puts


class _SpinningDeque(_Floor):
    """The pure-Python limit: a ``deque`` whose consumer spins on ``popleft`` (burns a core)."""

    name, kind = "spinning deque", "limit"

    def open(self) -> None:
        self.deque: deque[tuple[Callable[[Any], object], Any]] = deque()

    def poster(self) -> Post:
        append = self.deque.append
        return lambda fn, arg: append((fn, arg))

    def produce(self, fn: Callable[[Any], object], start: int, stop: int) -> None:
        append = self.deque.append
        for i in range(start, stop):
            append((fn, i))

    def produce_timed(self, fn: Callable[[Any], object], n: int, times: list[int]) -> None:
        append = self.deque.append
        pc = time.perf_counter_ns
        record = times.append
        for i in range(n):
            t = pc()
            append((fn, i))
            record(pc() - t)

    def run_main(self, done: threading.Event, tick: Callable[[], None] | None) -> None:
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
        return float("nan")  # it never sleeps: not comparable


VARIANTS: tuple[type[_Variant], ...] = (_Uidispatch, _CallSoonThreadsafe, _Floor, _SpinningDeque)

# ------------------------------------------------------------------------- workloads


def _finisher(variant: _Variant, done: threading.Event) -> Callable[[Any], None]:
    """The last callback a producer posts: sets ``done`` (and wakes a loop's run_main)."""
    if isinstance(variant, _LoopVariant):
        wake = variant.finish()

        def finished(_: object) -> None:
            done.set()
            wake()

        return finished
    return lambda _: done.set()


def _throughput(variant: _Variant, calls: int, producers: int) -> float:
    variant.open()
    try:
        post = variant.poster()
        sink: list[int] = []
        append = sink.append
        done = threading.Event()
        go = threading.Event()
        per = calls // producers
        left = [producers]
        lock = threading.Lock()
        end = [0.0]
        finish = _finisher(variant, done)

        def last(_: object) -> None:
            with lock:
                left[0] -= 1
                if left[0]:
                    return
            end[0] = time.perf_counter()
            finish(None)

        def produce(base: int) -> None:
            go.wait()
            variant.produce(append, base, base + per)
            post(last, None)

        threads = [
            threading.Thread(target=produce, args=(k * per,), daemon=True) for k in range(producers)
        ]
        for t in threads:
            t.start()
        start = time.perf_counter()
        go.set()
        variant.run_main(done, None)
        for t in threads:
            t.join()
        _check_order(sink, per, producers)
        return per * producers / (end[0] - start)
    finally:
        variant.close()


def _check_order(sink: list[int], per: int, producers: int) -> None:
    if len(sink) != per * producers:
        raise AssertionError(f"ran {len(sink)} callbacks, expected {per * producers}")
    last = [-1] * producers
    for x in sink:
        k = x // per
        if x <= last[k]:
            raise AssertionError(f"producer {k}'s calls ran out of order")
        last[k] = x


def _post_times(variant: _Variant, samples: int) -> tuple[float, float]:
    variant.open()
    try:
        post = variant.poster()
        sink: list[int] = []
        append = sink.append
        times: list[int] = []
        done = threading.Event()
        finish = _finisher(variant, done)

        def produce() -> None:
            variant.produce_timed(append, samples, times)
            post(finish, None)

        t = threading.Thread(target=produce, daemon=True)
        t.start()
        variant.run_main(done, None)
        t.join()
        return _pct(times, 0.50) / 1000, _pct(times, 0.99) / 1000
    finally:
        variant.close()


def _idle_latency(variant: _Variant, samples: int) -> tuple[float, float]:
    variant.open()
    try:
        post = variant.poster()
        lat: list[float] = []
        perf = time.perf_counter
        done = threading.Event()
        finish = _finisher(variant, done)

        def record(t: float) -> None:
            lat.append(perf() - t)

        def produce() -> None:
            pause = threading.Event()
            for _ in range(samples):
                pause.wait(0.005)  # one post every 5 ms into an idle loop
                post(record, perf())
            post(finish, None)

        t = threading.Thread(target=produce, daemon=True)
        t.start()
        variant.run_main(done, None)
        t.join()
        return _pct(lat, 0.50) * 1e6, _pct(lat, 0.99) * 1e6
    finally:
        variant.close()


def _freeze(variant: _Variant, flood: int) -> list[float]:
    variant.open()
    try:
        post = variant.poster()
        sink: list[int] = []
        append = sink.append
        ticks: list[float] = []
        done = threading.Event()
        finish = _finisher(variant, done)
        go = threading.Event()

        def tick() -> None:
            ticks.append(time.perf_counter())
            if len(ticks) == 2:
                go.set()  # the timer runs: start the flood

        def produce() -> None:
            go.wait()
            variant.produce(append, 0, flood)
            post(finish, None)

        t = threading.Thread(target=produce, daemon=True)
        t.start()
        variant.run_main(done, tick)
        end = time.perf_counter()
        t.join()
        ticks.append(end)
        # The flood starts at the second tick.
        return [round((b - a) * 1000, 3) for a, b in itertools.pairwise(ticks[1:])]
    finally:
        variant.close()


def _freeze_many(variant: _Variant, producers: int, per: int) -> tuple[float, float | None]:
    """The longest timer gap (ms) while ``producers`` threads flood; and ours' longest drain."""
    variant.open()
    try:
        post = variant.poster()

        def finish(done: threading.Event) -> None:
            post(_finisher(variant, done), None)

        gaps = flood_gaps(variant.run_main, variant.produce, finish, producers, per)
        d = getattr(variant, "dispatcher", None)
        return max(gaps, default=0.0), (d.stats().max_drain_ms if d is not None else None)
    finally:
        variant.close()


def _on_path(variant: _Variant, path: str) -> _Variant:
    if path != "plain":
        variant.path = path  # type: ignore[attr-defined]
    return variant


def _extras(cls: type[_Variant], sizes: Sizes) -> dict[str, Any]:
    """The per-path measurements of one round."""
    out: dict[str, Any] = {}
    if "key" in cls.paths:
        _progress(f"{cls.name}: unique-key throughput and post time")
        out["thr_key"] = _throughput(_on_path(cls(), "key"), sizes.calls, 1)
        p50, p99 = _post_times(_on_path(cls(), "key"), sizes.post_samples)
        out["post_key_p50_us"], out["post_key_p99_us"] = p50, p99
    for path in cls.paths:
        _progress(f"{cls.name}: {sizes.producers} producers x {sizes.per_producer:,}, {path}")
        gap, drain = _freeze_many(_on_path(cls(), path), sizes.producers, sizes.per_producer)
        suffix = "" if path == "plain" else f"_{path}"
        out[f"freeze8{suffix}_ms"] = gap
        if path == "bounded":
            out["drain8_bounded_ms"] = drain
    return out


def _idle(variant: _Variant, seconds: float) -> float:
    variant.open()
    try:
        return variant.idle_wakeups(seconds)
    finally:
        variant.close()


def _measure(cls: type[_Variant], sizes: Sizes) -> dict[str, Any]:
    rounds: list[dict[str, Any]] = []
    for r in range(sizes.rounds):
        v = cls()
        _progress(f"{v.name} round {r + 1}/{sizes.rounds}")
        post_p50, post_p99 = _post_times(v, sizes.post_samples)
        idle_p50, idle_p99 = _idle_latency(v, sizes.idle_samples)
        rounds.append(
            {
                "thr1": _throughput(v, sizes.calls, 1),
                "thr4": _throughput(v, sizes.calls, 4),
                "post_p50_us": post_p50,
                "post_p99_us": post_p99,
                "idle_p50_us": idle_p50,
                "idle_p99_us": idle_p99,
                "timeline": _freeze(v, sizes.flood),
                "idle_wakeups_per_s": _idle(v, sizes.idle_seconds),
                **_extras(cls, sizes),
            }
        )
        rounds[-1]["freeze_ms"] = max(rounds[-1]["timeline"], default=0.0)
    rounds.sort(key=lambda r: float(r["freeze_ms"]))
    row: dict[str, Any] = {"variant": cls.name, "kind": cls.kind}
    for field in FIELDS:
        values = [r[field] for r in rounds if field in r and r[field] == r[field]]
        if values:
            row[field] = statistics.median(values)
        row.setdefault(field, None)
    # The gap timeline of the median-freeze round: what charts draw.
    row["freeze_gaps_ms"] = rounds[len(rounds) // 2]["timeline"]
    row["error"] = None
    return row


def run(sizes: Sizes = FULL) -> dict[str, Any]:
    """Run every variant and return the JSON-ready result. Main thread of a fresh process.

    A variant that fails is reported as a row with ``error`` set; the others still run.
    """
    rows: list[dict[str, Any]] = []
    for cls in VARIANTS:
        try:
            rows.append(_measure(cls, sizes))
        except Exception as exc:
            rows.append({"variant": cls.name, "kind": cls.kind, "error": f"{exc!r}"})
    notes = [
        f"asyncio {type(asyncio.get_event_loop_policy()).__name__}, "
        f"Python {sys.version.split()[0]}, median of {sizes.rounds} round(s)",
        f"thr: {sizes.calls:,} calls; freeze: 10 ms loop timer during a {sizes.flood:,}-call "
        "flood; idle: one post every 5 ms",
        f"freeze8: the same timer while {sizes.producers} producers post "
        f"{sizes.per_producer:,} calls each (owner=, unique key=, max_pending=10,000 with "
        "drop_oldest); thr_key/post_key: unique key= per call",
        "spinning deque: the pure-Python limit (its consumer never sleeps: no idle figure)",
        "call_soon_threadsafe is both the naive primitive and the best existing helper",
    ]
    return {"backend": "asyncio", "rows": rows, "notes": notes}


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m uidispatch._tools._bench_asyncio")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="small counts, one round")
    args = parser.parse_args(argv)
    result = run(QUICK if args.quick else FULL)
    if args.json:
        print(json.dumps(result))
    else:
        from ._bench import format_backend

        print(format_backend(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
