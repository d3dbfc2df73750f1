"""The benchmark's workloads (BASELINES.md), measured for one variant in one process."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from uidispatch._tools._bench_paths import (
    BOUNDED,
    PATHS,
    Owner,
    Produce,
    flood_gaps,
    produce_path,
)

from ._bench_variants import VARIANTS, _KivyVariant, _Variant

__all__ = ["EXTRA", "FIELDS", "SIZES", "Sizes", "measure_variant"]

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
"""The fields every backend's rows share (``python -m uidispatch bench`` merges them)."""
EXTRA = (
    "max_callbacks_per_frame",
    "frame_max_ms",
    "frame_ms",
    "freeze8_ms",
    "freeze8_owner_ms",
    "freeze8_key_ms",
    "freeze8_bounded_ms",
    "drain8_bounded_ms",
)
"""Kivy's own fields (callbacks and frame interval during the flood, idle frame period)
and the 8-producer timer gaps per posting path (``uidispatch._tools._bench_paths``)."""


@dataclass(frozen=True)
class Sizes:
    """How much work each measurement does, and how many processes per variant."""

    calls: int = 50_000
    post_samples: int = 20_000
    idle_samples: int = 200
    flood: int = 100_000
    idle_seconds: float = 1.0
    runs: int = 3
    producers: int = 8
    per_producer: int = 100_000


SIZES = {
    "full": Sizes(),
    "quick": Sizes(
        calls=20_000,
        post_samples=5_000,
        idle_samples=60,
        flood=50_000,
        idle_seconds=0.5,
        runs=1,
        per_producer=2_000,
    ),
    "tiny": Sizes(
        calls=600,
        post_samples=200,
        idle_samples=5,
        flood=1_000,
        idle_seconds=0.1,
        runs=1,
        per_producer=100,
    ),
}


def _pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


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


def _flood(v: _Variant, flood: int) -> dict[str, Any]:
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
    out: dict[str, Any] = {
        "freeze_ms": max(gaps, default=0.0) * 1000,
        "freeze_gaps_ms": [round(g * 1000, 3) for g in gaps],
        "max_callbacks_per_frame": None,
        "frame_max_ms": None,
    }
    if isinstance(v, _KivyVariant):
        pairs = list(itertools.pairwise(frames))
        out["max_callbacks_per_frame"] = max((b[1] - a[1] for a, b in pairs), default=len(sink))
        out["frame_max_ms"] = max((b[0] - a[0] for a, b in pairs), default=0.0) * 1000
    return out


def _flood_many(v: _Variant, path: str, sizes: Sizes) -> tuple[float, float | None]:
    """The longest timer gap (ms) while many producers flood on ``path``; ours' longest drain."""
    d = getattr(v, "dispatcher", None)
    produce: Produce = v.produce
    if d is not None:
        if path == "bounded":
            d.configure(**BOUNDED)
        produce = produce_path(d, path, Owner())
    post = v.poster()

    def finish(done: threading.Event) -> None:
        post(lambda _: done.set(), None)

    def run_main(done: threading.Event, tick: Callable[[], None]) -> None:
        v.run_main(done, tick, None)

    gaps = flood_gaps(run_main, produce, finish, sizes.producers, sizes.per_producer)
    return max(gaps, default=0.0), (d.stats().max_drain_ms if d is not None else None)


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
    paths = PATHS if cls.kind == "ours" else ("plain",)
    for path in paths:
        v = cls()
        v.open()
        try:
            gap, drain = _flood_many(v, path, sizes)
        finally:
            v.close()
        row["freeze8_ms" if path == "plain" else f"freeze8_{path}_ms"] = gap
        if path == "bounded":
            row["drain8_bounded_ms"] = drain
    return row
