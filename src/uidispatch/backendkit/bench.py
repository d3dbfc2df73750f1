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
A variant that gives the harness its toolkit's repeating timer (``Variant.timer``) also
gets ``freeze_ms``, the longest gap of a 10 ms UI timer while one producer posts
``Sizes.flood`` calls flat out (and ``freeze_gaps_ms``, every gap, for charts), and one
that can count its loop's wake-ups (``Variant.idle_wakeups``) gets
``idle_wakeups_per_s`` with nothing posted; the others leave them ``None``.

A toolkit with more than one kind of main loop (pygame's frame loop and its
``event.wait()`` loop) names it in ``Variant.loop``: the row carries it as ``loop``, and
each row's ratio is taken against the naive row of the same loop.

Each callback is a bare ``list.append``. Every variant runs in the same process, one
after the other, with a garbage collection in between; compare ratios, not absolutes.

A bench module that passes ``main(..., aio=factory)`` also gets the guest-mode async rows
(``family: "aio"``, ``--families aio``, the default then): ``factory()`` returns the
backend's part of them (``uidispatch._tools._bench_aio.Toolkit``: its ``uidispatch``
loop, its naive loop with the toolkit's own primitive, and a label to update), and each
row runs in a fresh process of the same module (``--aio NAME``), median of its rounds.
(A toolkit whose app already is an asyncio loop, as Textual's, has no such rows.)
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import statistics
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .._tools._bench_aio import AioSizes, Toolkit

__all__ = ["Every", "Sizes", "Variant", "Variants", "main", "measure"]

Post = Callable[[Callable[[int], object], int], object]
"""``post(fn, i)``: from a worker thread, make the main loop call ``fn(i)``."""
RunUntil = Callable[[Callable[[], bool], float], object]
"""``run_until(predicate, timeout)``: run the toolkit's main loop until ``predicate()``."""
Every = Callable[[float, Callable[[], object]], Callable[[], object]]
"""``every(seconds, tick)``: start the toolkit's repeating timer calling ``tick()`` on the
main loop (main thread, before ``run_until``); returns the function that stops it."""


@dataclass(frozen=True)
class Variant:
    """One way of getting calls onto the main loop."""

    kind: str
    """``"ours"`` or ``"naive"`` (the toolkit's own primitive)."""
    post: Post
    """Post one call from a worker thread; may block if the primitive does."""
    run_until: RunUntil
    """Run the app's own main loop until the predicate holds or the timeout passed."""
    timer: Every | None = None
    """The toolkit's repeating UI timer, for ``freeze_ms``; ``None``: not measured."""
    idle_wakeups: Callable[[float], float] | None = None
    """``idle_wakeups(seconds)``: run the idle loop that long (main thread), nothing
    posted; its wake-ups per second. ``None``: not measured."""
    loop: str | None = None
    """The kind of main loop, when the toolkit has several; ratios stay within one."""


Variants = Mapping[str, Variant]
"""What a bench module's ``setup()`` returns: each way of posting, by name."""


@dataclass(frozen=True)
class Sizes:
    """How much work each measurement does."""

    calls: int = 50_000
    idle_posts: int = 200
    timeout: float = 120.0
    flood: int = 100_000
    """Calls one producer posts flat out while the UI timer's gaps are taken."""
    idle_seconds: float = 1.0
    """How long the idle loop's wake-ups are counted."""


QUICK = Sizes(calls=5_000, idle_posts=40, timeout=60.0, flood=20_000, idle_seconds=0.3)


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


def _freeze(variant: Variant, every: Every, flood: int, timeout: float) -> dict[str, Any]:
    """The 10 ms UI timer's gaps (ms) while one producer posts ``flood`` calls flat out.

    The flood starts at the timer's second tick, the first mark; the last mark is when
    the last call ran.
    """
    out: list[int] = []
    ticks: list[float] = []
    go = threading.Event()
    end: list[float] = []
    clock = time.perf_counter

    def tick() -> None:
        ticks.append(clock())
        if len(ticks) == 2:
            go.set()  # the timer runs: start the flood

    def last(_: int) -> None:
        end.append(clock())

    def produce() -> None:
        if not go.wait(timeout):
            return
        post, append = variant.post, out.append
        for i in range(flood):
            post(append, i)
        post(last, flood)

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    stop = every(0.010, tick)
    try:
        variant.run_until(lambda: bool(end), timeout)
    finally:
        stop()
        go.set()  # a timer that never ticked: let the producer end
    thread.join(timeout)
    if not end or len(out) != flood:
        return {"error": f"only {len(out)} of {flood} flood calls ran within {timeout} s"}
    marks = [t for t in ticks[1:] if t <= end[0]] + end
    gaps = [round((b - a) * 1e3, 3) for a, b in itertools.pairwise(marks)]
    return {"freeze_ms": max(gaps, default=0.0), "freeze_gaps_ms": gaps}


def measure(name: str, variant: Variant, sizes: Sizes) -> dict[str, Any]:
    """Measure one variant; the row ``uidispatch bench`` reads (``error`` set on failure)."""
    row: dict[str, Any] = {"variant": name, "kind": variant.kind, "error": None}
    if variant.loop is not None:
        row["loop"] = variant.loop
    for key in ("thr1", "thr4", "post_p50_us", "post_p99_us", "idle_p50_us", "idle_p99_us"):
        row[key] = None
    row["freeze_ms"] = row["idle_wakeups_per_s"] = None
    frozen: dict[str, Any] = {}
    try:
        one = _throughput(variant, sizes.calls, 1, sizes.timeout)
        gc.collect()
        four = _throughput(variant, sizes.calls, 4, sizes.timeout)
        gc.collect()
        idle = _idle_latency(variant, sizes.idle_posts, sizes.timeout)
        if variant.timer is not None:
            gc.collect()
            frozen = _freeze(variant, variant.timer, sizes.flood, sizes.timeout)
        if variant.idle_wakeups is not None:
            gc.collect()
            row["idle_wakeups_per_s"] = variant.idle_wakeups(sizes.idle_seconds)
    except Exception as exc:  # a crashing primitive is a row with an error, not a crash
        row["error"] = f"{type(exc).__name__}: {exc}"
        return row
    errors = [r["error"] for r in (one, four, idle, frozen) if r.get("error")]
    if errors:
        row["error"] = errors[0]
        return row
    row.update(thr1=one["thr"], thr4=four["thr"], post_p50_us=one["post_p50_us"])
    row.update(post_p99_us=one["post_p99_us"], **idle, **frozen)
    return row


def main(
    backend: str,
    setup: Callable[[], Variants],
    argv: Sequence[str] | None = None,
    notes: Sequence[str] = (),
    sizes: Sizes | None = None,
    *,
    aio: Callable[[], Toolkit] | None = None,
    module: str | None = None,
) -> int:
    """A bench module's command line: ``--json`` prints the object, else a table.

    ``sizes``: the full run's sizes, when the toolkit needs others than :class:`Sizes`'
    (a frame loop needs enough calls to span many frames). ``aio``: the backend's part of
    the guest-mode async rows, made in each of their processes (see the module's
    docstring); ``module``: the bench module those processes run (default
    ``uidispatch_BACKEND.bench``).
    """
    parser = _parser(backend, with_aio=aio is not None)
    args = parser.parse_args(argv)
    if aio is not None and args.aio:
        from .._tools import _bench_aio

        return _bench_aio.child(aio(), args.aio, args.aio_sizes)
    sizes = _sizes(parser, args, sizes)
    variants = setup()
    rows = []
    for name, variant in variants.items():
        print(f"{backend} bench: {name}", file=sys.stderr, flush=True)
        rows.append(measure(name, variant, sizes))
        gc.collect()
    all_notes = [
        f"{sizes.calls:,} calls per throughput run, {sizes.idle_posts} idle posts 5 ms apart; "
        f"freeze: the longest gap of a 10 ms UI timer during a {sizes.flood:,}-call flood; "
        f"idle wake-ups counted over {sizes.idle_seconds:g} s; "
        f"Python {sys.version.split()[0]}; every variant in one process, in turn",
        *notes,
    ]
    if aio is not None and "aio" in {f.strip() for f in args.families.split(",")}:
        _add_aio_rows(backend, aio(), module, args, rows, all_notes)
    result = {"backend": backend, "rows": rows, "notes": all_notes}
    if args.json:
        print(json.dumps(result))
        return 0
    _print_table(rows, all_notes)
    return 0


def _aio_sizes(quick: bool, test: bool) -> AioSizes:
    from .._tools import _bench_aio

    if test:  # a test's run: the rows' shapes, not their figures
        return _bench_aio.TINY
    return _bench_aio.QUICK if quick else _bench_aio.AioSizes()


def _print_table(every: list[dict[str, Any]], notes: Sequence[str]) -> None:
    from .._tools._bench_table import add_ratios, family_tables, main_rows

    rows = main_rows(every)
    naive = {r.get("loop"): r for r in reversed(rows) if r["kind"] == "naive" and not r["error"]}
    for r in rows:
        if r["error"]:
            print(f"{r['variant']:<32} {r['kind']:<6} error: {r['error']}")
            continue
        base = naive.get(r.get("loop"))
        ratio = f" (x{r['thr1'] / base['thr1']:.2f} naive)" if base else ""
        freeze = "-" if r["freeze_ms"] is None else f"{r['freeze_ms']:.1f}"
        wake = "-" if r["idle_wakeups_per_s"] is None else f"{r['idle_wakeups_per_s']:.1f}"
        print(
            f"{r['variant']:<32} {r['kind']:<6} thr1 {r['thr1'] / 1e3:8.1f}k{ratio} "
            f"thr4 {r['thr4'] / 1e3:8.1f}k post p50/p99 {r['post_p50_us']:.2f}/"
            f"{r['post_p99_us']:.2f} us idle p50/p99 {r['idle_p50_us']:.0f}/"
            f"{r['idle_p99_us']:.0f} us freeze {freeze} ms idle wake/s {wake}"
        )
    add_ratios(every)
    for line in family_tables(every):
        print(line)
    for note in notes:
        print(f"  note: {note}")


def _parser(backend: str, *, with_aio: bool) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"python -m uidispatch_{backend}.bench")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="smaller counts (a smoke run)")
    parser.add_argument("--calls", type=int, help="calls per throughput run (tests)")
    if with_aio:
        parser.add_argument(
            "--families",
            default="aio",
            help="extra row families: aio (async/await on the UI thread); 'none' for none",
        )
        parser.add_argument("--aio", help=argparse.SUPPRESS)
        parser.add_argument("--aio-sizes", help=argparse.SUPPRESS)
    return parser


def _sizes(parser: argparse.ArgumentParser, args: argparse.Namespace, full: Sizes | None) -> Sizes:
    """The sizes the arguments ask for: ``--quick``, ``--calls N`` (tests) or the full run's."""
    sizes = QUICK if args.quick else full or Sizes()
    if args.calls is None:
        return sizes
    if args.calls < 4:
        parser.error(f"--calls must be at least 4, got {args.calls}")
    return Sizes(
        calls=args.calls, idle_posts=10, timeout=sizes.timeout, flood=args.calls, idle_seconds=0.2
    )


def _add_aio_rows(
    backend: str,
    toolkit: Toolkit,
    module: str | None,
    args: argparse.Namespace,
    rows: list[dict[str, Any]],
    notes: list[str],
) -> None:
    """The guest-mode async rows, each measured in a process of its own."""
    from .._tools import _bench_aio

    aio_sizes = _aio_sizes(args.quick, args.calls is not None)
    rows += _bench_aio.rows(
        [sys.executable, "-m", module or f"uidispatch_{backend}.bench"],
        toolkit.kinds(),
        aio_sizes,
        progress=lambda msg: print(f"{backend} bench: {msg}", file=sys.stderr, flush=True),
    )
    notes.append(_bench_aio.note(aio_sizes))
