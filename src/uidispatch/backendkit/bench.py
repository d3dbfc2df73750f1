"""A benchmark harness for backends: ``python -m uidispatch bench --backend NAME``'s protocol.

``uidispatch bench`` runs a backend's benchmark module (``BackendSpec.bench_module``,
default ``uidispatch_NAME.bench``) as ``python -m MODULE --json [--quick]`` and reads one
JSON object: ``{"backend": NAME, "notes": [...], "rows": [...]}``, one row per variant,
each with ``variant``, ``kind`` (``ours``, or ``naive`` for the toolkit's own primitive,
which every ratio is taken against) and the fields below. This module measures those
fields for any pair of "post one call" functions, so a backend's bench module is only
the toolkit's setup, its naive primitive and a call to :func:`main`::

    def setup() -> Variants:
        pygame.init()
        d = uidispatch.get_dispatcher("pygame")
        return {
            "uidispatch": Variant("ours", lambda fn, i: d.call_soon(fn, i), run_until),
            "pygame.event.post": Variant("naive", naive_post, run_until),
        }

    if __name__ == "__main__":
        sys.exit(main("pygame", setup))

Fields: ``thr1`` / ``thr4`` (calls per second from 1 / 4 producer threads, first post to
last callback), ``post_p50_us`` / ``post_p99_us`` (a producer's time per post), and
``idle_p50_us`` / ``idle_p99_us`` (one post every 5 ms into an idle loop, post to run).
Each callback is a bare ``list.append``. Every variant runs in the same process, one
after the other, with a garbage collection in between; compare ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Sizes", "Variant", "Variants", "main", "measure"]

Post = Callable[[Callable[[int], object], int], object]
"""``post(fn, i)``: from a worker thread, make the main loop call ``fn(i)``."""
RunUntil = Callable[[Callable[[], bool], float], object]
"""``run_until(predicate, timeout)``: run the toolkit's main loop until ``predicate()``."""


@dataclass(frozen=True)
class Variant:
    """One way of getting calls onto the main loop."""

    kind: str
    """``"ours"`` or ``"naive"`` (the toolkit's own primitive)."""
    post: Post
    """Post one call from a worker thread; may block if the primitive does."""
    run_until: RunUntil
    """Run the app's own main loop until the predicate holds or the timeout passed."""


Variants = Mapping[str, Variant]
"""What a bench module's ``setup()`` returns: each way of posting, by name."""


@dataclass(frozen=True)
class Sizes:
    """How much work each measurement does."""

    calls: int = 50_000
    idle_posts: int = 200
    timeout: float = 120.0


QUICK = Sizes(calls=5_000, idle_posts=40, timeout=60.0)


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _throughput(variant: Variant, calls: int, producers: int, timeout: float) -> dict[str, Any]:
    out: list[int] = []
    post_ns: list[int] = []
    per = calls // producers
    total = per * producers
    barrier = threading.Barrier(producers + 1)

    def produce(k: int) -> None:
        barrier.wait()
        post, append, clock = variant.post, out.append, time.perf_counter_ns
        record = post_ns.append if k == 0 else None
        for i in range(k * per, (k + 1) * per):
            if record is not None and i % 8 == 0:
                t0 = clock()
                post(append, i)
                record(clock() - t0)
            else:
                post(append, i)

    threads = [threading.Thread(target=produce, args=(k,), daemon=True) for k in range(producers)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    variant.run_until(lambda: len(out) >= total, timeout)
    took = time.perf_counter() - start
    for thread in threads:
        thread.join(timeout)
    if len(out) < total:
        return {"error": f"only {len(out)} of {total} calls ran within {timeout} s"}
    return {
        "thr": total / took,
        "post_p50_us": statistics.median(post_ns) / 1e3 if post_ns else None,
        "post_p99_us": _percentile(post_ns, 0.99) / 1e3 if post_ns else None,
    }


def _idle_latency(variant: Variant, posts: int, timeout: float) -> dict[str, Any]:
    ran: dict[int, float] = {}
    sent: dict[int, float] = {}

    def arrive(i: int) -> None:
        ran[i] = time.perf_counter()

    def produce() -> None:
        for i in range(posts):
            time.sleep(0.005)
            sent[i] = time.perf_counter()
            variant.post(arrive, i)

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    variant.run_until(lambda: len(ran) >= posts, timeout)
    thread.join(timeout)
    lat = [(ran[i] - sent[i]) * 1e6 for i in ran if i in sent]
    if len(lat) < posts:
        return {"error": f"only {len(lat)} of {posts} idle posts ran within {timeout} s"}
    return {"idle_p50_us": statistics.median(lat), "idle_p99_us": _percentile(lat, 0.99)}


def measure(name: str, variant: Variant, sizes: Sizes) -> dict[str, Any]:
    """Measure one variant; the row ``uidispatch bench`` reads (``error`` set on failure)."""
    row: dict[str, Any] = {"variant": name, "kind": variant.kind, "error": None}
    for key in ("thr1", "thr4", "post_p50_us", "post_p99_us", "idle_p50_us", "idle_p99_us"):
        row[key] = None
    row["freeze_ms"] = row["idle_wakeups_per_s"] = None
    try:
        one = _throughput(variant, sizes.calls, 1, sizes.timeout)
        gc.collect()
        four = _throughput(variant, sizes.calls, 4, sizes.timeout)
        gc.collect()
        idle = _idle_latency(variant, sizes.idle_posts, sizes.timeout)
    except Exception as exc:  # a crashing primitive is a row with an error, not a crash
        row["error"] = f"{type(exc).__name__}: {exc}"
        return row
    errors = [r["error"] for r in (one, four, idle) if r.get("error")]
    if errors:
        row["error"] = errors[0]
        return row
    row.update(thr1=one["thr"], thr4=four["thr"], post_p50_us=one["post_p50_us"])
    row.update(post_p99_us=one["post_p99_us"], **idle)
    return row


def main(
    backend: str,
    setup: Callable[[], Variants],
    argv: Sequence[str] | None = None,
    notes: Sequence[str] = (),
) -> int:
    """A bench module's command line: ``--json`` prints the object, else a table."""
    parser = argparse.ArgumentParser(prog=f"python -m uidispatch_{backend}.bench")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="smaller counts (a smoke run)")
    parser.add_argument("--calls", type=int, help="calls per throughput run (tests)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else Sizes()
    if args.calls is not None:
        if args.calls < 4:
            parser.error(f"--calls must be at least 4, got {args.calls}")
        sizes = Sizes(calls=args.calls, idle_posts=10, timeout=sizes.timeout)
    variants = setup()
    rows = []
    for name, variant in variants.items():
        print(f"{backend} bench: {name}", file=sys.stderr, flush=True)
        rows.append(measure(name, variant, sizes))
        gc.collect()
    all_notes = [
        f"{sizes.calls:,} calls per throughput run, {sizes.idle_posts} idle posts 5 ms apart; "
        f"Python {sys.version.split()[0]}; every variant in one process, in turn",
        *notes,
    ]
    result = {"backend": backend, "rows": rows, "notes": all_notes}
    if args.json:
        print(json.dumps(result))
        return 0
    naive = next((r for r in rows if r["kind"] == "naive" and not r["error"]), None)
    for r in rows:
        if r["error"]:
            print(f"{r['variant']:<24} {r['kind']:<6} error: {r['error']}")
            continue
        ratio = f" (x{r['thr1'] / naive['thr1']:.1f} naive)" if naive else ""
        print(
            f"{r['variant']:<24} {r['kind']:<6} thr1 {r['thr1'] / 1e3:8.1f}k{ratio} "
            f"thr4 {r['thr4'] / 1e3:8.1f}k post p50/p99 {r['post_p50_us']:.2f}/"
            f"{r['post_p99_us']:.2f} us idle p50/p99 {r['idle_p50_us']:.0f}/"
            f"{r['idle_p99_us']:.0f} us"
        )
    for note in all_notes:
        print(f"  note: {note}")
    return 0
