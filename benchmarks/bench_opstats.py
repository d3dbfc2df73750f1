"""What the per-operation bookkeeping costs, against the pool's own cost per task.

Run: ``python benchmarks/bench_opstats.py [tasks]``. Prints, per task, in microseconds:
the pool's whole cost (submit, run on a worker, resolve; no callbacks), the naive
primitive (``ThreadPoolExecutor.submit`` + ``result``) for scale, and the bookkeeping
the pool does for ``stats().operations`` (the same calls, timed alone), then the ratio
of the bookkeeping to the pool's cost (the promise: under 5 %).
"""

from __future__ import annotations

import concurrent.futures
import statistics
import sys
import time

import uidispatch as ud
from uidispatch._services._opstats import OperationBook


def _noop() -> None:
    return None


def _pool_per_task(n: int) -> float:
    d = ud.get_dispatcher("virtual")
    pool = ud.Pool(max_workers=4, dispatcher=d)
    pool.submit(_noop).result()  # threads up
    t0 = time.perf_counter()
    tasks = [pool.submit(_noop) for _ in range(n)]
    for task in tasks:
        task.result()
    elapsed = time.perf_counter() - t0
    pool.shutdown()
    d.close()
    return elapsed / n


def _naive_per_task(n: int) -> float:
    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        ex.submit(_noop).result()
        t0 = time.perf_counter()
        futures = [ex.submit(_noop) for _ in range(n)]
        for f in futures:
            f.result()
        return (time.perf_counter() - t0) / n


def _bookkeeping_per_task(n: int) -> float:
    # Exactly what the pool adds per task for stats().operations: the lookup at submit,
    # the running count at start and end, the duration, the final state.
    book = OperationBook()
    names = [f"op{i % 20}" for i in range(n)]
    t0 = time.perf_counter()
    for name in names:
        op = book.get(name)
        op.submitted += 1
        op.running += 1
        op.running -= 1
        op.ran(0.000123)
        op.resolved(True, False, None)
    return (time.perf_counter() - t0) / n


def main() -> None:
    """Measure and print the figures."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    rounds = 5
    pool = statistics.median(_pool_per_task(n) for _ in range(rounds))
    naive = statistics.median(_naive_per_task(n) for _ in range(rounds))
    books = statistics.median(_bookkeeping_per_task(n) for _ in range(rounds))
    print(f"tasks per round: {n}, rounds: {rounds} (medians)")
    print(f"pool per task (submit+run+resolve):  {pool * 1e6:8.2f} us")
    print(f"naive ThreadPoolExecutor per task:   {naive * 1e6:8.2f} us", end="")
    print(f"  (pool/naive {pool / naive:.2f}x)")
    print(f"per-operation bookkeeping per task:  {books * 1e6:8.2f} us")
    print(f"bookkeeping / pool cost:             {books / pool * 100:8.2f} %  (promise: < 5 %)")


if __name__ == "__main__":
    main()
