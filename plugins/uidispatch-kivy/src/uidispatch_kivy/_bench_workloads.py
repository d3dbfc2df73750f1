"""The benchmark's workloads (BASELINES.md), measured for one variant in one process.

The workloads are the ones every backend's bench shares
(``uidispatch._tools._bench_workloads``); the flood adds what only a Kivy Clock has:
callbacks and time per frame.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

from uidispatch._tools._bench_workloads import (
    FIELDS,
    PATH_FIELDS,
    Sizes,
    Variant,
    flood_marks,
    freeze_many,
    idle_latency,
    opened,
    path_fields,
    post_times,
    throughput,
)

from ._bench_variants import VARIANTS, _KivyVariant

__all__ = ["EXTRA", "FIELDS", "SIZES", "Sizes", "measure_variant"]

EXTRA = ("max_callbacks_per_frame", "frame_max_ms", "frame_ms", *PATH_FIELDS)
"""Kivy's own fields (callbacks and frame interval during the flood, idle frame period)
and the 8-producer timer gaps per posting path (``uidispatch._tools._bench_workloads``)."""


SIZES = {  # a round is a process of its own
    "full": Sizes(),
    "quick": Sizes(
        calls=20_000,
        post_samples=5_000,
        idle_samples=60,
        flood=50_000,
        idle_seconds=0.5,
        rounds=1,
        per_producer=2_000,
    ),
    "tiny": Sizes(
        calls=600,
        post_samples=200,
        idle_samples=5,
        flood=1_000,
        idle_seconds=0.1,
        rounds=1,
        per_producer=100,
    ),
}


def _flood(v: Variant, flood: int) -> dict[str, Any]:
    sink: list[int] = []
    frames: list[tuple[float, int]] = []
    go = threading.Event()

    def on_frame() -> None:
        if go.is_set():
            frames.append((time.perf_counter(), len(sink)))

    if isinstance(v, _KivyVariant):
        v.on_frame = on_frame
    marks = flood_marks(v, flood, sink=sink, started=go)
    gaps = [b - a for a, b in itertools.pairwise(marks)]
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


def measure_variant(name: str, sizes: Sizes) -> dict[str, Any]:
    """Measure one variant in this process (main thread); the row without ``error``."""
    cls = VARIANTS[name]
    row: dict[str, Any] = {"variant": name, "kind": cls.kind}
    steps: list[tuple[str, Callable[[Variant], Any]]] = [
        ("thr1", lambda v: throughput(v, sizes.calls, 1)),
        ("thr4", lambda v: throughput(v, sizes.calls, 4)),
        ("post", lambda v: post_times(v, sizes.post_samples)),
        ("idle", lambda v: idle_latency(v, sizes.idle_samples)),
        ("flood", lambda v: _flood(v, sizes.flood)),
        ("idle_wakeups_per_s", lambda v: v.idle_wakeups(sizes.idle_seconds)),
    ]
    for key, step in steps:
        v = cls()
        value = opened(v, step)
        if key == "post":
            row["post_p50_us"], row["post_p99_us"] = value
        elif key == "idle":
            row["idle_p50_us"], row["idle_p99_us"] = value
        elif key == "flood":
            row.update(value)
        else:
            row[key] = value
    # The idle step ran last: its variant measured the Clock's frame period.
    frame_s = getattr(v, "frame_s", None)
    row["frame_ms"] = frame_s * 1000 if frame_s is not None else None
    n, per = sizes.producers, sizes.per_producer
    row.update(path_fields(cls.paths, lambda path: opened(cls(), freeze_many, path, n, per)))
    return row
