"""Nanoseconds per call to post and to drain, plain and keyed, against a bare deque.

Run: ``python benchmarks/bench_post_drain.py [calls]``. One process, one thread, the
``virtual`` backend: ``calls`` posts with ``call_soon`` (no drain in between: producer
pacing is held off), then one unbudgeted drain; min of 5 rounds. That backlog is what a
flood leaves while the UI is behind, where the collector's cost shows; the ``/256`` rows
drain after every 256 posts instead, what a UI that keeps up sees. The ``limit`` row hands
``(fn, arg)`` tuples through a ``deque`` and runs them: the pure-Python floor. The first
line says which build of the queue ran (``uidispatch.compiled``); compare builds with
``UIDISPATCH_PURE_PYTHON=1`` in the same environment or two environments.
"""

from __future__ import annotations

import sys
import time
from collections import deque
from collections.abc import Callable

import uidispatch as ud
from uidispatch._core import _compiled


def _limit(n: int) -> tuple[float, float]:
    d: deque[tuple[Callable[[int], None], int]] = deque()
    append = d.append
    sink: list[int] = []
    fn = sink.append
    t0 = time.perf_counter()
    for i in range(n):
        append((fn, i))
    t1 = time.perf_counter()
    pop = d.popleft
    while True:
        try:
            f, x = pop()
        except IndexError:
            break
        f(x)
    return t1 - t0, time.perf_counter() - t1


def _ours(n: int, keyed: bool, every: int | None = None) -> tuple[float, float]:
    d = ud.get_dispatcher("virtual")
    q = d._q
    sink: list[int] = []
    fn = sink.append
    post = d.call_soon
    post(fn, -1)  # the wake is posted: later posts take the steady-state path
    q.progress_at = time.perf_counter() + 1000  # no pacing: measure the post alone
    step = every or n
    posting = draining = 0.0
    for base in range(0, n, step):
        t0 = time.perf_counter()
        if keyed:
            for i in range(base, base + step):
                post(fn, i, key=i)
        else:
            for i in range(base, base + step):
                post(fn, i)
        t1 = time.perf_counter()
        q.drain(budget=1e9)
        posting += t1 - t0
        draining += time.perf_counter() - t1
    d.close()
    assert len(sink) == n + 1, len(sink)
    return posting, draining


def main(argv: list[str]) -> int:
    """Print one line per workload; returns the exit status."""
    n = int(argv[1]) if len(argv) > 1 else 200_000
    n = max(256, n // 256 * 256)  # whole batches for the /256 rows
    print(f"uidispatch build: {_compiled.reason}; {n:,} calls, min of 5 rounds")
    workloads: list[tuple[str, Callable[[], tuple[float, float]]]] = [
        ("limit", lambda: _limit(n)),
        ("plain", lambda: _ours(n, keyed=False)),
        ("key", lambda: _ours(n, keyed=True)),
        ("plain/256", lambda: _ours(n, keyed=False, every=256)),
        ("key/256", lambda: _ours(n, keyed=True, every=256)),
    ]
    for name, run in workloads:
        rounds = [run() for _ in range(5)]
        post = min(r[0] for r in rounds) / n * 1e9
        drain = min(r[1] for r in rounds) / n * 1e9
        print(f"{name:9s} post {post:6.0f} ns  drain {drain:6.0f} ns  total {post + drain:6.0f} ns")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
