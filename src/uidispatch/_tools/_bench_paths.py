"""Bench workloads shared by every backend's bench module: posting paths and many producers.

A backend's bench supplies three things: ``produce(path, fn, start, stop)`` (post
``fn(i)`` flat out on one posting path, from a worker), ``post(fn, arg)`` (one plain post,
for the finishing call) and ``run_main(done, tick)`` (run the UI loop until ``done`` is
set, calling ``tick`` from a 10 ms UI timer). The workloads here measure what
matters on every path: the longest UI timer gap while many producers flood, with the gap
timeline kept for charts.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = [
    "PATHS",
    "Produce",
    "RunMain",
    "flood_gaps",
    "gaps_ms",
]

# Posting paths of ``Dispatcher.call_soon`` the benches measure separately.
PATHS = ("plain", "owner", "key", "bounded")
BOUNDED = {"max_pending": 10_000, "overflow": "drop_oldest"}

Produce = Callable[[Callable[[Any], object], int, int], None]
RunMain = Callable[[threading.Event, Callable[[], None]], None]


class Owner:
    """A weakly referenceable owner that stays alive (the ``owner=`` path's cost only)."""


def produce_path(dispatcher: Any, path: str, owner: Owner) -> Produce:
    """A producer loop for ``path`` on ``dispatcher`` (``bounded`` is plain on a bounded one)."""
    post = dispatcher.call_soon

    def plain(fn: Callable[[Any], object], start: int, stop: int) -> None:
        for i in range(start, stop):
            post(fn, i)

    def owned(fn: Callable[[Any], object], start: int, stop: int) -> None:
        for i in range(start, stop):
            post(fn, i, owner=owner)

    def keyed(fn: Callable[[Any], object], start: int, stop: int) -> None:
        for i in range(start, stop):
            post(fn, i, key=i)  # unique: producers post disjoint ranges

    return {"owner": owned, "key": keyed}.get(path, plain)


def gaps_ms(ticks: list[float]) -> list[float]:
    """Gaps between consecutive UI timer ticks, in milliseconds."""
    return [round((b - a) * 1000.0, 3) for a, b in itertools.pairwise(ticks)]


def flood_gaps(
    run_main: RunMain,
    produce: Produce,
    finish: Callable[[threading.Event], None],
    producers: int,
    per: int,
) -> list[float]:
    """Flood from ``producers`` threads (``per`` calls each); the UI timer's gaps in ms.

    The flood starts at the timer's second tick; ``finish(done)`` posts the call that sets
    ``done`` (ending ``run_main``) once every producer is done. The gaps span the flood.
    """
    ticks: list[float] = []
    go = threading.Event()
    done = threading.Event()
    sink: list[int] = []

    def tick() -> None:
        ticks.append(time.perf_counter())
        if len(ticks) == 2:
            go.set()

    def worker(k: int) -> None:
        go.wait()
        produce(sink.append, k * per, (k + 1) * per)

    def coordinator() -> None:
        threads = [
            threading.Thread(target=worker, args=(k,), daemon=True) for k in range(producers)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        finish(done)

    boss = threading.Thread(target=coordinator, daemon=True)
    boss.start()
    run_main(done, tick)
    ticks.append(time.perf_counter())
    boss.join()
    return gaps_ms(ticks[1:])
