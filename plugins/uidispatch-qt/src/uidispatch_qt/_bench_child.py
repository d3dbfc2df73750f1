"""The measuring side of the Qt benchmark: the phases a variant's process runs.

Runs inside a fresh process that ``bench.py`` starts per variant
(``python -m uidispatch_qt.bench --child VARIANT --phases ...``) and prints one JSON line
per finished phase, so a crash loses only the phase it happened in. The loops and
variants are in ``_bench_loops``; the many-producer flood (``freeze8``) is the one every
backend's bench shares (``uidispatch._tools._bench_workloads``).
"""

from __future__ import annotations

import faulthandler
import itertools
import json
import os
import sys
import threading
import time
from typing import Any

from uidispatch._tools._bench_workloads import Post, freeze_many, path_fields, pct

from ._bench_loops import Flooded, setup

__all__ = ["PHASES", "phase_timeout", "run_child"]

PHASES = ("thr1", "thr4", "post", "idle", "freeze", "wakeups", "freeze8")
"""Every phase, in the order a child runs them."""


def phase_timeout(scale: float) -> float:
    """Seconds one phase may take before its process is ended and the phase reported hung.

    The slowest healthy phase (qasync's freeze, 100,000 calls at ~20,000/s) takes ~5 s.
    """
    return 5.0 + 15.0 * min(scale, 1.0)


# --------------------------------------------------------------------------- phases


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
    return {"post_p50_us": pct(costs, 0.5) / 1000, "post_p99_us": pct(costs, 0.99) / 1000}


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
    return {"idle_p50_us": pct(lat, 0.5) * 1e6, "idle_p99_us": pct(lat, 0.99) * 1e6}


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
    if variant in _ONE_PRODUCER_ONLY:
        return {}
    d: Any = None
    if variant == "uidispatch":
        import uidispatch as ud

        d = ud.get_dispatcher("qt")
    flooded = Flooded(loop, post, d)
    return path_fields(flooded.paths, lambda path: freeze_many(flooded, path, 8, per))


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
    loop, post = setup(variant)
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
